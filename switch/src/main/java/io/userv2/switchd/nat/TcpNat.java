package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.stack.tcp.IsnGenerator;
import io.userv2.stack.tcp.SegmentEmitter;
import io.userv2.stack.tcp.TcpCloseCause;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.tcp.TcpDemux;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpRepr;
import io.userv2.switchd.EventLoop;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * TCP at the gateway: every guest TCP connection that reaches the gateway (it is the guest's default route) is
 * terminated in our own endpoint ({@link TcpConnection}) and its bytes relayed to whatever serves the destination:
 * a host socket dialled first (dial-then-accept: the guest's SYN is answered only once the host connection is up,
 * with RST when the host refuses), or a local service of the gateway (DNS on port 53).
 *
 * <p>Owned by the event loop; segments come in through {@link #forward}, timers through {@link EventLoop.Ticker}.
 */
public final class TcpNat implements EventLoop.Ticker, EventLoop.Flushable {
    private static final int MAX_DISPATCH_ROUNDS = 64;

    /** Serves connections to one port of the gateway's own address instead of dialling the host. */
    @FunctionalInterface
    public interface LocalService {
        /** A flow for the accepted connection {@code conn}; the service answers through {@code conn.send}. */
        TcpFlow open(TcpConnection conn, MacAddress guestMac, TcpNat nat);
    }

    /**
     * Tells how many bytes already wait in the queue towards a guest's MAC, so that the endpoint sends less while
     * the queue is long (backpressure from the LAN, as Linux's TCP small queues) instead of overflowing it.
     */
    @FunctionalInterface
    public interface EgressGauge {
        /** Bytes queued towards {@code mac} and not yet written. */
        int queuedToward(MacAddress mac);
    }

    /** Below this many queued bytes towards a guest, its connections send more data. */
    static final int EGRESS_HIGH_WATER = 1 << 20;
    /** Connections held back by a long queue resume once it is below this. */
    static final int EGRESS_LOW_WATER = 512 * 1024;

    /** Ephemeral ports the gateway uses for connections it opens into guests (Linux's default range). */
    private static final int EPHEMERAL_FIRST = 32768;
    private static final int EPHEMERAL_COUNT = 60999 - 32768 + 1;
    /** ARP requests for a guest that has not answered yet, at most this often. */
    private static final long ARP_RETRY_NANOS = 200_000_000L;
    /** How often a flow waiting for its guest's MAC looks at the ARP cache again. */
    private static final long ARP_POLL_NANOS = 2_000_000L;

    private int nextEphemeral;

    /** How often a held-back flow looks again when no flush wakes it (a guest that stopped reading). */
    private static final long HELD_BACK_RECHECK_NANOS = 10_000_000L;

    private final EventLoop loop;
    private final Gateway gateway;
    private final EgressGauge egress;
    private final java.util.ArrayList<TcpFlow> heldBack = new java.util.ArrayList<>();
    private final NatPolicy policy;
    private final TcpDemux demux;
    private final HostDialer dialer;
    private final Map<TcpConnectionKey, TcpFlow> flows = new HashMap<>();
    private final Map<Integer, LocalService> localServices = new HashMap<>();
    private final PriorityQueue<TcpFlow> timers =
            new PriorityQueue<>((a, b) -> Long.compare(a.queuedAt - b.queuedAt, 0));
    private final SegmentEmitter emitter = this::emit;
    /** Flows with news in this loop iteration, run once at its end so that reads and ACKs are batched. */
    private final java.util.ArrayList<TcpFlow> touched = new java.util.ArrayList<>();
    private long dropsBadSegment;
    private long dropsPolicy;
    private long resetsSent;

    /**
     * TCP NAT for {@code gateway}, dialling hosts as {@code policy} says.
     *
     * @param maxConnections most guest connections in all
     * @param maxPerGuest most connections from one guest address; excess SYNs are refused with RST
     * @param dialTimeoutNanos how long a host connect may take before the guest's SYN is dropped
     */
    public TcpNat(EventLoop loop, Gateway gateway, EgressGauge egress, NatPolicy policy, TcpConfig config,
            ByteBufAllocator alloc, int maxConnections, int maxPerGuest, long dialTimeoutNanos) {
        this.loop = loop;
        this.gateway = gateway;
        this.egress = egress;
        loop.afterFlush(this::resumeHeldBack);
        this.policy = policy;
        this.demux = new TcpDemux(config, alloc, new IsnGenerator(secret()), null, maxConnections, maxPerGuest);
        this.dialer = new HostDialer(this, alloc, dialTimeoutNanos);
        loop.addTicker(this);
    }

    private static byte[] secret() {
        byte[] secret = new byte[16];
        new java.security.SecureRandom().nextBytes(secret);
        return secret;
    }

    /** Serves DNS over TCP on port 53 of the gateway's own address with {@code dns}. */
    public void serveDns(io.userv2.dns.DnsServer dns) {
        serveLocally(53, DnsTcpFlow.service(dns));
    }

    /** Serves TCP to {@code port} of the gateway's own address with {@code service} (e.g. DNS on 53). */
    public void serveLocally(int port, LocalService service) {
        localServices.put(port, service);
    }

    /**
     * Takes one guest TCP segment for a destination the gateway terminates. The caller keeps the buffers.
     *
     * @return true (segments are always consumed: processed, answered with RST, or dropped and counted)
     */
    public boolean forward(EthernetFrame frame, Ipv4Packet packet, long now) {
        if (packet.isFragment()) {
            dropsBadSegment++;
            return true;
        }
        ParseResult<TcpPacket> checked = TcpPacket.checked(packet.buffer(), packet.payloadOffset(),
                packet.payloadLength());
        TcpPacket tcp = checked.orNull();
        if (tcp == null) {
            dropsBadSegment++;
            return true;
        }
        TcpRepr seg = TcpRepr.parse(tcp, packet.source(), packet.destination(), true).orNull();
        if (seg == null) {
            dropsBadSegment++;
            return true;
        }
        MacAddress guestMac = MacAddress.of(frame.source());
        Ipv4Address guest = new Ipv4Address(packet.source());
        Ipv4Address destination = new Ipv4Address(packet.destination());
        TcpConnectionKey key = TcpConnectionKey.ofIncoming(guest, destination, seg);
        ByteBuf payload = tcp.payload();

        // One lookup per segment: every connection in the demux has its flow here.
        TcpFlow flow = flows.get(key);
        TcpConnection conn = flow != null ? flow.conn : demux.get(key);
        boolean freshSyn = seg.control() == TcpControl.SYN && !seg.hasAck();
        if (conn != null && !(freshSyn && conn.acceptsNewSyn(seg))) {
            if (flow != null) {
                flow.guestMac = guestMac;
            }
            conn.process(seg, payload, now);
            if (flow != null) {
                touch(flow);
            }
            return true;
        }
        if (!freshSyn) {
            // RFC 9293 3.10.7.1: a segment for no connection is answered with RST (unless it is one).
            sendReset(guestMac, destination, guest, TcpConnection.resetFor(seg));
            return true;
        }
        if (conn != null) {
            finish(key, false); // TIME-WAIT reuse: the old connection goes
        }
        boolean local = gateway.owns(destination.bits()) && localServices.containsKey(seg.dstPort());
        Ipv4Address real = local ? null : policy.translate(destination);
        if (!local && real == null) {
            dropsPolicy++;
            sendReset(guestMac, destination, guest, TcpConnection.resetFor(seg));
            return true;
        }
        conn = demux.admitSyn(key, seg, now);
        if (conn == null) {
            sendReset(guestMac, destination, guest, TcpConnection.resetFor(seg)); // over a connection cap
            return true;
        }
        if (local) {
            conn.accept(now);
            flow = localServices.get(seg.dstPort()).open(conn, guestMac, this);
        } else {
            flow = dialer.dial(conn, guestMac, real, seg.dstPort(), now);
        }
        flows.put(key, flow);
        touch(flow);
        return true;
    }

    /**
     * Notes that {@code flow} has news (a segment, host readiness, a timer): it is run once at the end of this loop
     * iteration, so that every segment read in one batch is acknowledged together and the host socket is written
     * once per batch, not once per segment.
     */
    void touch(TcpFlow flow) {
        if (!flow.touched && !flow.finished) {
            flow.touched = true;
            if (touched.isEmpty()) {
                loop.markDirty(this);
            }
            touched.add(flow);
        }
    }

    @Override
    public void flush() {
        long now = System.nanoTime();
        for (int i = 0; i < touched.size(); i++) {
            TcpFlow flow = touched.get(i);
            flow.touched = false;
            if (!flow.finished) {
                afterEvent(flow.conn.key(), flow.conn, flow, now);
            }
        }
        touched.clear();
    }

    /**
     * Opens a connection from the gateway into a guest (a port forward): an active open from the gateway's address
     * and a fresh ephemeral port to {@code guest:port}, relayed to {@code host}, an accepted host socket.
     *
     * @return false when a connection cap refuses it (the caller closes {@code host})
     */
    public boolean openToGuest(Ipv4Address guest, int port, java.nio.channels.SocketChannel host, long now)
            throws java.io.IOException {
        TcpConnection conn = connectToGuest(guest, port, now);
        if (conn == null) {
            return false;
        }
        HostTcpFlow flow = new HostTcpFlow(conn, null, host, this, dialer.alloc(), Long.MAX_VALUE);
        flows.put(conn.key(), flow);
        flow.registerConnected();
        touch(flow);
        return true;
    }

    /**
     * Tries once to open a TCP connection from the gateway to {@code guest:port} and closes it at once (Lima's
     * wait_port). Completes on the loop thread: true when the guest accepted, false when it refused or did not
     * answer within {@code timeoutNanos}.
     */
    public java.util.concurrent.CompletableFuture<Boolean> probe(Ipv4Address guest, int port, long timeoutNanos,
            long now) {
        TcpConnection conn = connectToGuest(guest, port, now);
        if (conn == null) {
            return java.util.concurrent.CompletableFuture.completedFuture(false);
        }
        ProbeFlow flow = new ProbeFlow(conn, this, now + timeoutNanos);
        flows.put(conn.key(), flow);
        touch(flow);
        return flow.result();
    }

    /** An active open from the gateway's address and a free ephemeral port; null when a cap refuses it. */
    private TcpConnection connectToGuest(Ipv4Address guest, int port, long now) {
        for (int tries = 0; tries < EPHEMERAL_COUNT; tries++) {
            int local = EPHEMERAL_FIRST + (nextEphemeral++ % EPHEMERAL_COUNT);
            TcpConnectionKey candidate = new TcpConnectionKey(guest, port, gateway.ip(), local);
            if (demux.get(candidate) == null) {
                return demux.connect(candidate, now);
            }
        }
        return null;
    }

    /**
     * The guest's MAC for a flow that does not know it yet (a port forward's first SYN): from the gateway's ARP
     * cache, else an ARP request (at most every {@link #ARP_RETRY_NANOS}) and null.
     */
    private MacAddress resolveGuest(TcpFlow flow, long now) {
        long mac = gateway.arpCache().lookup(flow.conn.key().remoteAddress().bits(), now);
        if (mac != io.userv2.stack.gateway.ArpCache.NONE) {
            flow.guestMac = MacAddress.of(mac);
            return flow.guestMac;
        }
        if (now - flow.arpSentAt >= ARP_RETRY_NANOS || flow.arpSentAt == 0) {
            flow.arpSentAt = now;
            gateway.sendArpRequest(flow.conn.key().remoteAddress());
        }
        return null;
    }

    /** Runs the connection's output and timers after any event, and retires it when it is done. */
    private void afterEvent(TcpConnectionKey key, TcpConnection conn, TcpFlow flow, long now) {
        if (flow != null && !flow.finished) {
            flow.pump(now);
            if (flow.finished) {
                return; // the flow gave up (dial timeout) and has been removed
            }
            if (flow.guestMac == null && resolveGuest(flow, now) == null) {
                schedule(flow, now + ARP_POLL_NANOS); // nothing can be sent before the guest's MAC is known
                return;
            }
        }
        for (int i = 0; i < MAX_DISPATCH_ROUNDS && conn.pollAt() - now <= 0; i++) {
            int budget = EGRESS_HIGH_WATER - egress.queuedToward(flow.guestMac);
            conn.dispatch(now, emitter, Math.max(budget, 0));
            if (budget <= 0 || egress.queuedToward(flow.guestMac) >= EGRESS_HIGH_WATER) {
                if (conn.pollAt() - now <= 0 && !flow.heldBack) {
                    flow.heldBack = true; // data waits for the queue to drain: resumeHeldBack wakes it
                    heldBack.add(flow);
                }
                break;
            }
        }
        if (conn.state() == TcpState.CLOSED && conn.pollAt() == Long.MAX_VALUE) {
            finish(key, conn.closeCause() != TcpCloseCause.NORMAL);
            return;
        }
        if (flow != null) {
            long own = flow.deadline();
            // Held back, output is "due" but waits for the queue: look again in a while even if it never drains.
            long at = flow.heldBack ? now + HELD_BACK_RECHECK_NANOS : conn.pollAt();
            schedule(flow, own != Long.MAX_VALUE && (at == Long.MAX_VALUE || own - at < 0) ? own : at);
        }
    }

    /** After ports have written: flows held back by a long queue go on once it has drained enough. */
    private void resumeHeldBack() {
        for (int i = heldBack.size() - 1; i >= 0; i--) {
            TcpFlow flow = heldBack.get(i);
            if (flow.finished || egress.queuedToward(flow.guestMac) < EGRESS_LOW_WATER) {
                flow.heldBack = false;
                heldBack.remove(i);
                touch(flow);
            }
        }
    }

    private void schedule(TcpFlow flow, long at) {
        if (at == Long.MAX_VALUE || at - flow.queuedAt >= 0 && flow.queuedAt != Long.MAX_VALUE) {
            return; // an earlier (or equal) wake-up is already queued; it re-checks when it fires
        }
        if (flow.queuedAt != Long.MAX_VALUE) {
            timers.remove(flow);
        }
        flow.queuedAt = at;
        timers.add(flow);
    }

    @Override
    public long nextDeadline() {
        TcpFlow first = timers.peek();
        return first == null ? Long.MAX_VALUE : first.queuedAt;
    }

    @Override
    public void tick(long now) {
        TcpFlow f;
        while ((f = timers.peek()) != null && f.queuedAt - now <= 0) {
            timers.poll();
            f.queuedAt = Long.MAX_VALUE;
            touch(f);
        }
    }

    /** Removes a connection and its flow; {@code reset} closes the other end abortively. */
    void finish(TcpConnectionKey key, boolean reset) {
        TcpFlow flow = flows.remove(key);
        if (flow != null) {
            flow.finished = true;
            if (flow.queuedAt != Long.MAX_VALUE) {
                timers.remove(flow);
                flow.queuedAt = Long.MAX_VALUE;
            }
            flow.closeOtherEnd(reset);
        }
        demux.remove(key);
    }

    private void emit(TcpConnectionKey key, TcpRepr segment, ByteBuf payload) {
        try {
            TcpFlow flow = flows.get(key);
            MacAddress to = flow != null ? flow.guestMac : null;
            if (to == null) {
                return; // no flow (refused while pending): the RST is sent by sendReset paths
            }
            gateway.sendTcp(to, key.localAddress(), key.remoteAddress(), segment, payload);
        } finally {
            payload.release();
        }
    }

    private void sendReset(MacAddress to, Ipv4Address from, Ipv4Address guest, TcpRepr rst) {
        if (rst != null) {
            resetsSent++;
            gateway.sendTcp(to, from, guest, rst, io.netty.buffer.Unpooled.EMPTY_BUFFER);
        }
    }

    /** Live guest connections. */
    public int connections() {
        return flows.size();
    }

    /** The demultiplexer (for statistics). */
    public TcpDemux demux() {
        return demux;
    }

    /** Segments dropped as malformed or with a bad checksum. */
    public long dropsBadSegment() {
        return dropsBadSegment;
    }

    /** SYNs refused because the destination may not be reached. */
    public long dropsPolicy() {
        return dropsPolicy;
    }

    /** Resets sent for segments of no connection, refused destinations and connection caps. */
    public long resetsSent() {
        return resetsSent;
    }

    /** Closes every connection (at shutdown). */
    public void closeAll() {
        for (TcpConnectionKey key : java.util.List.copyOf(flows.keySet())) {
            finish(key, true);
        }
        demux.releaseAll();
    }

    EventLoop loop() {
        return loop;
    }
}
