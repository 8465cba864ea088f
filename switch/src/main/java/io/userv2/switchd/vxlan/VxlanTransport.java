package io.userv2.switchd.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.VxlanHeader;
import io.userv2.switchd.config.VxlanSettings;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import io.userv2.switchd.switching.LearningSwitch;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The VXLAN uplink (RFC 7348): one UDP socket bound to {@code --vxlan-local}, and one {@link VxlanPort} per remote
 * tunnel endpoint, so a LAN of this switch and LANs of other userv2 switches, Linux {@code vxlan} devices or Open
 * vSwitch join into one Ethernet segment.
 *
 * <p>As a Linux kernel VXLAN endpoint in {@code learning} mode with a static default FDB entry per remote (the
 * "head-end replication" setup): unicast to a MAC learned behind a remote goes to that remote only; broadcast,
 * multicast and unknown unicast go to every remote and never back to the one they came from (the learning switch
 * does that, since each remote is a port). Remotes are matched by the outer source IPv4 address only, as the kernel
 * does: a kernel sends from a UDP source port it picks per flow. Datagrams with another VNI, from an address that is
 * not a remote (unless new remotes are learned, {@link VxlanSettings#learnRemotes()}), or malformed, are dropped and
 * counted, as are inner frames longer than the LAN's largest.
 *
 * <p>Where this differs from the kernel: the outer UDP source port is always the bound port (the kernel hashes the
 * inner flow into a port for ECMP entropy, RFC 7348 section 5; any receiver accepts either); reserved flag bits are
 * ignored as RFC 7348 says (the kernel drops datagrams with unknown flags); no IPv6 underlay and no multicast group.
 *
 * <p>MTU: {@link #open} refuses a LAN MTU that does not fit the underlay MTU with the 50 bytes of encapsulation; a
 * frame that would still not fit (an 802.1Q-tagged one) is dropped and counted, never fragmented. The underlay MTU
 * is the interface MTU of the address bound (or {@code --vxlan-underlay-mtu}); a path MTU lower than that, or an
 * interface other than the bound address's towards some remote, is not detected. The JDK this runs on decides the
 * Don't Fragment bit: with {@code jdk.net.ExtendedSocketOptions.IP_DONTFRAGMENT} (JDK 19 and later) it is set
 * (IP_PMTUDISC_DO); on JDK 17 Linux's default path MTU discovery (IP_PMTUDISC_WANT) sets DF on every datagram that
 * fits the known path MTU, which ours do.
 *
 * <p>Threads and ownership: everything on the event loop; the transport owns the socket and one reused receive
 * buffer, each port its staging buffer. Closed with the loop.
 */
public final class VxlanTransport implements IoHandler {
    private static final System.Logger LOG = System.getLogger(VxlanTransport.class.getName());
    /** Datagrams received per readiness before the other ports get their turn. */
    static final int READ_BUDGET = 64;
    /** Most remotes learned from their datagrams (on top of the configured ones). */
    static final int MAX_LEARNED_REMOTES = 64;
    /** Largest UDP payload: the receive buffer's size. */
    private static final int MAX_DATAGRAM = 65535;
    private static final long LOG_NANOS = LearningSwitch.DROP_LOG_NANOS;

    private final VxlanSettings settings;
    private final DatagramChannel channel;
    private final EventLoop loop;
    private final LearningSwitch sw;
    private final ByteBufAllocator alloc;
    private final int egressLimit;
    private final int maxFrame;
    private final int underlayMtu;
    private final String underlayMtuSource;
    private final long gatewayMac;
    private final boolean ownGateway;
    private final Map<InetAddress, VxlanPort> remotes = new LinkedHashMap<>();
    private final Set<VxlanPort> blocked = new LinkedHashSet<>();
    private final VxlanCounters drops = new VxlanCounters();
    private SelectionKey key;
    private ByteBuf ingress;
    private boolean closed;
    private int learned;
    private long unknownLoggedAt = Long.MIN_VALUE;
    private long malformedLoggedAt = Long.MIN_VALUE;

    private VxlanTransport(VxlanSettings settings, DatagramChannel channel, EventLoop loop, LearningSwitch sw,
            ByteBufAllocator alloc, int egressLimit, int maxFrame, int underlayMtu, String underlayMtuSource,
            long gatewayMac, boolean ownGateway) {
        this.settings = settings;
        this.channel = channel;
        this.loop = loop;
        this.sw = sw;
        this.alloc = alloc;
        this.egressLimit = egressLimit;
        this.maxFrame = maxFrame;
        this.underlayMtu = underlayMtu;
        this.underlayMtuSource = underlayMtuSource;
        this.gatewayMac = gatewayMac;
        this.ownGateway = ownGateway;
    }

    /**
     * Checks the MTU rule, binds the socket and attaches a port per configured remote. Call before the loop runs or
     * on the loop thread.
     *
     * @param lanMtu the LAN's IP MTU ({@code --mtu}); {@code lanMtu + 50} must fit the underlay MTU
     * @param maxFrame the largest inner frame taken from a remote (the LAN's)
     * @param gatewayMac the LAN gateway's MAC (48 bits): with {@code ownGateway}, a frame from a remote with it as
     *     source reveals a second gateway on the VNI; in pure-switch mode the MAC is pinned to the remote the
     *     gateway lives behind ({@link VxlanSettings#gatewayHost()}) and from any other remote is a second gateway
     * @param ownGateway whether this switch runs the gateway (false with {@code --no-gateway})
     * @throws IOException when the MTUs do not fit (a message saying what to change) or the socket cannot be bound
     */
    public static VxlanTransport open(VxlanSettings settings, EventLoop loop, LearningSwitch sw,
            ByteBufAllocator alloc, int egressLimit, int lanMtu, int maxFrame, long gatewayMac, boolean ownGateway)
            throws IOException {
        InetSocketAddress local = settings.local();
        int underlay = settings.underlayMtu();
        String source = "--vxlan-underlay-mtu";
        if (underlay == 0) {
            NetworkInterface nif = NetworkInterface.getByInetAddress(local.getAddress());
            if (nif == null) {
                throw new IOException("--vxlan-local " + local.getAddress().getHostAddress()
                        + " is not an address of this host");
            }
            int m = nif.getMTU();
            underlay = m > 0 ? m : VxlanSettings.DEFAULT_UNDERLAY_MTU;
            source = m > 0 ? "interface " + nif.getName() : "the default (the MTU of " + nif.getName()
                    + " could not be read)";
        }
        if (lanMtu + VxlanHeader.IPV4_OVERHEAD > underlay) {
            throw new IOException("--mtu " + lanMtu + " does not fit VXLAN: " + lanMtu + " + "
                    + VxlanHeader.IPV4_OVERHEAD + " bytes of encapsulation > the underlay MTU " + underlay + " ("
                    + source + "); use --mtu " + (underlay - VxlanHeader.IPV4_OVERHEAD)
                    + " or less, or raise the underlay's MTU");
        }
        DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 * 1024 * 1024);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 4 * 1024 * 1024);
            ch.bind(local);
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw new IOException("--vxlan-local " + local + ": " + e.getMessage(), e);
        }
        boolean df = setDontFragment(ch);
        VxlanTransport t = new VxlanTransport(settings, ch, loop, sw, alloc, egressLimit, maxFrame, underlay, source,
                gatewayMac, ownGateway);
        try {
            t.key = loop.register(ch, SelectionKey.OP_READ, t);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        long now = System.nanoTime();
        for (InetSocketAddress r : settings.remotes()) {
            t.attach(r, true, now); // one address each: VxlanSettings refuses the same address twice
        }
        InetAddress gatewayHost = ownGateway ? null : settings.gatewayHost();
        if (gatewayHost != null) {
            // The LAN's gateway lives behind this remote (--vxlan-gateway, or the first --vxlan): its MAC is pinned
            // there now, so it does not go to whichever remote speaks first, nor move after a silence.
            sw.pinRemoteGateway(t.remotes.get(gatewayHost));
        }
        loop.every(10_000_000_000L, () -> t.expire(System.nanoTime()));
        LOG.log(System.Logger.Level.INFO, "vxlan: vni " + settings.vni() + " on udp://" + local + " to "
                + settings.remotes() + (settings.learnRemotes() ? " (and remotes learned from their datagrams)" : "")
                + (gatewayHost == null ? "" : "; the LAN's gateway is behind " + gatewayHost.getHostAddress())
                + "; underlay MTU " + underlay + " (" + source + "), LAN MTU " + lanMtu + "; Don't Fragment "
                + (df ? "forced (IP_DONTFRAGMENT)" : "left to the kernel's path MTU discovery (JDK 17 has no option)"));
        return t;
    }

    /** Sets IP_DONTFRAGMENT where the JDK has it (19 and later); false when it does not. */
    private static boolean setDontFragment(DatagramChannel ch) {
        try {
            @SuppressWarnings("unchecked")
            SocketOption<Boolean> opt = (SocketOption<Boolean>) Class.forName("jdk.net.ExtendedSocketOptions")
                    .getField("IP_DONTFRAGMENT").get(null);
            ch.setOption(opt, true);
            return true;
        } catch (ReflectiveOperationException | IOException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    private VxlanPort attach(InetSocketAddress remote, boolean configured, long now) {
        VxlanPort p = new VxlanPort(this, remote, configured, now);
        remotes.put(remote.getAddress(), p);
        sw.attach(p);
        if (!configured) {
            learned++;
        }
        LOG.log(System.Logger.Level.INFO, p.name() + (configured ? " attached" : " learned from its datagrams"));
        return p;
    }

    // ---- for the ports ----

    EventLoop loop() {
        return loop;
    }

    LearningSwitch learningSwitch() {
        return sw;
    }

    ByteBufAllocator alloc() {
        return alloc;
    }

    int egressLimit() {
        return egressLimit;
    }

    int maxFrame() {
        return maxFrame;
    }

    /** The VNI of every datagram sent and accepted. */
    public int vni() {
        return settings.vni();
    }

    /** The LAN gateway's MAC as 48 bits (ours, or in pure-switch mode another host's). */
    long gatewayMac() {
        return gatewayMac;
    }

    /** Whether this switch runs the LAN's gateway itself. */
    boolean ownGateway() {
        return ownGateway;
    }

    /** The underlay's IP MTU the encapsulated frames must fit. */
    public int underlayMtu() {
        return underlayMtu;
    }

    /** Where {@link #underlayMtu()} came from (an interface's name, or the option). */
    public String underlayMtuSource() {
        return underlayMtuSource;
    }

    /** The bound address. */
    public InetSocketAddress local() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            return settings.local();
        }
    }

    /** The remotes' ports, configured ones first (loop thread only). */
    public List<VxlanPort> remotes() {
        return new ArrayList<>(remotes.values());
    }

    /** Datagrams dropped before they reached a remote's port: from no known remote, by reason. */
    public VxlanCounters drops() {
        return drops;
    }

    /**
     * Sends one datagram to {@code to}; returns 0 when the socket would block, else the bytes consumed (a datagram
     * the kernel refused for good counts as sent: dropped and counted on {@code port}).
     */
    int send(ByteBuffer datagram, InetSocketAddress to, VxlanPort port) {
        int len = datagram.remaining();
        try {
            return channel.send(datagram, to);
        } catch (IOException e) {
            long n = port.vxlanDrops().count(VxlanDropReason.SEND_FAILED);
            if (Long.bitCount(n) == 1) {
                LOG.log(System.Logger.Level.WARNING, port.name() + ": send failed: " + e.getMessage() + " (" + n
                        + " so far)");
            }
            return len;
        }
    }

    /** {@code port} has datagrams the socket would not take: flushed again when it is writable. */
    void waitWritable(VxlanPort port) {
        if (blocked.add(port) && key.isValid()) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    /** A port closed: no longer a remote. */
    void forget(VxlanPort port) {
        if (remotes.get(port.remote().getAddress()) == port) {
            remotes.remove(port.remote().getAddress());
            if (!port.configured()) {
                learned--;
            }
        }
        blocked.remove(port);
    }

    // ---- readiness ----

    @Override
    public void ready(SelectionKey k) {
        if (closed) {
            return;
        }
        if (k.isValid() && k.isWritable()) {
            List<VxlanPort> ports = List.copyOf(blocked);
            blocked.clear();
            k.interestOps(SelectionKey.OP_READ);
            for (VxlanPort p : ports) {
                p.writable();
            }
        }
        if (k.isValid() && k.isReadable()) {
            readSome();
        }
    }

    private void readSome() {
        ByteBuf in = ingress;
        if (in == null) {
            in = ingress = alloc.directBuffer(MAX_DATAGRAM, MAX_DATAGRAM);
        }
        long now = loop.now(); // the iteration's time: no clock read per datagram
        for (int i = 0; i < READ_BUDGET; i++) {
            in.clear();
            ByteBuffer nio = in.internalNioBuffer(0, MAX_DATAGRAM);
            int start = nio.position();
            SocketAddress from;
            try {
                from = channel.receive(nio);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "vxlan: receive failed: " + e.getMessage());
                return;
            }
            if (from == null) {
                return; // drained; the selector reports the next one
            }
            int n = nio.position() - start;
            in.setIndex(0, n); // the bytes the NIO view received, for the checks below
            InetAddress source = ((InetSocketAddress) from).getAddress();
            VxlanPort port = remotes.get(source);
            if (port == null) {
                port = unknown((InetSocketAddress) from, in, n, now);
                if (port == null) {
                    continue;
                }
            }
            if (!VxlanHeader.isValid(in, 0, n)) {
                port.drop(VxlanDropReason.MALFORMED);
                if (now - malformedLoggedAt >= LOG_NANOS || malformedLoggedAt == Long.MIN_VALUE) {
                    malformedLoggedAt = now;
                    LOG.log(System.Logger.Level.WARNING, port.name() + ": dropped a malformed VXLAN datagram of " + n
                            + " bytes (no header or I flag clear); logged at most every 10 s");
                }
                continue;
            }
            if (VxlanHeader.vniAt(in, 0) != settings.vni()) {
                port.drop(VxlanDropReason.OTHER_VNI);
                continue;
            }
            port.receive(in, VxlanHeader.HEADER_LENGTH, n - VxlanHeader.HEADER_LENGTH, now);
        }
    }

    /** A datagram from an address that is no remote: a new remote when that is allowed, else dropped (null). */
    private VxlanPort unknown(InetSocketAddress from, ByteBuf in, int n, long now) {
        if (settings.learnRemotes() && learned < MAX_LEARNED_REMOTES && VxlanHeader.isValid(in, 0, n)
                && VxlanHeader.vniAt(in, 0) == settings.vni()) {
            // The kernel sends from a per-flow source port: frames go back to the configured VXLAN port.
            return attach(new InetSocketAddress(from.getAddress(), settings.local().getPort()), false, now);
        }
        long count = drops.count(VxlanDropReason.UNKNOWN_REMOTE);
        if (now - unknownLoggedAt >= LOG_NANOS || unknownLoggedAt == Long.MIN_VALUE) {
            unknownLoggedAt = now;
            LOG.log(System.Logger.Level.WARNING, "vxlan: dropped a datagram from " + from + ", which is not a --vxlan"
                    + " remote" + (settings.learnRemotes() ? " (or no more remotes may be learned)" : "") + " ("
                    + count + " so far); logged at most every 10 s");
        }
        return null;
    }

    /** Closes learned remotes not heard from within the switch's aging time. */
    void expire(long now) {
        for (VxlanPort p : remotes()) {
            if (!p.configured() && now - p.lastHeard() > LearningSwitch.AGING_NANOS) {
                LOG.log(System.Logger.Level.INFO, p.name() + ": aged out");
                p.close();
            }
        }
    }

    @Override
    public void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        for (VxlanPort p : remotes()) {
            p.flush();
            p.close();
        }
        loop.close(this, key, channel);
        if (ingress != null) {
            ingress.release();
            ingress = null;
        }
    }

    @Override
    public String toString() {
        return "vxlan vni " + settings.vni() + " on udp://" + settings.local();
    }
}
