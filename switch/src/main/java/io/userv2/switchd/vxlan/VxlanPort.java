package io.userv2.switchd.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.VxlanHeader;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.switching.LearningSwitch;
import java.net.InetSocketAddress;

/**
 * One remote VXLAN tunnel endpoint as a port of the learning switch, like a VM: the MACs behind it are learned on
 * it (the kernel's {@code learning} mode: inner source MAC against the outer source address, aged as the switch ages
 * every address), frames to them go to this remote only, floods reach it once (head-end replication), and it has a
 * VM's work budget, MAC caps, storm control, port security and counters.
 *
 * <p>Egress: each frame is copied into the port's bounded staging buffer as one record {@code [4-byte length][VXLAN
 * header][frame]}, the header written in place, and the records go out at the end of the loop iteration
 * ({@link #flush()}), one {@code sendto} each through the {@link VxlanTransport}'s socket. A frame that would not fit
 * the underlay MTU once encapsulated is dropped and counted ({@link VxlanDropReason#TOO_BIG}): VXLAN never fragments.
 * When the staging buffer is full (the kernel refused sends for a while) frames are dropped as queue-full.
 *
 * <p>Ingress comes from the transport, which reads the shared socket and hands this port the inner frames of its
 * datagrams ({@link #receive}).
 *
 * <p>Ownership: the port owns its staging buffer (from the allocator it was given) and releases it on close; the
 * socket is the transport's. Loop thread only.
 */
public final class VxlanPort extends Port implements EventLoop.Flushable {
    private static final System.Logger LOG = System.getLogger(VxlanPort.class.getName());
    private static final int PREFIX = 4;

    private final VxlanTransport transport;
    private final InetSocketAddress remote;
    private final boolean configured;
    private final EventLoop loop;
    private final LearningSwitch sw;
    private final ByteBufAllocator alloc;
    private final int egressLimit;
    private final int maxInner;
    private final int maxFrame;
    private final int vni;
    private final VxlanCounters drops = new VxlanCounters();
    private ByteBuf egress;
    private boolean dirty;
    private boolean blocked;
    private long lastHeard;
    private long secondGatewayLoggedAt = Long.MIN_VALUE;

    VxlanPort(VxlanTransport transport, InetSocketAddress remote, boolean configured, long now) {
        super("vxlan:" + remote.getAddress().getHostAddress() + ":" + remote.getPort());
        this.transport = transport;
        this.remote = remote;
        this.configured = configured;
        this.loop = transport.loop();
        this.sw = transport.learningSwitch();
        this.alloc = transport.alloc();
        this.egressLimit = transport.egressLimit();
        this.maxInner = transport.underlayMtu() - VxlanHeader.IPV4_ENCAPSULATION;
        this.maxFrame = transport.maxFrame();
        this.vni = transport.vni();
        this.lastHeard = now;
    }

    /** The remote endpoint's address and the UDP port frames are sent to. */
    public InetSocketAddress remote() {
        return remote;
    }

    /** True for a remote given with {@code --vxlan}; false for one learned from its datagrams. */
    public boolean configured() {
        return configured;
    }

    /** This remote's VXLAN drops by reason. */
    public VxlanCounters vxlanDrops() {
        return drops;
    }

    /** Nano time of the last datagram from this remote (or of the port's creation). */
    long lastHeard() {
        return lastHeard;
    }

    /** Counts a drop of a datagram from this remote for {@code reason}. */
    void drop(VxlanDropReason reason) {
        drops.count(reason);
    }

    /**
     * The inner frame of one datagram from this remote: switched now, within this iteration's budget.
     *
     * @param buf holds the frame at {@code [index, index + length)}; the caller (the transport) keeps it
     */
    void receive(ByteBuf buf, int index, int length, long now) {
        lastHeard = now;
        if (length > maxFrame) {
            drops.count(VxlanDropReason.OVERSIZE);
            return;
        }
        long gatewayMac = transport.gatewayMac();
        if (length >= 12 && MacAddress.read(buf, index + 6) == gatewayMac) {
            Port owner = transport.ownGateway() ? null : sw.portOf(gatewayMac);
            if (transport.ownGateway() || owner != null && owner != this) {
                secondGateway(now, owner);
                return;
            }
        }
        budget().begin(loop.iteration());
        if (!sw.forward(buf, index, length, this, now)) {
            // Every remote shares the socket: leaving the datagram unread would stall the others too.
            drops.count(VxlanDropReason.OVER_BUDGET);
            counters().countDrop(PortDropReason.OVER_BUDGET);
        }
    }

