package io.userv2.switchd.switching;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.config.PortSecuritySettings;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortCounters;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.port.VirtualPort;
import io.userv2.switchd.security.IngressFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The layer-2 learning switch that joins every VM connection and the virtual gateway into one Ethernet LAN.
 *
 * <p>IEEE 802.1D behaviour: the source address of every frame is learned against its ingress port; a frame to a
 * learned unicast address goes to that port only; broadcast, multicast and unknown-unicast frames are flooded to
 * every other port; no frame is ever sent back out of the port it came in on. Learned entries age out after
 * {@link #AGING_NANOS} without traffic. 802.1Q tags are not interpreted: tagged frames are switched on their outer
 * addresses and passed through unchanged.
 *
 * <p>Port security, so that one VM cannot hurt the others (each drop is counted per port and reason in
 * {@link PortCounters} and logged at most every {@link #DROP_LOG_NANOS} per port):
 * <ul>
 *   <li>The gateway's MAC is a static entry ({@link #attachGateway}): learning never moves it, and a frame from a
 *       VM port with the gateway's MAC as source is dropped.</li>
 *   <li>Without a gateway of its own ({@code --no-gateway}) the LAN gateway's MAC is admitted from uplinks only
 *       ({@link #reserveRemoteGateway}), and pinned to the remote the gateway lives behind
 *       ({@link #pinRemoteGateway}).</li>
 *   <li>Every VM port may have learned at most {@link PortSecuritySettings#maxMacsPerPort()} addresses, the table at
 *       most {@link PortSecuritySettings#maxMacs()}; a frame whose source cannot be learned is dropped, and nothing
 *       is ever evicted to make room (IEEE 802.1Q calls this limiting the learned entries per port).</li>
 *   <li>The {@link IngressFilter} (installed with {@link #setIngressFilter}) drops IPv4 and ARP from a VM port that
 *       claims a gateway address, and with IP source guard every source not bound to that port.</li>
 *   <li>Storm control: a VM port may have at most {@link PortSecuritySettings#floodsPerSecond()} frames a second
 *       flooded (broadcast, multicast, unknown unicast); beyond, they are dropped.</li>
 *   <li>Frames the gateway sends are never flooded: unicast to an address no port has is dropped and counted on
 *       the gateway's port, and its listener ({@link #onGatewayUnknownUnicast}) hears of it. Its broadcasts (ARP
 *       requests) still go to every port.</li>
 *   <li>Each VM port works within its {@link io.userv2.switchd.port.IngressBudget} per loop iteration:
 *       {@link #forward} refuses a frame the budget does not cover, and the port stops reading.</li>
 * </ul>
 *
 * <p>Runs on the event-loop thread only; not thread-safe.
 */
public final class LearningSwitch {
    /** Default aging time of a learned address: 300 s, the IEEE 802.1D default. */
    public static final long AGING_NANOS = 300_000_000_000L;
    /** A port's drops are logged at most this often. */
    public static final long DROP_LOG_NANOS = 10_000_000_000L;
    private static final System.Logger LOG = System.getLogger(LearningSwitch.class.getName());
    /** A port's last source address is written to the table again at most this often. */
    private static final long RELEARN_NANOS = 1_000_000_000L;
    /** Ethernet header: destination, source, EtherType. */
    private static final int ETHERNET_HEADER = 14;

    /** Hears of each gateway frame dropped because no port has its destination MAC. */
    @FunctionalInterface
    public interface UnknownUnicastListener {
        /** The frame at {@code buf[index, index + length)}, valid during the call; the caller keeps {@code buf}. */
        void dropped(ByteBuf buf, int index, int length, long now);
    }

    private final MacTable table;
    private final PortSecuritySettings security;
    private final List<Port> ports = new ArrayList<>();
    private final FrameCapture capture;
    private final List<Consumer<Port>> detachListeners = new ArrayList<>();
    private Port gateway;
    private long gatewayMac = -1; // never equal to a 48-bit address until a gateway is attached
    private long remoteGatewayMac = -1; // a pure switch: the LAN gateway's MAC, behind an uplink only
    /** The port a gateway frame is being built in ({@link #reserveFromGateway}). */
    private Port reservedFor;
    private IngressFilter filter;
    private UnknownUnicastListener unknownUnicast = (buf, index, length, now) -> { };
    private java.util.function.ObjLongConsumer<Port> learnListener;
    private long dropsHairpin;
    private long floods;

    /** A switch with the default port security that shows every frame it switches to {@code capture}. */
    public LearningSwitch(FrameCapture capture) {
        this(capture, PortSecuritySettings.DEFAULT);
    }

    /**
     * A switch that shows every frame it switches to {@code capture} (use {@link FrameCapture#NONE} for none) and
     * bounds its ports by {@code security}.
     */
    public LearningSwitch(FrameCapture capture, PortSecuritySettings security) {
        this.capture = capture;
        this.security = security;
        this.table = new MacTable(security.maxMacs(), security.maxMacsPerPort());
    }

    /** Attaches a VM port to the switch, with the per-iteration budget of the settings. */
    public void attach(Port port) {
        port.budget().limit(security.framesPerIteration(), security.gatewayFramesPerIteration());
        if (security.floodsPerSecond() > 0) {
            port.floodLimit().limit(security.floodsPerSecond(), security.floodsPerSecond());
        }
        ports.add(port);
    }

    /**
     * Attaches the gateway's port: its MAC becomes a static entry, its frames have no budget and are never flooded
     * as unknown unicast.
     */
    public void attachGateway(VirtualPort port) {
        gateway = port;
        gatewayMac = port.mac();
        table.pin(gatewayMac, port);
        ports.add(port);
    }

    /** Installs the network-layer checks of every frame from a VM port (null: none). */
    public void setIngressFilter(IngressFilter filter) {
        this.filter = filter;
    }

    /**
     * For a switch without a gateway of its own ({@code --no-gateway}): the LAN's gateway, run by another host, has
     * MAC {@code mac}, so a frame with it as source is admitted only from an uplink port ({@link Port#isUplink()});
     * from a VM port it is dropped as a spoof, as it would be on the gateway's own switch.
     */
    public void reserveRemoteGateway(long mac) {
        remoteGatewayMac = mac;
    }

    /**
     * For a switch without a gateway of its own: pins the LAN gateway's MAC (given to {@link #reserveRemoteGateway})
     * to {@code uplink}, the remote behind which the gateway lives. A static entry, as the gateway's own is on its
     * host: it never ages and never moves, so frames to the gateway go to that remote alone from the start, and the
     * MAC from any other port is refused (the uplinks count it as a second gateway before it gets here).
     *
     * @throws IllegalStateException when no remote gateway is reserved or {@code uplink} is not an uplink
     */
    public void pinRemoteGateway(Port uplink) {
        if (remoteGatewayMac < 0 || !uplink.isUplink()) {
            throw new IllegalStateException("the gateway's MAC is pinned only to an uplink, on a switch without a"
                    + " gateway of its own");
        }
        table.pin(remoteGatewayMac, uplink);
    }

    /** Sets who hears of gateway frames dropped for an unknown destination. */
    public void onGatewayUnknownUnicast(UnknownUnicastListener listener) {
        this.unknownUnicast = listener;
    }

    /**
     * Calls {@code listener} with the port and the MAC (48 bits) whenever an address is learned on a VM port where it
     * was not before (new, aged out and back, or moved from another port); not for refreshes. Loop thread.
     */
    public void onLearned(java.util.function.ObjLongConsumer<Port> listener) {
        this.learnListener = listener;
    }

    /** Detaches a port, forgets every address learned on it, and tells every detach listener. */
    public void detach(Port port) {
        if (!ports.remove(port)) {
            return;
        }
        table.forget(port);
        for (int i = 0; i < detachListeners.size(); i++) {
            detachListeners.get(i).accept(port);
        }
    }

    /**
     * Calls {@code listener} for every port detached from now on: whatever a VM made others hold on its behalf (NAT
     * flows, say) goes with its port.
     */
    public void onDetach(Consumer<Port> listener) {
        detachListeners.add(listener);
    }

    /** The attached ports, in attach order (a live view; do not modify). */
    public List<Port> ports() {
        return ports;
    }

    /**
     * Switches one frame that arrived on {@code ingress}, unless the port's budget for this iteration does not cover
     * it.
     *
     * @param buf holds the frame; the caller keeps ownership (every egress port copies what it keeps)
     * @param index absolute index of the frame's first byte
     * @param length frame length; frames shorter than an Ethernet header are dropped and counted
     * @param now monotonic time in nanoseconds
     * @return true when the frame was taken (switched, or dropped and counted); false when the port's
     *     {@link io.userv2.switchd.port.IngressBudget} refused it: the caller keeps it unread and stops reading
     *     that port until the next loop iteration
     */
    public boolean forward(ByteBuf buf, int index, int length, Port ingress, long now) {
        if (length < ETHERNET_HEADER) {
            ingress.counters().countRunt();
            return true;
        }
        long dst = MacAddress.read(buf, index);
        boolean fromGateway = ingress == gateway;
        if (!fromGateway && !ingress.budget().take(dst == gatewayMac || MacAddress.isGroup(dst))) {
            return false;
        }
        ingress.counters().countIn(length);
        capture.capture(buf, index, length);
        if (!fromGateway && !admit(buf, index, length, ingress, now)) {
            return true;
        }
        if (!MacAddress.isGroup(dst)) {
            Port out = table.lookup(dst);
            if (out != null && !out.isClosed()) {
                if (out != ingress) {
                    out.deliver(buf, index, length, ingress);
                } else {
                    dropsHairpin++;
                }
                return true;
            }
            if (fromGateway) {
                drop(ingress, PortDropReason.UNKNOWN_UNICAST, now);
                unknownUnicast.dropped(buf, index, length, now);
                return true;
            }
        }
        if (!fromGateway && !ingress.floodLimit().take(now)) {
            drop(ingress, PortDropReason.STORM_CONTROL, now);
            return true;
        }
        flood(buf, index, length, ingress);
        return true;
    }

    /**
     * Room to build a frame of {@code length} bytes from the gateway to the unicast MAC {@code dst} in place, in the
     * staging buffer of the port that MAC was learned on (see {@link Port#reserve}); null when there is none (an
     * unknown or group address, a capture running, a full queue): then the gateway builds the frame in a buffer of its
     * own and {@link #forward}s it, which counts what becomes of it. Follow with {@link #commitFromGateway} or
     * {@link #cancelFromGateway}. Loop thread only.
     */
    public ByteBuf reserveFromGateway(long dst, int length) {
        if (capture != FrameCapture.NONE || MacAddress.isGroup(dst) || gateway == null) {
            return null; // a capture sees every frame whole, once: the gateway's go the usual way then
        }
        Port out = table.lookup(dst);
        if (out == null || out.isClosed()) {
            return null;
        }
        ByteBuf room = out.reserve(length);
        if (room != null) {
            reservedFor = out;
        }
        return room;
    }

    /** Queues the frame built in the room {@link #reserveFromGateway} gave, counted as {@link #forward} counts it. */
    public void commitFromGateway() {
        Port out = reservedFor;
        reservedFor = null;
        gateway.counters().countIn(out.commitReserved());
    }

    /** Gives back the room {@link #reserveFromGateway} gave; nothing is sent. */
    public void cancelFromGateway() {
        Port out = reservedFor;
        reservedFor = null;
        out.cancelReserved();
    }

    /** Port security for a frame from a VM port: learns its source, or drops and counts it (returning false). */
    private boolean admit(ByteBuf buf, int index, int length, Port ingress, long now) {
        long src = MacAddress.read(buf, index + 6);
        if (src == gatewayMac || src == remoteGatewayMac && !ingress.isUplink()) {
            drop(ingress, PortDropReason.GATEWAY_MAC_SPOOFED, now);
            return false;
        }
        // Learn when the source differs from the port's last one or that was learned over RELEARN_NANOS ago. Written
        // without a branch of its own for the second test (the sign bit of RELEARN_NANOS - elapsed): the JIT prunes a
        // branch never taken while it compiles, and the first relearn, a second into a VM's first transfer, then
        // threw away the compiled switching path (seen with -XX:+LogCompilation). One branch on both tests is taken
        // both ways from the first frames on.
        long stale = (RELEARN_NANOS - (now - ingress.lastLearnedAt())) >>> 63;
        if (!MacAddress.isGroup(src) && ((src ^ ingress.lastLearnedMac()) | stale) != 0) {
            int learned = table.learn(src, ingress, now);
            if (learned == MacTable.REFUSED_PINNED) {
                drop(ingress, PortDropReason.GATEWAY_MAC_SPOOFED, now); // a pinned gateway MAC from another port
                return false;
            }
            if (learned == MacTable.REFUSED_PORT_FULL || learned == MacTable.REFUSED_TABLE_FULL) {
                drop(ingress, learned == MacTable.REFUSED_PORT_FULL ? PortDropReason.MAC_LIMIT
                        : PortDropReason.MAC_TABLE_FULL, now);
                return false;
            }
            ingress.learned(src, now);
            if ((learned == MacTable.LEARNED || learned == MacTable.MOVED) && learnListener != null) {
                learnListener.accept(ingress, src);
            }
        }
        IngressFilter f = filter;
        if (f != null) {
            PortDropReason why = f.check(buf, index, length, ingress);
            if (why != null) {
                drop(ingress, why, now);
                return false;
            }
        }
        return true;
    }

    private void drop(Port port, PortDropReason reason, long now) {
        PortCounters c = port.counters();
        long n = c.countDrop(reason);
        if (c.dropReportDue(now, DROP_LOG_NANOS)) {
            LOG.log(System.Logger.Level.WARNING, port.name() + ": dropped a frame (" + reason.label() + ", " + n
                    + " so far for that reason, " + c.dropsTotal() + " in all); logged at most every "
                    + DROP_LOG_NANOS / 1_000_000_000L + " s per port");
        }
    }

    private void flood(ByteBuf buf, int index, int length, Port ingress) {
        floods++;
        List<Port> all = ports;
        for (int i = 0, n = all.size(); i < n; i++) {
            Port p = all.get(i);
            if (p != ingress && !p.isClosed()) {
                p.deliver(buf, index, length, ingress);
            }
        }
    }

    /**
     * The addresses learned on VM ports, each with its port's id, as gvproxy's {@code /cam} lists them (MAC to
     * connection); the gateway's pinned address is not among them. Loop thread only.
     */
    public Map<String, Integer> cam() {
        Map<String, Integer> out = new TreeMap<>();
        table.forEachLearned((port, mac) -> out.put(MacAddress.format(mac), port.id()));
        return out;
    }

    /** The port {@code mac} (48 bits) was learned on, or null when unknown. */
    public Port portOf(long mac) {
        Port p = table.lookup(mac);
        return p == null || p.isClosed() ? null : p;
    }

    /** Drops learned addresses not refreshed within the aging time; call periodically. */
    public int expire(long now) {
        return table.expire(now - AGING_NANOS);
    }

    /** Number of addresses in the table (the gateway's static entry included). */
    public int learnedAddresses() {
        return table.size();
    }

    /** The port security this switch enforces. */
    public PortSecuritySettings security() {
        return security;
    }

    /** Frames dropped because their destination was learned on their own ingress port. */
    public long dropsHairpin() {
        return dropsHairpin;
    }

    /** Frames flooded (broadcast, multicast or unknown unicast). */
    public long floods() {
        return floods;
    }
}
