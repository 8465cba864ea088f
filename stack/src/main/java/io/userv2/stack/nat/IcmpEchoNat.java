package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.MacAddress;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ICMP echo ("ping") through the gateway, sans-IO: one host ping socket ({@link HostPingSocket}) per flow, a flow
 * being a guest's echo identifier towards one destination on one switch port; replies go back to the guest from the
 * address it pinged, with its own identifier and the sequence number and data the host's reply carries (the kernel
 * gave the request an identifier of its own and matched the reply by it). Flows close after the idle timeout without
 * a request or reply, count against their port's cap ({@link OwnerQuotas.Kind#ICMP_ECHO}) and the total, and go with
 * their port ({@link #portClosed}).
 *
 * <p>What is dropped, and counted, so that the guest's ping times out as it would on a real network: destinations
 * the {@link NatPolicy} refuses (link-local, {@code --no-outside} without a rule, ...); every ICMP message to other
 * destinations that is not an echo request (RFC 792 type 8, code 0); messages that are truncated or fail their
 * checksum; requests over a cap; and every request while the host does not let this process open ping sockets
 * ({@link PingSocketsUnavailable}: then no socket is tried again for {@link #UNAVAILABLE_RETRY_NANOS}, so a flood
 * costs no system call per packet). Echo requests to the gateway's own addresses never get here: the gateway answers
 * them itself. Engine thread only.
 *
 * <p>ICMPv6 (NAT66, once {@link #enableIpv6} was called) goes the same way through ICMPv6 ping sockets
 * ({@link HostSockets#openPing6}), with counters of its own ({@link #counters6()}), in the same table under the same
 * caps, to where the {@link Nat66Policy} says; requests to the gateway's own IPv6 addresses are answered by the gateway
 * itself, as over IPv4. Where IPv6 differs, it does as the rest of NAT66 does: a destination the policy refuses is
 * left to the gateway, which answers "no route" (RFC 4443 3.1 code 0), and while the host refuses ping sockets the
 * request is answered with destination unreachable code 1, "communication with destination administratively
 * prohibited" (rate limited), so {@code ping -6} says at once why instead of timing out.
 */
public final class IcmpEchoNat {
    /** Most replies taken from one ping socket per readiness event, so one busy flow cannot hog the loop. */
    private static final int REPLIES_PER_EVENT = 64;
    /** The largest ICMP message IPv4 carries: 65,535 - 20 (IPv4 header). */
    static final int MAX_MESSAGE = 65_515;
    /** The largest ICMPv6 message IPv6 carries without jumbograms: 65,535 (Payload Length). */
    static final int MAX_MESSAGE6 = 65_535;
    /** How long no ping socket is tried after the host refused one with {@link PingSocketsUnavailable}. */
    static final long UNAVAILABLE_RETRY_NANOS = 1_000_000_000L;

    /** What ICMP echo NAT did, for statistics. */
    public static final class Counters {
        long flowsOpened;
        long requestsToHost;
        long repliesToGuest;
        long dropsPolicy;
        long dropsFlowLimit;
        long dropsBadPacket;
        long dropsSource;
        long dropsNotEcho;
        long dropsUnavailable;
        long dropsHostBusy;
        long dropsBadReply;
        long hostErrors;

        /** Flows opened so far. */
        public long flowsOpened() {
            return flowsOpened;
        }

        /** Echo requests sent from guests to hosts. */
        public long requestsToHost() {
            return requestsToHost;
        }

        /** Echo replies sent back to guests. */
        public long repliesToGuest() {
            return repliesToGuest;
        }

        /** Echo requests to destinations the policy refuses (their pings time out). */
        public long dropsPolicy() {
            return dropsPolicy;
        }

        /** Echo requests dropped because this host lets the process open no ping sockets. */
        public long dropsUnavailable() {
            return dropsUnavailable;
        }

        /** ICMP messages to other destinations that are not echo requests. */
        public long dropsNotEcho() {
            return dropsNotEcho;
        }

        /** Messages dropped for any reason: policy, caps, malformed, not an echo request, no ping sockets, ... */
        public long drops() {
            return dropsPolicy + dropsFlowLimit + dropsBadPacket + dropsSource + dropsNotEcho + dropsUnavailable
                    + dropsHostBusy + dropsBadReply;
        }

        /** IPv6 requests that would have opened a flow from a source neither link-local nor in the LAN's prefix. */
        public long dropsSource() {
            return dropsSource;
        }

        /** Host socket errors (opening, sending, or an error the socket reported). */
        public long hostErrors() {
            return hostErrors;
        }
    }

    private final Gateway lan;
    private final NatPolicy policy;
    private final HostSockets host;
    private final OwnerQuotas quotas;
    private final NatObserver observer;
    private final ByteBufAllocator alloc;
    private final long idleTimeout;
    private final int maxFlows;
    private final Map<IcmpFlowKey, NatIcmpFlow> flows = new HashMap<>();
    private final Counters counters = new Counters();
    private final Counters counters6 = new Counters();
    /** ICMPv6 echo relayed through IPv4 ping sockets (NAT64), counted apart from {@link #counters6}. */
    private final Counters counters64 = new Counters();
    /** The IPv6 flows among {@link #flows}. */
    private int flows6;
    /** The gateway's IPv6 side and the NAT66 policy, once {@link #enableIpv6} set them; null before. */
    private GatewayIpv6 lan6;
    private Nat66Policy policy6;
    private long nextExpiry = Long.MAX_VALUE;
    /** Whether the host lets this process open ping sockets, per family (IPv6 may be off where IPv4 works). */
    private final Availability availability = new Availability();
    private final Availability availability6 = new Availability();
    /** One buffer every host reply is received into (the gateway copies it into the frame it sends). */
    private ByteBuf receiveBuffer;

    IcmpEchoNat(Gateway lan, NatPolicy policy, HostSockets host, OwnerQuotas quotas, NatObserver observer,
            ByteBufAllocator alloc, long idleTimeout, int maxFlows) {
        this.lan = lan;
        this.policy = policy;
        this.host = host;
        this.quotas = quotas;
        this.observer = observer;
        this.alloc = alloc;
        this.idleTimeout = idleTimeout;
        this.maxFlows = maxFlows;
    }

    /** Serves guest ICMPv6 echo too, sent through {@code v6} to where {@code policy} says. */
    void enableIpv6(GatewayIpv6 v6, Nat66Policy policy) {
        this.lan6 = v6;
        this.policy6 = policy;
    }

    /**
     * Takes one guest ICMP message for a destination the gateway does not serve itself. The caller keeps the buffers.
     *
     * @return true (the message is always consumed: sent, or dropped and counted)
     */
    boolean forward(EthernetFrame frame, Ipv4Packet packet, int ingress, long now) {
        Icmpv4Packet icmp = Icmpv4Packet.checked(packet).orNull();
        if (icmp == null || !icmp.verifyChecksum()) {
            counters.dropsBadPacket++;
            return true;
        }
        if (icmp.type() != Icmpv4Packet.TYPE_ECHO_REQUEST) {
            counters.dropsNotEcho++; // errors, replies, timestamps ...: nothing a ping socket sends
            return true;
        }
        if (icmp.code() != 0) {
            counters.dropsBadPacket++; // RFC 792, Echo: "Code 0"; Linux refuses to send any other (EINVAL)
            return true;
        }
        IcmpFlowKey key = new IcmpFlowKey(ingress, new Ipv4Address(packet.source()), icmp.echoIdentifier(),
                new Ipv4Address(packet.destination()));
        NatIcmpFlow flow = flows.get(key);
        Ipv4Address real = null;
        if (flow == null && (real = policy.translate((Ipv4Address) key.destination())) == null) {
            counters.dropsPolicy++; // silently: the guest's ping times out, as behind a filtering router
            return true;
        }
        request(key, flow, real, frame, icmp.buffer().slice(icmp.offset(), icmp.length()), now);
        return true;
    }

    /**
     * Takes one guest ICMPv6 message for a destination beyond the LAN (the gateway verified the packet's header
     * chain). The caller keeps the buffers.
     *
     * @return false when the policy refuses the destination (the gateway answers it), else true (sent, or dropped
     *         and counted)
     */
    boolean forward(EthernetFrame frame, Ipv6Packet packet, int ingress, long now) {
        Icmpv6Packet icmp = Icmpv6Packet.checked(packet).orNull();
        if (icmp == null || packet.isFragment() || !icmp.verifyChecksum(packet)) {
            counters6.dropsBadPacket++;
            return true;
        }
        if (icmp.type() != Icmpv6Packet.TYPE_ECHO_REQUEST) {
            counters6.dropsNotEcho++; // errors, replies, MLD ...: nothing a ping socket sends
            return true;
        }
        if (icmp.code() != 0) {
            counters6.dropsBadPacket++; // RFC 4443 4.1: "Code 0"; Linux refuses to send any other (EINVAL)
            return true;
        }
        IcmpFlowKey key = new IcmpFlowKey(ingress, packet.source(), icmp.echoIdentifier(), packet.destination());
        NatIcmpFlow flow = flows.get(key);
        if (flow == null && !lan6.isGuestAddress(packet.sourceHigh(), packet.sourceLow())) {
            // RFC 2827 ingress filtering, where flows are made: only link-local and in-prefix guests are relayed
            (policy6.isNat64((Ipv6Address) key.destination()) ? counters64 : counters6).dropsSource++;
            return true;
        }
        IpAddress real = null; // an IPv4 address for the NAT64 prefix: an IPv4 ping socket
        if (flow == null && (real = policy6.route((Ipv6Address) key.destination())) == null) {
            (policy6.isNat64((Ipv6Address) key.destination()) ? counters64 : counters6).dropsPolicy++;
            return false;
        }
        if (request(key, flow, real, frame, icmp.buffer().slice(icmp.offset(), icmp.length()), now)
                == Outcome.UNAVAILABLE) {
            // The host's policy refuses ping sockets: say so at once, as a router whose filter refuses it would.
            lan6.sendDestinationUnreachable(MacAddress.of(frame.source()), lan6.sourceFor(packet.source()),
                    Icmpv6Packet.CODE_ADMIN_PROHIBITED, packet.buffer().slice(packet.offset(), packet.length()), now);
        }
        return true;
    }

    private enum Outcome { SENT, DROPPED, UNAVAILABLE }

    /** True after the host refused ping sockets of one family, until one opens; none is tried before retryAt. */
    private static final class Availability {
        boolean unavailable;
        long retryAt;
    }

    /**
     * Sends echo request {@code message} of flow {@code key} on the flow's ping socket; when there is no
     * {@code flow} yet, it is opened first, to {@code real} (where the key's destination translates).
     */
    private Outcome request(IcmpFlowKey key, NatIcmpFlow flow, IpAddress real, EthernetFrame frame, ByteBuf message,
            long now) {
        boolean nat64 = flow != null ? flow.nat64 : key.ipv6() && real instanceof Ipv4Address;
        Counters c = nat64 ? counters64 : key.ipv6() ? counters6 : counters;
        MacAddress guestMac = MacAddress.of(frame.source());
        if (flow == null) {
            Availability a = real instanceof Ipv6Address ? availability6 : availability;
            if (a.unavailable && now - a.retryAt < 0) {
                c.dropsUnavailable++;
                return Outcome.UNAVAILABLE;
            }
            flow = open(key, real, guestMac, a, now);
            if (flow == null) {
                return a.unavailable ? Outcome.UNAVAILABLE : Outcome.DROPPED;
            }
        }
        flow.guestMac = guestMac;
        flow.lastActive = now;
        ByteBuf translated = null;
        try {
            if (nat64) {
                // RFC 7915 4.2 (IPv6 to IPv4): "Echo Request and Echo Reply (Type 128 and 129): Adjust the Type values
                // to 8 and 0, respectively, and adjust the ICMP checksum" (the kernel computes it).
                translated = alloc.heapBuffer(message.readableBytes());
                translated.writeBytes(message, message.readerIndex(), message.readableBytes());
                translated.setByte(0, Icmpv4Packet.TYPE_ECHO_REQUEST);
                translated.setShort(2, 0);
                message = translated;
            }
            // The kernel puts in the socket's identifier and the checksum; sequence number and data go as they are.
            if (flow.socket.send(message)) {
                c.requestsToHost++;
                return Outcome.SENT;
            }
            c.dropsHostBusy++;
        } catch (IOException e) {
            c.hostErrors++;
        } catch (RuntimeException e) {
            failed(flow, e);
        } finally {
            if (translated != null) {
                translated.release();
            }
        }
        return Outcome.DROPPED;
    }

    private NatIcmpFlow open(IcmpFlowKey key, IpAddress real, MacAddress guestMac, Availability a, long now) {
        boolean nat64 = key.ipv6() && real instanceof Ipv4Address;
        Counters c = nat64 ? counters64 : key.ipv6() ? counters6 : counters;
        if (flows.size() >= maxFlows) {
            c.dropsFlowLimit++;
            return null;
        }
        if (!quotas.tryTake(key.owner(), OwnerQuotas.Kind.ICMP_ECHO, now)) {
            c.dropsFlowLimit++; // this guest's port is at its cap; the others are not
            return null;
        }
        NatIcmpFlow flow = new NatIcmpFlow(key, guestMac, now);
        flow.nat64 = nat64;
        try {
            flow.socket = real instanceof Ipv6Address r6 ? host.openPing6(flow, r6)
                    : host.openPing(flow, (Ipv4Address) real);
            a.unavailable = false;
        } catch (PingSocketsUnavailable e) {
            quotas.release(key.owner(), OwnerQuotas.Kind.ICMP_ECHO);
            c.dropsUnavailable++;
            a.unavailable = true;
            a.retryAt = now + UNAVAILABLE_RETRY_NANOS;
            return null;
        } catch (IOException e) {
            quotas.release(key.owner(), OwnerQuotas.Kind.ICMP_ECHO);
            c.hostErrors++;
            a.unavailable = false;
            return null;
        }
        flows.put(key, flow);
        if (key.ipv6()) {
            flows6++;
        }
        c.flowsOpened++;
        if (nextExpiry == Long.MAX_VALUE) {
            nextExpiry = now + idleTimeout;
        }
        return flow;
    }

    /** The ping socket of {@code flow} has replies (or an error) to read: they go to the guest. */
    void hostReadable(NatIcmpFlow flow, long now) {
        if (flow.closed) {
            return;
        }
        if (receiveBuffer == null) {
            receiveBuffer = alloc.directBuffer(MAX_MESSAGE6 + 1, MAX_MESSAGE6 + 1);
        }
        ByteBuf buf = receiveBuffer;
        IcmpFlowKey k = flow.key;
        Counters c = countersOf(flow);
        try {
            for (int i = 0; i < REPLIES_PER_EVENT; i++) {
                buf.clear();
                int n;
                try {
                    n = flow.socket.receive(buf);
                } catch (IOException e) {
                    c.hostErrors++; // an ICMP error about an earlier request, say: the guest's ping times out
                    return;
                }
                if (n < 0) {
                    return;
                }
                flow.lastActive = now;
                // RFC 792: "The identifier and sequence number may be used by the echo sender to aid in matching the
                // replies with the echo requests": the guest's identifier goes back in place of the socket's.
                if (flow.nat64) {
                    // RFC 7915 4.1 (IPv4 to IPv6): the Echo Reply's type becomes 129; identifier (the guest's, as
                    // below), sequence number and data stay.
                    Icmpv4Packet reply = Icmpv4Packet.checked(buf, 0, n).orNull();
                    if (reply == null || n > MAX_MESSAGE || reply.type() != Icmpv4Packet.TYPE_ECHO_REPLY) {
                        c.dropsBadReply++;
                        continue;
                    }
                    lan6.sendEchoReply(flow.guestMac, (Ipv6Address) k.destination(), (Ipv6Address) k.guest(),
                            k.identifier(), reply.echoSequence(), reply.data());
                } else if (k.ipv6()) {
                    Icmpv6Packet reply = Icmpv6Packet.checked(buf, 0, n).orNull();
                    if (reply == null || n > MAX_MESSAGE6 || reply.type() != Icmpv6Packet.TYPE_ECHO_REPLY) {
                        c.dropsBadReply++;
                        continue;
                    }
                    // RFC 4443 4.2: the reply's "Identifier, Sequence Number, Data" are the request's.
                    lan6.sendEchoReply(flow.guestMac, (Ipv6Address) k.destination(), (Ipv6Address) k.guest(),
                            k.identifier(), reply.echoSequence(),
                            buf.slice(Icmpv6Packet.HEADER_LENGTH, n - Icmpv6Packet.HEADER_LENGTH));
                } else {
                    Icmpv4Packet reply = Icmpv4Packet.checked(buf, 0, n).orNull();
                    if (reply == null || n > MAX_MESSAGE || reply.type() != Icmpv4Packet.TYPE_ECHO_REPLY) {
                        c.dropsBadReply++;
                        continue;
                    }
                    lan.sendEchoReply(flow.guestMac, (Ipv4Address) k.destination(), (Ipv4Address) k.guest(),
                            k.identifier(), reply.echoSequence(), reply.data());
                }
                c.repliesToGuest++;
            }
        } catch (RuntimeException e) {
            failed(flow, e);
        }
    }

    /** A bug or unexpected failure while working for {@code flow}: it goes, the others stay. */
    private void failed(NatIcmpFlow flow, RuntimeException e) {
        countersOf(flow).hostErrors++;
        close(flow);
        observer.flowFailed(flow.toString(), e);
    }

    /** The earliest time {@link #poll} has work, or Long.MAX_VALUE. */
    long pollAt() {
        return nextExpiry;
    }

    /** Closes flows idle for the idle timeout at {@code now}. */
    void poll(long now) {
        if (now - nextExpiry < 0) {
            return;
        }
        nextExpiry = IdleSweep.closeIdle(flows.values(), now, idleTimeout, f -> f.lastActive, this::close);
    }

    /** Closes every flow owned by switch port {@code owner}; returns how many. */
    int portClosed(int owner) {
        return IdleSweep.closeWhere(flows.values(), f -> f.key.owner() == owner, this::close);
    }

    private void close(NatIcmpFlow f) {
        if (f.closed) {
            return;
        }
        flows.remove(f.key);
        if (f.key.ipv6()) {
            flows6--;
        }
        f.closed = true;
        quotas.release(f.key.owner(), OwnerQuotas.Kind.ICMP_ECHO);
        if (f.socket != null) {
            f.socket.close();
        }
    }

    /** Closes every flow (at shutdown). */
    void closeAll() {
        List.copyOf(flows.values()).forEach(this::close);
        if (receiveBuffer != null) {
            receiveBuffer.release();
            receiveBuffer = null;
        }
    }

    /** Open flows. */
    public int size() {
        return flows.size();
    }

    /** Open ICMPv6 flows (among {@link #size()}). */
    public int size6() {
        return flows6;
    }

    /** The counters of ICMP echo over IPv4 (live). */
    public Counters counters() {
        return counters;
    }

    /** The counters of ICMPv6 echo (NAT66; live), NAT64 apart. */
    public Counters counters6() {
        return counters6;
    }

    /** The counters of ICMPv6 echo relayed through IPv4 ping sockets (NAT64; live). */
    public Counters counters64() {
        return counters64;
    }

    private Counters countersOf(NatIcmpFlow flow) {
        return flow.nat64 ? counters64 : flow.key.ipv6() ? counters6 : counters;
    }

    /** Whether guest ICMPv6 echo is served ({@link #enableIpv6}). */
    public boolean ipv6Enabled() {
        return lan6 != null;
    }
}