    /**
     * The gateway's MAC as the source of a frame from a remote while that MAC is our own gateway's, or (in
     * pure-switch mode) pinned to another remote, the one the gateway lives behind: another userv2 (or anything else) is acting as a gateway of
     * this LAN. Two gateways on one VNI hand out the same addresses twice, and letting the MAC move would take the
     * real gateway's traffic away; dropped, counted and logged loudly (at most once per
     * {@link LearningSwitch#DROP_LOG_NANOS}).
     *
     * @param owner the port the gateway's MAC is pinned to in pure-switch mode, null when it is our own
     */
    private void secondGateway(long now, Port owner) {
        long n = drops.count(VxlanDropReason.SECOND_GATEWAY);
        counters().countDrop(PortDropReason.GATEWAY_MAC_SPOOFED);
        if (secondGatewayLoggedAt == Long.MIN_VALUE || now - secondGatewayLoggedAt >= LearningSwitch.DROP_LOG_NANOS) {
            secondGatewayLoggedAt = now;
            LOG.log(System.Logger.Level.ERROR, "TWO GATEWAYS ON VNI " + vni + ": " + name() + " sent frames from "
                    + (owner == null ? "our gateway's MAC " : "the gateway's MAC ") + MacAddress.format(
                            transport.gatewayMac()) + (owner == null ? "" : ", which is behind " + owner.name())
                    + " (" + n + " dropped so far). Only one host of a VXLAN LAN may run the gateway: start the"
                    + " others with --no-gateway.");
        }
    }

    @Override
    public boolean isUplink() {
        return true;
    }

    @Override
    public void deliver(ByteBuf buf, int index, int length, Port ingress) {
        if (isClosed()) {
            return;
        }
        if (length > maxInner) {
            long n = drops.count(VxlanDropReason.TOO_BIG);
            if (Long.bitCount(n) == 1) {
                LOG.log(System.Logger.Level.WARNING, name() + ": dropped a " + length + "-byte frame from " + ingress
                        + ": encapsulated it would exceed the underlay MTU of " + transport.underlayMtu() + " (" + n
                        + " so far; VXLAN never fragments)");
            }
            return;
        }
        int need = PREFIX + VxlanHeader.HEADER_LENGTH + length;
        ByteBuf out = egress;
        if (out == null) {
            out = egress = alloc.directBuffer(Math.min(64 * 1024, egressLimit), egressLimit);
        }
        if (out.maxWritableBytes() < need && out.readerIndex() > 0) {
            out.discardReadBytes();
        }
        if (out.maxWritableBytes() < need) {
            counters().countQueueFull();
            return;
        }
        out.writeInt(VxlanHeader.HEADER_LENGTH + length);
        out.ensureWritable(VxlanHeader.HEADER_LENGTH + length);
        VxlanHeader.write(out, out.writerIndex(), vni);
        out.writerIndex(out.writerIndex() + VxlanHeader.HEADER_LENGTH);
        out.writeBytes(buf, index, length);
        counters().countOut(length);
        if (!dirty && !blocked) {
            dirty = true;
            loop.markDirty(this);
        }
    }

    @Override
    public int queuedBytes() {
        return egress == null ? 0 : egress.readableBytes();
    }

    /** Sends the staged datagrams until the socket would block; then the transport calls again when writable. */
    @Override
    public void flush() {
        dirty = false;
        ByteBuf out = egress;
        if (out == null || isClosed()) {
            return;
        }
        int r = out.readerIndex();
        int w = out.writerIndex();
        try {
            while (r < w) {
                int len = out.getInt(r);
                int sent = transport.send(out.internalNioBuffer(r + PREFIX, len), remote, this);
                if (sent == 0) {
                    if (!blocked) {
                        blocked = true;
                        transport.waitWritable(this);
                    }
                    return;
                }
                r += PREFIX + len;
            }
            blocked = false;
            out.clear();
            r = 0;
        } finally {
            if (r != 0) {
                out.readerIndex(r);
            }
        }
    }

    /** The socket may take more: called by the transport for a port that was blocked. */
    void writable() {
        blocked = false;
        flush();
    }

    @Override
    public void releaseIdleBuffers() {
        if (egress != null && !egress.isReadable() && !blocked) {
            egress.release();
            egress = null;
        }
    }

    @Override
    protected void onClose() {
        sw.detach(this);
        if (egress != null) {
            egress.release();
            egress = null;
        }
        transport.forget(this);
    }
}
