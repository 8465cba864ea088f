package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpPacket;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * UDP over IPv6 through the gateway (NAT66), sans-IO, as {@link UdpNat} does it for IPv4: one connected host socket
 * per guest (source, destination) pair, opened where the {@link Nat66Policy} says (the gateway's own addresses reach
 * the host's {@code ::1}); replies go back to the guest from the address it talked to; a flow closes after the UDP
 * idle timeout without traffic either way, or with its switch port. Flows count against the same per-port UDP cap
 * ({@link OwnerQuotas.Kind#UDP}) and the same total as IPv4 flows. A host that reports the destination port
 * unreachable makes the guest hear ICMPv6 port unreachable (RFC 4443 3.1, code 4) from that destination, so its
 * {@code recv} fails with ECONNREFUSED. A destination the policy refuses is left to the gateway, which answers
 * "no route to destination" so the guest falls back to IPv4 at once. Datagrams from the host up to the IPv6 limit
 * pass (the gateway fragments what exceeds the LAN's MTU). Engine thread only.
 */
public final class Udp6Nat {
    /** Most datagrams taken from one host socket per readiness event, so one busy flow cannot hog the loop. */
    private static final int DATAGRAMS_PER_EVENT = 64;
    /** The largest UDP payload IPv6 carries without jumbograms: 65,535 (Payload Length) - 8 (UDP). */
    static final int MAX_PAYLOAD = 65_527;
    /** The UDP header length. */
    private static final int UDP_HEADER = 8;

    /** What UDP NAT66 did, for statistics. */
    public static final class Counters {
        long flowsOpened;
        long datagramsToHost;
        long datagramsToGuest;
        long dropsPolicy;
        long dropsFlowLimit;
        long dropsBadPacket;
        long dropsTooBig;
        long dropsHostBusy;
        long hostErrors;
        long portUnreachable;

        /** Flows opened so far. */
        public long flowsOpened() {
            return flowsOpened;
        }

        /** Datagrams sent from guests to the host. */
        public long datagramsToHost() {
            return datagramsToHost;
        }

        /** Datagrams sent from the host back to guests. */
        public long datagramsToGuest() {
            return datagramsToGuest;
        }

        /** Datagrams refused by the policy (left to the gateway, which answers "no route"). */
        public long dropsPolicy() {
            return dropsPolicy;
        }

        /** Datagrams dropped: policy, flow limit, malformed, too big, socket full. */
        public long drops() {
            return dropsPolicy + dropsFlowLimit + dropsBadPacket + dropsTooBig + dropsHostBusy;
        }

        /** Host socket errors other than port unreachable. */
        public long hostErrors() {
            return hostErrors;
        }

        /** Port unreachable reports from the host (each answered to the guest, rate limits permitting). */
        public long portUnreachable() {
            return portUnreachable;
        }
    }

    private final GatewayIpv6 lan;
    private final Nat66Policy policy;
    private final HostSockets host;
    private final OwnerQuotas quotas;
    private final ByteBufAllocator alloc;
    private final long idleTimeout;
    private final int maxFlows;
    /** The IPv4 UDP flows open now: both families share {@link #maxFlows}. */
    private final IntSupplier ipv4Flows;
    private final Map<Udp6FlowKey, NatUdp6Flow> flows = new HashMap<>();
    private final Counters counters = new Counters();
    private long nextExpiry = Long.MAX_VALUE;
    private long errorsSent;
    /** One buffer every host datagram is received into (the gateway copies it into the frame it sends). */
    private ByteBuf receiveBuffer;

    Udp6Nat(GatewayIpv6 lan, Nat66Policy policy, HostSockets host, OwnerQuotas quotas, ByteBufAllocator alloc,
            long idleTimeout, int maxFlows, IntSupplier ipv4Flows) {
        this.lan = lan;
        this.policy = policy;
        this.host = host;
        this.quotas = quotas;
        this.alloc = alloc;
        this.idleTimeout = idleTimeout;
        this.maxFlows = maxFlows;
        this.ipv4Flows = ipv4Flows;
    }

    /**
     * Takes one guest UDP datagram over IPv6 (the gateway verified the packet's header chain; the upper layer is at
     * its payload offset). The caller keeps the buffers.
     *
     * @return false when the policy refuses the destination (the gateway answers it), else true (sent, or dropped
     *         and counted)
     */
    boolean forward(EthernetFrame frame, Ipv6Packet packet, int ingress, long now) {
        UdpPacket udp = UdpPacket.checked(packet.buffer(), packet.payloadOffset(), packet.payloadLength()).orNull();
        if (udp == null || packet.isFragment() || udp.dstPort() == 0 || !udp.verifyChecksumIpv6(packet.sourceHigh(),
                packet.sourceLow(), packet.destinationHigh(), packet.destinationLow())) {
            counters.dropsBadPacket++;
            return true;
        }
        Udp6FlowKey key = new Udp6FlowKey(packet.source(), udp.srcPort(), packet.destination(), udp.dstPort());
        MacAddress guestMac = MacAddress.of(frame.source());
        NatUdp6Flow flow = flows.get(key);
        if (flow == null) {
            Ipv6Address real = policy.translate(key.destination());
            if (real == null) {
                counters.dropsPolicy++;
                return false;
            }
            flow = open(key, real, ingress, guestMac, now);
            if (flow == null) {
                return true;
            }
        }
        flow.guestMac = guestMac;
        flow.lastActive = now;
        ByteBuf payload = udp.payload();
        flow.lastLength = payload.readableBytes();
        try {
            if (flow.socket.send(payload)) {
                counters.datagramsToHost++;
            } else {
                counters.dropsHostBusy++;
            }
        } catch (PortUnreachableException e) {
            hostSaidUnreachable(flow, now);
        } catch (IOException e) {
            counters.hostErrors++;
        }
        return true;
    }

    private NatUdp6Flow open(Udp6FlowKey key, Ipv6Address real, int owner, MacAddress guestMac, long now) {
        if (flows.size() + ipv4Flows.getAsInt() >= maxFlows) {
            counters.dropsFlowLimit++;
            return null;
        }
        if (!quotas.tryTake(owner, OwnerQuotas.Kind.UDP, now)) {
            counters.dropsFlowLimit++; // this guest's port is at its cap; the others are not
            return null;
        }
        NatUdp6Flow flow = new NatUdp6Flow(key, owner, guestMac, now);
        try {
            flow.socket = host.openUdp6(flow, real, key.destinationPort());
        } catch (IOException e) {
            quotas.release(owner, OwnerQuotas.Kind.UDP);
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

    /** The host socket of {@code flow} has datagrams (or an error) to read: they go to the guest. */
    void hostReadable(NatUdp6Flow flow, long now) {
        if (flow.closed) {
            return;
        }
        if (receiveBuffer == null) {
            receiveBuffer = alloc.directBuffer(MAX_PAYLOAD + 1, MAX_PAYLOAD + 1);
        }
        ByteBuf buf = receiveBuffer;
        for (int i = 0; i < DATAGRAMS_PER_EVENT && !flow.closed; i++) {
            buf.clear();
            int n;
            try {
                n = flow.socket.receive(buf);
            } catch (IOException e) {
                counters.hostErrors++;
                return;
            }
            if (n == HostUdpSocket.PORT_UNREACHABLE) {
                hostSaidUnreachable(flow, now);
                continue;
            }
            if (n < 0) {
                return;
            }
            flow.lastActive = now;
            if (n > MAX_PAYLOAD) {
                counters.dropsTooBig++;
                continue;
            }
            Udp6FlowKey k = flow.key;
            lan.sendUdp(flow.guestMac, k.destination(), k.destinationPort(), k.guest(), k.guestPort(), buf);
            counters.datagramsToGuest++;
        }
    }

    /**
     * The host says the destination port of {@code flow} is closed: ICMPv6 port unreachable to the guest, from the
     * destination it talked to (as that host would say it), quoting a header rebuilt from the flow (the guest's
     * datagram is long gone): the IPv6 header and the UDP ports and length, which is what a receiving stack matches
     * the error on.
     */
    private void hostSaidUnreachable(NatUdp6Flow flow, long now) {
        counters.portUnreachable++;
        Udp6FlowKey k = flow.key;
        int udpLength = UDP_HEADER + flow.lastLength;
        ByteBuf quote = alloc.buffer(Ipv6Packet.HEADER_LENGTH + UDP_HEADER);
        try {
            Ipv6Address g = k.guest();
            Ipv6Address d = k.destination();
            Ipv6Repr.writeHeader(quote, 0, g.high(), g.low(), d.high(), d.low(), IpProtocol.UDP_NUMBER, udpLength,
                    GatewayIpv6.HOP_LIMIT, 0, 0);
            quote.setShort(Ipv6Packet.HEADER_LENGTH, k.guestPort());
            quote.setShort(Ipv6Packet.HEADER_LENGTH + 2, k.destinationPort());
            quote.setShort(Ipv6Packet.HEADER_LENGTH + 4, udpLength);
            quote.setShort(Ipv6Packet.HEADER_LENGTH + 6, 0);
            quote.writerIndex(Ipv6Packet.HEADER_LENGTH + UDP_HEADER);
            if (lan.sendDestinationUnreachable(flow.guestMac, d, Icmpv6Packet.CODE_PORT_UNREACHABLE, quote, now)) {
                errorsSent++;
            }
        } finally {
            quote.release();
        }
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
        return IdleSweep.closeWhere(flows.values(), f -> f.owner == owner, this::close);
    }

    private void close(NatUdp6Flow f) {
        flows.remove(f.key);
        f.closed = true;
        quotas.release(f.owner, OwnerQuotas.Kind.UDP);
        f.socket.close();
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

    /** ICMPv6 errors sent to guests about their flows. */
    public long errorsSent() {
        return errorsSent;
    }

    /** The counters (live). */
    public Counters counters() {
        return counters;
    }
}
