package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
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
 */
public final class IcmpEchoNat {
    /** Most replies taken from one ping socket per readiness event, so one busy flow cannot hog the loop. */
    private static final int REPLIES_PER_EVENT = 64;
    /** The largest ICMP message IPv4 carries: 65,535 - 20 (IPv4 header). */
    static final int MAX_MESSAGE = 65_515;
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
            return dropsPolicy + dropsFlowLimit + dropsBadPacket + dropsNotEcho + dropsUnavailable + dropsHostBusy
                    + dropsBadReply;
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
    private long nextExpiry = Long.MAX_VALUE;
    /** True after the host refused ping sockets, until one opens again; no socket is tried before {@link #retryAt}. */
    private boolean unavailable;
    private long retryAt;
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
        MacAddress guestMac = MacAddress.of(frame.source());
        NatIcmpFlow flow = flows.get(key);
        if (flow == null) {
            flow = open(key, guestMac, now);
            if (flow == null) {
                return true;
            }
        }
        flow.guestMac = guestMac;
        flow.lastActive = now;
        try {
            // The kernel puts in the socket's identifier and the checksum; sequence number and data go as they are.
            if (flow.socket.send(icmp.buffer().slice(icmp.offset(), icmp.length()))) {
                counters.requestsToHost++;
            } else {
                counters.dropsHostBusy++;
            }
        } catch (IOException e) {
            counters.hostErrors++;
        } catch (RuntimeException e) {
            failed(flow, e);
        }
        return true;
    }

    private NatIcmpFlow open(IcmpFlowKey key, MacAddress guestMac, long now) {
        Ipv4Address real = policy.translate(key.destination());
        if (real == null) {
            counters.dropsPolicy++; // silently: the guest's ping times out, as behind a filtering router
            return null;
        }
        if (unavailable && now - retryAt < 0) {
            counters.dropsUnavailable++;
            return null;
        }
        if (flows.size() >= maxFlows) {
            counters.dropsFlowLimit++;
            return null;
        }
        if (!quotas.tryTake(key.owner(), OwnerQuotas.Kind.ICMP_ECHO, now)) {
            counters.dropsFlowLimit++; // this guest's port is at its cap; the others are not
            return null;
        }
        NatIcmpFlow flow = new NatIcmpFlow(key, guestMac, now);
        try {
            flow.socket = host.openPing(flow, real);
            unavailable = false;
        } catch (PingSocketsUnavailable e) {
            quotas.release(key.owner(), OwnerQuotas.Kind.ICMP_ECHO);
            counters.dropsUnavailable++;
            unavailable = true;
            retryAt = now + UNAVAILABLE_RETRY_NANOS;
            return null;
        } catch (IOException e) {
            quotas.release(key.owner(), OwnerQuotas.Kind.ICMP_ECHO);
            counters.hostErrors++;
            return null;
        }
        flows.put(key, flow);
        counters.flowsOpened++;
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
            receiveBuffer = alloc.directBuffer(MAX_MESSAGE + 1, MAX_MESSAGE + 1);
        }
        ByteBuf buf = receiveBuffer;
        try {
            for (int i = 0; i < REPLIES_PER_EVENT; i++) {
                buf.clear();
                int n;
                try {
                    n = flow.socket.receive(buf);
                } catch (IOException e) {
                    counters.hostErrors++; // an ICMP error about an earlier request, say: the guest's ping times out
                    return;
                }
                if (n < 0) {
                    return;
                }
                flow.lastActive = now;
                Icmpv4Packet reply = Icmpv4Packet.checked(buf, 0, n).orNull();
                if (reply == null || n > MAX_MESSAGE || reply.type() != Icmpv4Packet.TYPE_ECHO_REPLY) {
                    counters.dropsBadReply++;
                    continue;
                }
                IcmpFlowKey k = flow.key;
                // RFC 792: "The identifier and sequence number may be used by the echo sender to aid in matching the
                // replies with the echo requests": the guest's identifier goes back in place of the socket's.
                lan.sendEchoReply(flow.guestMac, k.destination(), k.guest(), k.identifier(), reply.echoSequence(),
                        reply.data());
                counters.repliesToGuest++;
            }
        } catch (RuntimeException e) {
            failed(flow, e);
        }
    }

    /** A bug or unexpected failure while working for {@code flow}: it goes, the others stay. */
    private void failed(NatIcmpFlow flow, RuntimeException e) {
        counters.hostErrors++;
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

    /** The counters (live). */
    public Counters counters() {
        return counters;
    }
}
