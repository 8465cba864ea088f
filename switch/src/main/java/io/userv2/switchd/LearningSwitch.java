package io.userv2.switchd;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.port.Port;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer-2 learning switch that joins every VM connection and the virtual gateway into one Ethernet LAN.
 *
 * <p>IEEE 802.1D behaviour: the source address of every frame is learned against its ingress port; a frame to a
 * learned unicast address goes to that port only; broadcast, multicast and unknown-unicast frames are flooded to
 * every other port; no frame is ever sent back out of the port it came in on. Learned entries age out after
 * {@link #AGING_NANOS} without traffic. 802.1Q tags are not interpreted: tagged frames are switched on their outer
 * addresses and passed through unchanged.
 *
 * <p>Runs on the event-loop thread only; not thread-safe.
 */
public final class LearningSwitch {
    /** Default aging time of a learned address: 300 s, the IEEE 802.1D default. */
    public static final long AGING_NANOS = 300_000_000_000L;
    /** A port's last source address is written to the table again at most this often. */
    private static final long RELEARN_NANOS = 1_000_000_000L;
    /** Ethernet header: destination, source, EtherType. */
    private static final int ETHERNET_HEADER = 14;

    private final MacTable table = new MacTable(16_384);
    private final List<Port> ports = new ArrayList<>();
    private final FrameCapture capture;
    private final List<java.util.function.Consumer<Port>> detachListeners = new ArrayList<>();
    private long dropsHairpin;
    private long floods;

    /** A switch that shows every frame it switches to {@code capture} (use {@link FrameCapture#NONE} for none). */
    public LearningSwitch(FrameCapture capture) {
        this.capture = capture;
    }

    /** Attaches a port to the switch. */
    public void attach(Port port) {
        ports.add(port);
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
    public void onDetach(java.util.function.Consumer<Port> listener) {
        detachListeners.add(listener);
    }

    /** The attached ports, in attach order (a live view; do not modify). */
    public List<Port> ports() {
        return ports;
    }

    /**
     * Switches one frame that arrived on {@code ingress}.
     *
     * @param buf holds the frame; the caller keeps ownership (every egress port copies what it keeps)
     * @param index absolute index of the frame's first byte
     * @param length frame length; frames shorter than an Ethernet header are dropped and counted
     * @param now monotonic time in nanoseconds
     */
    public void forward(ByteBuf buf, int index, int length, Port ingress, long now) {
        if (length < ETHERNET_HEADER) {
            ingress.counters().countRunt();
            return;
        }
        ingress.counters().countIn(length);
        capture.capture(buf, index, length);
        long dst = MacAddress.read(buf, index);
        long src = MacAddress.read(buf, index + 6);
        if (!MacAddress.isGroup(src)
                && (src != ingress.lastLearnedMac() || now - ingress.lastLearnedAt() > RELEARN_NANOS)) {
            table.learn(src, ingress, now);
            ingress.learned(src, now);
        }
        if (!MacAddress.isGroup(dst)) {
            Port out = table.lookup(dst);
            if (out != null && !out.isClosed()) {
                if (out != ingress) {
                    out.deliver(buf, index, length, ingress);
                } else {
                    dropsHairpin++;
                }
                return;
            }
        }
        flood(buf, index, length, ingress);
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

    /** The port {@code mac} (48 bits) was learned on, or null when unknown. */
    public Port portOf(long mac) {
        Port p = table.lookup(mac);
        return p == null || p.isClosed() ? null : p;
    }

    /** Drops learned addresses not refreshed within the aging time; call periodically. */
    public int expire(long now) {
        return table.expire(now - AGING_NANOS);
    }

    /** Number of learned addresses. */
    public int learnedAddresses() {
        return table.size();
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
