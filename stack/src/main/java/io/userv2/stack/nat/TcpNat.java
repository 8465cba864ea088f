package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv4Forwarder;
import io.userv2.stack.gateway.NeighborCache;
import io.userv2.stack.tcp.IsnGenerator;
import io.userv2.stack.tcp.SegmentEmitter;
import io.userv2.stack.tcp.TcpCloseCause;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.tcp.TcpStats;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpHeader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * TCP at the gateway, sans-IO: every guest TCP connection that reaches the gateway (it is the guest's default route)
 * is terminated in our own endpoint ({@link TcpConnection}) and its bytes relayed to whatever serves the destination:
 * a host socket dialled first, or a {@link LocalTcpService} of the gateway (DNS on port 53). Over IPv4, and over IPv6
 * once {@link #enableIpv6} was called (NAT66: the {@link Nat66Policy} says where, the gateway's IPv6 addresses serve
 * the same local services, the MSS is the LAN's MTU - 60); one table, one set of caps and the same rules for both.
 *
 * <p>The rules it keeps:
 * <ul>
 *   <li><b>Dial-then-accept</b> (as gvisor-tap-vsock's forwarder): the guest's SYN is held unanswered until the host
 *       connect completes; then SYN-ACK. A refusal is answered with RST; an unreachable host or network with ICMP
 *       Destination Unreachable (RFC 1122 4.2.3.9); a dial that does not complete within the dial timeout with
 *       silence, so the guest's own connect times out.</li>
 *   <li><b>Admission:</b> caps per switch port ({@link OwnerQuotas}: connections, and host dials pending at once)
 *       and in total ({@link NatConfig#maxConnections()}); a SYN over a cap is answered with RST, counted against
 *       the port and reported. A guest that makes up source addresses still spends only its own port's share. A
 *       SYN for a four-tuple in TIME-WAIT starts a new connection (RFC 9293 3.10.7.4 allows it when the ISN is
 *       higher; we replace the old one).</li>
 *   <li><b>Unknown segments:</b> RFC 9293 3.10.7.1: a segment for no connection is answered with RST unless it is one.</li>
 *   <li><b>Ownership:</b> every flow belongs to the switch port its guest's segments come in on;
 *       {@link #portClosed} aborts them all (the guest is gone: the host peer sees RST at once).</li>
 *   <li><b>Faults stay in one flow:</b> an exception while working for a flow aborts that flow only (RST to the
 *       guest, RST to the host), is counted and reported to the {@link NatObserver}; the rest carries on.</li>
 *   <li><b>Backpressure:</b> a connection sends less while the switch queue towards its guest is long
 *       ({@link EgressGauge}), and goes on once it drained ({@link #resumeHeldBack}).</li>
 *   <li><b>Batching:</b> events only mark flows; each marked flow runs once at the end of the loop iteration
 *       ({@link #flush}), so every segment read in one batch is acknowledged together and the host socket is written
 *       once per batch.</li>
 * </ul>
 *
 * <p>Time comes in as {@code now} with every call; nothing here reads a clock or touches a socket. Engine thread only.
 */
public final class TcpNat {
    /** Below this many queued bytes towards a guest, its connections send more data. */
    static final int EGRESS_HIGH_WATER = 1 << 20;
    /** Connections held back by a long queue resume once it is below this. */
    static final int EGRESS_LOW_WATER = 512 * 1024;
    private static final int MAX_DISPATCH_ROUNDS = 64;
    /** Ephemeral ports the gateway uses for connections it opens into guests (Linux's default range). */
    private static final int EPHEMERAL_FIRST = 32768;
    private static final int EPHEMERAL_COUNT = 60999 - 32768 + 1;
    /** ARP requests for a guest that has not answered yet, at most this often. */
    private static final long ARP_RETRY_NANOS = 200_000_000L;
    /** How often a flow waiting for its guest's MAC looks at the ARP cache again. */
    private static final long ARP_POLL_NANOS = 2_000_000L;
    /** How often a held-back flow looks again when no flush wakes it (a guest that stopped reading). */
    private static final long HELD_BACK_RECHECK_NANOS = 10_000_000L;

    private final Gateway gateway;
    private final NatPolicy policy;
    /** The gateway's IPv6 side and the NAT66 policy, once {@link #enableIpv6} set them; null before. */
    private GatewayIpv6 v6;
    private Nat66Policy policy6;
    private final NatConfig config;
    private final ByteBufAllocator alloc;
    private final HostSockets host;
    private final EgressGauge egress;
    private final NatObserver observer;
    private final GuestErrors errors;
    private final OwnerQuotas quotas;
    /**
     * Every connection and its flow, by four-tuple: the one table (no second map of connections beside it, which cost
     * a lookup and an entry's memory per open and close).
     */
    private final NatFlowTable flows = new NatFlowTable();
    private final IsnGenerator isn;
    /** Counters shared by every connection. */
    private final TcpStats tcpStats = new TcpStats();
    private final TcpConfig tcpConfig;
    /** {@link #tcpConfig} for connections over IPv6: the MSS 20 bytes smaller ({@link TcpConfig#forIpv6()}). */
    private final TcpConfig tcpConfig6;
    /** The flow whose connection is emitting right now (its segments need no lookup), or null. */
    private NatTcpFlow dispatching;
    private final Map<Integer, LocalTcpService> localServices = new HashMap<>();
    private final FlowTimers timers = new FlowTimers();
    private final List<NatTcpFlow> touched = new ArrayList<>();
    private final List<NatTcpFlow> heldBack = new ArrayList<>();
    private final SegmentEmitter emitter = new SegmentEmitter() {
        /** One header for every connection's segments: the engine runs on one thread, and emit copies it out. */
        private final TcpHeader header = new TcpHeader();

        @Override
        public void emit(TcpConnectionKey key, TcpHeader segment, ByteBuf payload) {
            TcpNat.this.emit(key, segment, payload);
        }

        @Override
        public TcpHeader header() {
            return header;
        }
    };
    /**
     * The guest segment being handled: one view and one header re-pointed at every segment (engine thread only; a
     * nested {@link #forward} would get its own).
     */
    private final TcpPacket segmentView = TcpPacket.reusable();
    private final TcpHeader rx = new TcpHeader();
    private boolean forwarding;
    /** The reset being sent for a segment no connection takes. */
    private final TcpHeader rst = new TcpHeader();
    private int nextEphemeral;
    private long dropsBadSegment;
    private long dropsPolicy;
    private long dropsSource6;
    private long resetsSent;
    private long faults;
    private long dialTimeouts;
    private long dialFailures;
    private long abortedWithPort;
    private long connections6Opened;
    private long connections64Opened;
    private long refusedByLimit;

    TcpNat(Gateway gateway, NatPolicy policy, NatConfig config, ByteBufAllocator alloc, HostSockets host,
            EgressGauge egress, NatObserver observer, GuestErrors errors, OwnerQuotas quotas, byte[] isnSecret) {
        this.gateway = gateway;
        this.policy = policy;
        this.config = config;
        this.alloc = alloc;
        this.host = host;
        this.egress = egress;
        this.observer = observer;
        this.errors = errors;
        this.quotas = quotas;
        // No cap per guest address: addresses are what guests write. Per guest is per switch port here
        // (OwnerQuotas); the total is the table's size.
        this.isn = new IsnGenerator(isnSecret);
        this.tcpConfig = config.tcp();
        this.tcpConfig6 = tcpConfig.forIpv6();
    }

    /** Serves TCP to {@code port} of the gateway's own addresses with {@code service} (DNS on 53, say). */
    void serveLocally(int port, LocalTcpService service) {
        localServices.put(port, service);
    }

    /** Terminates guest TCP over IPv6 too, sent through {@code gateway6} and dialled where {@code nat66} says. */
    void enableIpv6(GatewayIpv6 gateway6, Nat66Policy nat66) {
        this.v6 = gateway6;
        this.policy6 = nat66;
    }

    /**
     * Takes one guest TCP segment for a destination the gateway terminates. The caller keeps the buffers.
     *
     * @return true (segments are always consumed: processed, answered with RST, or dropped and counted)
     */
    boolean forward(EthernetFrame frame, Ipv4Packet packet, int ingress, long now) {
        if (packet.isFragment()) {
            dropsBadSegment++;
            return true;
        }
        return parse(frame, packet.buffer(), packet.payloadOffset(), packet.payloadLength(), 0,
                TcpConnectionKey.mapped(packet.source()), 0, TcpConnectionKey.mapped(packet.destination()), ingress,
                now);
    }

    /**
     * Takes one guest TCP segment over IPv6 (NAT66; the gateway walked the header chain, the segment is at the
     * payload offset), as {@link #forward(EthernetFrame, Ipv4Packet, int, long)} does over IPv4. The caller keeps the
     * buffers.
     *
     * @return false only for a destination in {@code ::/64} (IPv4-mapped and the like), which the gateway answers;
     *     else true
     */
    boolean forward(EthernetFrame frame, Ipv6Packet packet, int ingress, long now) {
        if (packet.destinationHigh() == 0) {
            dropsPolicy++;
            return false;
        }
        if (packet.isFragment() || packet.sourceHigh() == 0) {
            dropsBadSegment++; // the gateway sends no fragments; an IPv4-mapped source is no guest's
            return true;
        }
        return parse(frame, packet.buffer(), packet.payloadOffset(), packet.payloadLength(), packet.sourceHigh(),
                packet.sourceLow(), packet.destinationHigh(), packet.destinationLow(), ingress, now);
    }

    /**
     * Parses the segment at {@code offset} of {@code buf} from {@code src} to {@code dst} (128-bit addresses, IPv4
     * ones mapped: {@code srcHigh == 0}), its checksum over the family's pseudo header (unless the config trusts
     * guest checksums), into the reused view and header (fresh ones when nested), and hands it on.
     */
    private boolean parse(EthernetFrame frame, ByteBuf buf, int offset, int length, long srcHigh, long srcLow,
            long dstHigh, long dstLow, int ingress, long now) {
        boolean nested = forwarding;
        forwarding = true;
        try {
            TcpPacket tcp = nested ? TcpPacket.reusable() : segmentView;
            TcpHeader seg = nested ? new TcpHeader() : rx;
            if (tcp.wrap(buf, offset, length) != null || (srcHigh == 0
                    ? seg.parse(tcp, (int) srcLow, (int) dstLow, config.verifyTcpChecksums())
                    : seg.parseIpv6(tcp, srcHigh, srcLow, dstHigh, dstLow, config.verifyTcpChecksums())) != null) {
                dropsBadSegment++;
                return true;
            }
            return segment(frame, srcHigh, srcLow, dstHigh, dstLow, ingress, now, tcp, seg);
        } finally {
            forwarding = nested;
        }
    }

    /**
     * One parsed guest segment {@code seg} (in {@code tcp}) from {@code src} to {@code dst}, both families: the
     * addresses are 128 bits in two longs, IPv4 ones IPv4-mapped ({@code srcHigh == 0}), as in
     * {@link TcpConnectionKey}.
     */
    private boolean segment(EthernetFrame frame, long srcHigh, long srcLow, long dstHigh, long dstLow, int ingress,
            long now, TcpPacket tcp, TcpHeader seg) {
        // One lookup per segment, from the header's fields: the table holds every connection's flow.
        NatTcpFlow flow = flows.get(srcHigh, srcLow, seg.srcPort(), dstHigh, dstLow, seg.dstPort());
        boolean freshSyn = seg.control() == TcpControl.SYN && !seg.hasAck();
        if (flow != null && !(freshSyn && flow.conn.acceptsNewSyn(seg))) {
            flow.guestMac = frame.source();
            if (flow.owner == Ipv4Forwarder.NO_OWNER && ingress != Ipv4Forwarder.NO_OWNER) {
                // A connection we opened (a port forward): owned by the port the guest answers from, and counted
                // there (never refused: the host side asked for it).
                flow.owner = ingress;
                quotas.force(ingress, OwnerQuotas.Kind.TCP);
                flow.countsTcp = true;
            }
            try {
                flow.conn.process(seg, tcp.buffer(), tcp.payloadOffset(), seg.payloadLength(), now);
            } catch (RuntimeException e) {
                fail(flow, e);
                return true;
            }
            touch(flow);
            return true;
        }
        long guestMac = frame.source();
        TcpConnectionKey key = new TcpConnectionKey(srcHigh, srcLow, seg.srcPort(), dstHigh, dstLow, seg.dstPort());
        if (!freshSyn) {
            // RFC 9293 3.10.7.1: a segment for no connection is answered with RST (unless it is one).
            sendReset(guestMac, key, seg);
            return true;
        }
        if (srcHigh != 0 && !v6.isGuestAddress(srcHigh, srcLow)) {
            // RFC 2827 ingress filtering, where flows are made: only link-local and in-prefix guests are relayed
            dropsSource6++;
            return true;
        }
        if (flow != null) {
            finish(flow, false); // TIME-WAIT reuse: the old connection goes
        }
        boolean ipv6 = key.isIpv6();
        boolean local = (ipv6 ? v6.owns(dstHigh, dstLow) : gateway.owns(key.localIpv4()))
                && localServices.containsKey(seg.dstPort());
        // over IPv6, route() gives an IPv4 address for the NAT64 prefix: dialled with an IPv4 host socket
        IpAddress real = local ? null : ipv6 ? policy6.route(key.localIpv6()) : policy.translate(key.localAddress());
        if (!local && real == null) {
            dropsPolicy++;
            sendReset(guestMac, key, seg);
            return true;
        }
        // Caps: the guest's port first (its connections, its pending dials), then the total.
        if (!quotas.tryTake(ingress, OwnerQuotas.Kind.TCP, now)) {
            sendReset(guestMac, key, seg);
            return true;
        }
        if (!local && !quotas.tryTake(ingress, OwnerQuotas.Kind.PENDING_DIAL, now)) {
            quotas.release(ingress, OwnerQuotas.Kind.TCP);
            sendReset(guestMac, key, seg);
            return true;
        }
        if (atTotalCap()) {
            quotas.release(ingress, OwnerQuotas.Kind.TCP);
            if (!local) {
                quotas.release(ingress, OwnerQuotas.Kind.PENDING_DIAL);
            }
            sendReset(guestMac, key, seg);
            return true;
        }
        // SYN_PENDING until the dial (or the local service) decides; RFC 6528 initial sequence number
        TcpConnection conn = TcpConnection.acceptSyn(key, seg, configFor(key), alloc, tcpStats, isn.next(key, now),
                now);
        if (local) {
            conn.accept(now);
            LocalTcpFlow[] self = new LocalTcpFlow[1];
            self[0] = new LocalTcpFlow(conn, guestMac, ingress, localServices.get(seg.dstPort()),
                    () -> touch(self[0]), config.localIdleTimeoutNanos(), now);
            flow = self[0];
            flow.countsTcp = true;
        } else {
            HostTcpRelay relay = new HostTcpRelay(conn, guestMac, ingress, now + config.dialTimeoutNanos());
            flow = relay;
            flow.countsTcp = true;
            flow.countsPendingDial = true;
            try {
                relay.dialling(real instanceof Ipv6Address r6 ? host.dialTcp6(relay, r6, seg.dstPort())
                        : host.dialTcp(relay, (Ipv4Address) real, seg.dstPort()));
            } catch (IOException | RuntimeException e) {
                dialFailures++;
                dialDone(flow);
                relay.closeOtherEnd(false); // there is no socket: the relay has nothing to pump
                conn.refuse(now); // no connect could even start: RST to the guest's SYN
            }
        }
        flows.put(flow);
        touch(flow);
        if (ipv6) {
            connections6Opened++;
            if (real instanceof Ipv4Address) {
                connections64Opened++;
            }
        }
        return true;
    }

    /** The host connect of {@code flow} completed. */
    void hostConnected(NatTcpFlow flow, long now) {
        if (flow instanceof HostTcpRelay relay && !flow.finished) {
            dialDone(flow);
            try {
                relay.hostConnected(now);
            } catch (RuntimeException e) {
                fail(flow, e);
                return;
            }
            touch(flow);
        }
    }

    /** The host connect of {@code flow} failed for {@code why}. */
    void hostDialFailed(NatTcpFlow flow, DialFailure why, long now) {
        if (!(flow instanceof HostTcpRelay relay) || flow.finished || !relay.connecting()) {
            return;
        }
        dialFailures++;
        dialDone(flow);
        relay.closeOtherEnd(false);
        switch (why) {
            case REFUSED -> {
                if (flow.conn.state() == TcpState.SYN_PENDING) {
                    flow.conn.refuse(now); // the host said no: RST to the guest's SYN
                }
                touch(flow);
            }
            case HOST_UNREACHABLE, NET_UNREACHABLE -> {
                errors.tcpUnreachable(flow, why, now);
                finish(flow, false);
            }
            case OTHER -> finish(flow, false); // say nothing: the guest's SYN times out
        }
    }

    /** The dial of {@code flow} is decided: it no longer counts as pending. */
    private void dialDone(NatTcpFlow flow) {
        if (flow.countsPendingDial) {
            flow.countsPendingDial = false;
            quotas.release(flow.owner, OwnerQuotas.Kind.PENDING_DIAL);
        }
    }

    /** The host socket of {@code flow} has data or EOF to read. */
    void hostReadable(NatTcpFlow flow) {
        if (flow instanceof HostTcpRelay relay && !flow.finished) {
            relay.hostReadable();
            touch(flow);
        }
    }

    /** The host socket of {@code flow} takes more bytes. */
    void hostWritable(NatTcpFlow flow) {
        if (!flow.finished) {
            touch(flow);
        }
    }

    /** Notes that {@code flow} has news: it runs once at the end of this loop iteration ({@link #flush}). */
    private void touch(NatTcpFlow flow) {
        if (!flow.touched && !flow.finished) {
            flow.touched = true;
            touched.add(flow);
        }
    }

    /** True when some flow waits for {@link #flush}. */
    boolean hasWork() {
        return !touched.isEmpty();
    }

    /** Runs every flow that had news in this loop iteration. */
    void flush(long now) {
        for (int i = 0; i < touched.size(); i++) {
            NatTcpFlow flow = touched.get(i);
            flow.touched = false;
            if (!flow.finished) {
                try {
                    afterEvent(flow, now);
                } catch (RuntimeException e) {
                    fail(flow, e);
                }
            }
        }
        touched.clear();
    }

    /**
     * Opens a connection from the gateway into a guest (a port forward): an active open from the gateway's address
     * and a fresh ephemeral port to {@code guest:port}, relayed to {@code socket}, an accepted host connection. An
     * IPv6 guest is reached from the gateway's IPv6 address of the same scope (its link-local one for a link-local
     * guest), once {@link #enableIpv6} was called.
     *
     * @return the flow, or null when a connection cap refuses it, IPv6 is off or the guest is not on the LAN (the
     *     caller closes {@code socket})
     */
    NatTcpFlow openToGuest(IpAddress guest, int port, HostTcpSocket socket, long now) {
        TcpConnection conn = connectToGuest(guest, port, now);
        if (conn == null) {
            return null;
        }
        HostTcpRelay relay = new HostTcpRelay(conn, NatTcpFlow.NO_MAC, Ipv4Forwarder.NO_OWNER, Long.MAX_VALUE);
        relay.connected(socket);
        flows.put(relay);
        touch(relay);
        return relay;
    }

    /** Like {@link #openToGuest} but only to learn whether {@code guest:port} accepts connections. */
    CompletableFuture<Boolean> probe(IpAddress guest, int port, long timeoutNanos, long now) {
        TcpConnection conn = connectToGuest(guest, port, now);
        if (conn == null) {
            return CompletableFuture.completedFuture(false);
        }
        GuestProbe flow = new GuestProbe(conn, Ipv4Forwarder.NO_OWNER, now + timeoutNanos);
        flows.put(flow);
        touch(flow);
        return flow.result();
    }

    /**
     * An active open from the gateway's address (of the guest's family) and a free ephemeral port; null when a cap
     * refuses it, for an IPv4 guest off the subnet (or the gateway's own address, the subnet's network or broadcast
     * one), or for an IPv6 guest while IPv6 is off or at an address that is no guest's on this LAN (neither
     * link-local nor in the prefix, or the gateway's own: else the gateway would solicit any address on the LAN, and
     * whichever VM answered would get the host's connections).
     */
    private TcpConnection connectToGuest(IpAddress guest, int port, long now) {
        Ipv6Address from = null;
        if (guest instanceof Ipv6Address g6) {
            if (v6 == null || !v6.isGuestAddress(g6)) {
                return null;
            }
            from = v6.sourceFor(g6);
        } else if (!gateway.isGuestAddress((Ipv4Address) guest)) {
            return null; // off the subnet, its network or broadcast address, or the gateway's own
        }
        for (int tries = 0; tries < EPHEMERAL_COUNT; tries++) {
            int local = EPHEMERAL_FIRST + (nextEphemeral++ % EPHEMERAL_COUNT);
            TcpConnectionKey candidate = from != null ? new TcpConnectionKey((Ipv6Address) guest, port, from, local)
                    : new TcpConnectionKey((Ipv4Address) guest, port, gateway.ip(), local);
            if (flows.get(candidate) == null) {
                return atTotalCap() ? null
                        : TcpConnection.connect(candidate, configFor(candidate), alloc, tcpStats,
                                isn.next(candidate, now), now);
            }
        }
        return null;
    }

    /** True (and the refusal counted) when the table holds {@link NatConfig#maxConnections()} connections. */
    private boolean atTotalCap() {
        if (flows.size() >= config.maxConnections()) {
            refusedByLimit++;
            return true;
        }
        return false;
    }

    /** The configuration of a connection with {@code key}: the MSS follows its IP header's size. */
    private TcpConfig configFor(TcpConnectionKey key) {
        return key.isIpv6() ? tcpConfig6 : tcpConfig;
    }

    /**
     * The guest's MAC for a flow that does not know it yet (a port forward's first SYN): from the gateway's ARP
     * cache, else an ARP request (at most every {@link #ARP_RETRY_NANOS}) and {@link NatTcpFlow#NO_MAC}; over IPv6
     * from the neighbour cache, else a Neighbor Solicitation (RFC 4861 7.2.2; the cache paces its retries) and
     * {@link NatTcpFlow#NO_MAC}.
     */
    private long resolveGuest(NatTcpFlow flow, long now) {
        TcpConnectionKey key = flow.conn.key();
        if (key.isIpv6()) {
            long mac6 = now - flow.arpSentAt >= ARP_RETRY_NANOS || flow.arpSentAt == 0
                    ? v6.neighbors().resolve(key.remoteIpv6(), Ipv4Forwarder.NO_OWNER, now)
                    : v6.neighbors().lookup(key.remoteHigh(), key.remoteLow());
            if (mac6 == NeighborCache.NONE) {
                flow.arpSentAt = now;
                return NatTcpFlow.NO_MAC;
            }
            flow.guestMac = mac6;
            return mac6;
        }
        long mac = gateway.arpCache().lookup(key.remoteIpv4(), now);
        if (mac != ArpCache.NONE) {
            flow.guestMac = mac;
            return mac;
        }
        if (now - flow.arpSentAt >= ARP_RETRY_NANOS || flow.arpSentAt == 0) {
            flow.arpSentAt = now;
            gateway.sendArpRequest(flow.conn.key().remoteAddress());
        }
        return NatTcpFlow.NO_MAC;
    }

    /** Runs the flow's relay, the connection's output and timers, and retires it when it is done. */
    private void afterEvent(NatTcpFlow flow, long now) {
        if (flow instanceof HostTcpRelay relay && relay.dialTimedOut(now)) {
            dialTimeouts++;
            finish(flow, false); // silence: the guest's SYN times out, as for an unreachable host
            return;
        }
        TcpConnection conn = flow.conn;
        flow.pump(now);
        if (flow.finished) {
            return;
        }
        if (flow.guestMac == NatTcpFlow.NO_MAC && resolveGuest(flow, now) == NatTcpFlow.NO_MAC) {
            schedule(flow, now + ARP_POLL_NANOS); // nothing can be sent before the guest's MAC is known
            return;
        }
        for (int i = 0; i < MAX_DISPATCH_ROUNDS && conn.pollAt() - now <= 0; i++) {
            int budget = EGRESS_HIGH_WATER - egress.queuedToward(flow.guestMac);
            dispatching = flow;
            try {
                conn.dispatch(now, emitter, Math.max(budget, 0));
            } finally {
                dispatching = null;
            }
            if (budget <= 0 || egress.queuedToward(flow.guestMac) >= EGRESS_HIGH_WATER) {
                if (conn.pollAt() - now <= 0 && !flow.heldBack) {
                    flow.heldBack = true; // data waits for the queue to drain: resumeHeldBack wakes it
                    heldBack.add(flow);
                }
                break;
            }
        }
        if (conn.state() == TcpState.CLOSED && conn.pollAt() == Long.MAX_VALUE) {
            finish(flow, conn.closeCause() != TcpCloseCause.NORMAL);
            return;
        }
        long own = flow.deadline();
        // Held back, output is "due" but waits for the queue: look again in a while even if it never drains.
        long at = flow.heldBack ? now + HELD_BACK_RECHECK_NANOS : conn.pollAt();
        schedule(flow, own != Long.MAX_VALUE && (at == Long.MAX_VALUE || own - at < 0) ? own : at);
    }

    /** After the switch has written its queues: flows held back by a long queue go on once it has drained enough. */
    void resumeHeldBack() {
        for (int i = heldBack.size() - 1; i >= 0; i--) {
            NatTcpFlow flow = heldBack.get(i);
            if (flow.finished || egress.queuedToward(flow.guestMac) < EGRESS_LOW_WATER) {
                flow.heldBack = false;
                heldBack.set(i, heldBack.get(heldBack.size() - 1)); // order does not matter: O(1) removal
                heldBack.remove(heldBack.size() - 1);
                touch(flow);
            }
        }
    }

    private void schedule(NatTcpFlow flow, long at) {
        if (at == Long.MAX_VALUE || at - flow.queuedAt >= 0 && flow.queuedAt != Long.MAX_VALUE) {
            return; // an earlier (or equal) wake-up is already queued; it re-checks when it fires
        }
        timers.schedule(flow, at);
    }

    /** The earliest time {@link #poll} has work, or Long.MAX_VALUE. */
    long pollAt() {
        NatTcpFlow first = timers.peek();
        return first == null ? Long.MAX_VALUE : first.queuedAt;
    }

    /** Marks every flow whose timer is due at {@code now}; {@link #flush} runs them. */
    void poll(long now) {
        NatTcpFlow f;
        while ((f = timers.peek()) != null && f.queuedAt - now <= 0) {
            timers.poll();
            touch(f);
        }
    }

    /**
     * The switch port {@code owner} is gone (its VM disconnected, crashed or was destroyed): every flow it owned is
     * aborted, the host peers see RST, and everything the flows held is released.
     *
     * @return the number of flows aborted
     */
    int portClosed(int owner, long now) {
        List<NatTcpFlow> gone = new ArrayList<>();
        for (NatTcpFlow f : flows.snapshot()) {
            if (f.owner == owner) {
                gone.add(f);
            }
        }
        for (NatTcpFlow f : gone) {
            finish(f, true);
        }
        abortedWithPort += gone.size();
        return gone.size();
    }

    /** Removes a flow and its connection; {@code reset} closes the other end abortively. Never throws. */
    private void finish(NatTcpFlow flow, boolean reset) {
        if (flow.finished) {
            return;
        }
        flow.finished = true;
        flows.remove(flow);
        timers.remove(flow);
        // a held-back flow stays in that list until resumeHeldBack passes it (it drops finished flows): no linear
        // search here
        flow.heldBack = false;
        dialDone(flow);
        if (flow.countsTcp) {
            flow.countsTcp = false;
            quotas.release(flow.owner, OwnerQuotas.Kind.TCP);
        }
        try {
            flow.closeOtherEnd(reset);
        } catch (RuntimeException e) {
            faults++;
            observer.flowFailed(flow.toString(), e);
        }
        flow.conn.release();
    }

    /**
     * A fault while working for {@code flow}: counted, reported, and the flow aborted (RST to the guest if the
     * connection can still say it, RST to the host) without touching any other flow.
     */
    private void fail(NatTcpFlow flow, RuntimeException e) {
        faults++;
        observer.flowFailed(flow.toString(), e);
        try {
            if (flow.guestMac != NatTcpFlow.NO_MAC && flow.conn.state() != TcpState.CLOSED) {
                flow.conn.abort();
                flow.conn.dispatch(flow.conn.pollAt(), emitter);
            }
        } catch (RuntimeException again) {
            // the connection itself is broken: the guest hears nothing, its next segment gets RST as unknown
        }
        finish(flow, true);
    }

    private void emit(TcpConnectionKey key, TcpHeader segment, ByteBuf payload) {
        try {
            NatTcpFlow current = dispatching;
            NatTcpFlow flow = current != null && current.conn.key() == key ? current : flows.get(key);
            long to = flow != null ? flow.guestMac : NatTcpFlow.NO_MAC;
            if (to == NatTcpFlow.NO_MAC) {
                return;
            }
            if (key.isIpv6()) {
                v6.sendTcp(to, key.localHigh(), key.localLow(), key.remoteHigh(), key.remoteLow(), segment, payload);
            } else {
                gateway.sendTcp(to, key.localIpv4(), key.remoteIpv4(), segment, payload);
            }
        } finally {
            payload.release();
        }
    }

    /**
     * Answers the guest's {@code seg}, of the connection {@code key} would name, with the reset RFC 9293 prescribes
     * (none when it is a RST itself), from the address it was sent to.
     */
    private void sendReset(long to, TcpConnectionKey key, TcpHeader seg) {
        if (!TcpConnection.resetFor(seg, rst)) {
            return;
        }
        resetsSent++;
        if (key.isIpv6()) {
            v6.sendTcp(to, key.localHigh(), key.localLow(), key.remoteHigh(), key.remoteLow(), rst,
                    Unpooled.EMPTY_BUFFER);
        } else {
            gateway.sendTcp(to, key.localIpv4(), key.remoteIpv4(), rst, Unpooled.EMPTY_BUFFER);
        }
    }

    /** Gives back the empty receive chunks the connections keep for reuse; returns the bytes given back. */
    long releaseIdleBuffers() {
        long released = 0;
        for (NatTcpFlow f : flows.snapshot()) {
            released += f.conn.releaseIdleBuffers();
        }
        return released;
    }

    /** Closes every connection (at shutdown): the host peers see RST. */
    void closeAll() {
        for (NatTcpFlow f : flows.snapshot()) {
            finish(f, true);
        }
    }

    /** Live guest connections. */
    public int connections() {
        return flows.size();
    }

    /** The counters all connections share. */
    public TcpStats stats() {
        return tcpStats;
    }

    /** SYNs (and connections into guests) refused because {@link NatConfig#maxConnections()} were open. */
    public long refusedByLimit() {
        return refusedByLimit;
    }

    /** Segments dropped as malformed or with a bad checksum. */
    public long dropsBadSegment() {
        return dropsBadSegment;
    }

    /** SYNs refused because the destination may not be reached. */
    public long dropsPolicy() {
        return dropsPolicy;
    }

    /** IPv6 SYNs dropped because their source is neither link-local nor in the LAN's prefix (or is the gateway's). */
    public long dropsSource6() {
        return dropsSource6;
    }

    /** Resets sent for segments of no connection, refused destinations and connection caps. */
    public long resetsSent() {
        return resetsSent;
    }

    /** Flows aborted because of an exception while working for them. */
    public long faults() {
        return faults;
    }

    /** Host connects that did not complete within the dial timeout. */
    public long dialTimeouts() {
        return dialTimeouts;
    }

    /** Host connects that failed (refused, unreachable, or could not start). */
    public long dialFailures() {
        return dialFailures;
    }

    /** Guest connections over IPv6 admitted so far (NAT66, dialled or served locally). */
    public long connections6Opened() {
        return connections6Opened;
    }

    /** Of {@link #connections6Opened}, those relayed to an IPv4 host socket (NAT64). */
    public long connections64Opened() {
        return connections64Opened;
    }

    /** Flows aborted because the switch port that owned them closed. */
    public long abortedWithPort() {
        return abortedWithPort;
    }
}
