package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.UdpSender;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpPacket;
import java.io.IOException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * UDP through the gateway, sans-IO, over IPv4 and (once {@link #enableIpv6} was called) IPv6 (NAT66): one connected
 * host socket per guest (source, destination) pair, opened where the {@link NatPolicy} (or, over IPv6, the
 * {@link Nat66Policy}) says; replies routed back to the guest from the address it talked to; flows closed after the
 * idle timeout without traffic in either direction, and every flow owned by the switch port its guest sends from
 * ({@link #portClosed}) and counted against that port's cap ({@link OwnerQuotas}) as well as the total, both families
 * together. A host that reports the destination port unreachable makes the guest hear ICMP port unreachable (RFC 1122
 * 3.2.2.1; over IPv6 ICMPv6 code 4, RFC 4443 3.1), so its {@code recv} fails with ECONNREFUSED instead of waiting for
 * its own timeout. Datagrams of any size up to the family's limit pass: the gateway fragments what exceeds the LAN's
 * MTU (and reassembles guest IPv4 fragments before they get here). An IPv6 destination the policy refuses is left to
 * the gateway, which answers "no route to destination" so the guest falls back to IPv4 at once. DNS and DHCP to the
 * gateway never get here (they are services of the gateway). Counters are kept per family. Engine thread only.
 */
public final class UdpNat {
    /** Most datagrams taken from one host socket per readiness event, so one busy flow cannot hog the loop. */
    private static final int DATAGRAMS_PER_EVENT = 64;
    /** The largest UDP payload IPv4 carries: 65,535 - 20 (IPv4) - 8 (UDP). */
    static final int MAX_PAYLOAD = 65_507;
    /** The largest UDP payload IPv6 carries without jumbograms: 65,535 (Payload Length) - 8 (UDP). */
    static final int MAX_PAYLOAD6 = 65_527;

    /** What UDP NAT did, for statistics. */
    public static final class Counters {
        long flowsOpened;
        long datagramsToHost;
        long datagramsToGuest;
        long dropsPolicy;
        long dropsFlowLimit;
        long dropsBadPacket;
        long dropsSource;
        long dropsTooBig;
        long dropsHostBusy;
        long hostErrors;
        long portUnreachable;
        long hostUnreachable;

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

        /** Datagrams refused by the policy (over IPv6: left to the gateway, which answers "no route"). */
        public long dropsPolicy() {
            return dropsPolicy;
        }

        /** Datagrams dropped: destination not reachable by policy, flow limit, malformed, too big, socket full. */
        public long drops() {
            return dropsPolicy + dropsFlowLimit + dropsBadPacket + dropsSource + dropsTooBig + dropsHostBusy;
        }

        /** IPv6 datagrams that would have opened a flow from a source neither link-local nor in the LAN's prefix. */
        public long dropsSource() {
            return dropsSource;
        }

        /** Host socket errors other than port unreachable. */
        public long hostErrors() {
            return hostErrors;
        }

        /** Port unreachable reports from the host (each answered to the guest, rate limits permitting). */
        public long portUnreachable() {
            return portUnreachable;
        }

        /** Datagrams the host reported its destination host or network unreachable for, told to the guest. */
        public long hostUnreachable() {
            return hostUnreachable;
        }
    }

    private final UdpSender lan;
    private final NatPolicy policy;
    private final HostSockets host;
    private final GuestErrors errors;
    private final OwnerQuotas quotas;
    private final ByteBufAllocator alloc;
    private final long idleTimeout;
    private final int maxFlows;
    /** The flows of both families, which share {@link #maxFlows}. */
    private final Map<UdpFlowKey, NatUdpFlow> flows = new HashMap<>();
    private final Counters counters = new Counters();
    private final Counters counters6 = new Counters();
    /** The IPv6 flows relayed through IPv4 host sockets (NAT64), counted apart from {@link #counters6}. */
    private final Counters counters64 = new Counters();
    /** The IPv6 flows among {@link #flows}. */
    private int flows6;
    /** The NAT64 flows among {@link #flows6}. */
    private int flows64;
    /** The gateway's IPv6 side and the NAT66 policy, once {@link #enableIpv6} set them; null before. */
    private GatewayIpv6 lan6;
    private Nat66Policy policy6;
    private long nextExpiry = Long.MAX_VALUE;
    /** One buffer every host datagram is received into (the gateway copies it into the frame it sends). */
    private ByteBuf receiveBuffer;

    UdpNat(UdpSender lan, NatPolicy policy, HostSockets host, GuestErrors errors, OwnerQuotas quotas,
            ByteBufAllocator alloc, long idleTimeout, int maxFlows) {
        this.lan = lan;
        this.policy = policy;
        this.host = host;
        this.errors = errors;
        this.quotas = quotas;
        this.alloc = alloc;
        this.idleTimeout = idleTimeout;
        this.maxFlows = maxFlows;
    }

    /** Serves guest UDP over IPv6 too, sent through {@code v6} and dialled where {@code policy} says. */
    void enableIpv6(GatewayIpv6 v6, Nat66Policy policy) {
        this.lan6 = v6;
        this.policy6 = policy;
    }

    /**
     * Takes one guest UDP datagram for a destination the gateway does not serve itself. The caller keeps the buffers.
     *
     * @return true (the datagram is always consumed: sent, or dropped and counted)
     */
    boolean forward(EthernetFrame frame, Ipv4Packet packet, int ingress, long now) {
        UdpPacket udp = UdpPacket.checked(packet.buffer(), packet.payloadOffset(), packet.payloadLength()).orNull();
        if (udp == null || packet.isFragment() || udp.dstPort() == 0
                || !udp.verifyChecksum(packet.source(), packet.destination())) {
            counters.dropsBadPacket++;
            return true;
        }
        take(new UdpFlowKey(new Ipv4Address(packet.source()), udp.srcPort(), new Ipv4Address(packet.destination()),
                udp.dstPort()), frame, udp, ingress, now);
        return true; // over IPv4 a refused destination is dropped too
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
            counters6.dropsBadPacket++;
            return true;
        }
        return take(new UdpFlowKey(packet.source(), udp.srcPort(), packet.destination(), udp.dstPort()), frame, udp,
                ingress, now);
    }

    /**
     * The guest's datagram {@code udp} of flow {@code key} goes out on the flow's host socket, opened first when the
     * flow is new; false when the policy refuses its destination (counted), else true (sent, or dropped and counted).
     */
    private boolean take(UdpFlowKey key, EthernetFrame frame, UdpPacket udp, int ingress, long now) {
        MacAddress guestMac = MacAddress.of(frame.source());
        NatUdpFlow flow = flows.get(key);
        if (flow == null) {
            if (key.guest() instanceof Ipv6Address g6 && !lan6.isGuestAddress(g6)) {
                // RFC 2827 ingress filtering, where flows are made (not IPv4-mapped, ::, another LAN's, the gateway's)
                (policy6.isNat64((Ipv6Address) key.destination()) ? counters64 : counters6).dropsSource++;
                return true;
            }
            IpAddress real = key.destination() instanceof Ipv6Address d6 ? policy6.route(d6) // NAT64: IPv4
                    : policy.translate((Ipv4Address) key.destination());
            if (real == null) {
                (!key.ipv6() ? counters : policy6.isNat64((Ipv6Address) key.destination()) ? counters64
                        : counters6).dropsPolicy++;
                return false;
            }
            flow = open(key, real, ingress, guestMac, now);
            if (flow == null) {
                return true;
            }
        }
        Counters c = countersOf(flow);
        flow.guestMac = guestMac;
        flow.lastActive = now;
        ByteBuf payload = udp.payload();
        flow.lastLength = payload.readableBytes();
        try {
            if (flow.socket.send(payload)) {
                c.datagramsToHost++;
            } else {
                c.dropsHostBusy++;
            }
        } catch (PortUnreachableException e) {
            hostSaidUnreachable(flow, DialFailure.REFUSED, now);
        } catch (NoRouteToHostException e) {
            hostSaidUnreachable(flow, DialFailure.HOST_UNREACHABLE, now);
        } catch (IOException e) {
            c.hostErrors++;
        }
        return true;
    }

    /** A new flow to {@code real} (where the key's destination translates), or null when a cap or the host refuses. */
    private NatUdpFlow open(UdpFlowKey key, IpAddress real, int owner, MacAddress guestMac, long now) {
        boolean nat64 = key.ipv6() && real instanceof Ipv4Address;
        Counters c = nat64 ? counters64 : key.ipv6() ? counters6 : counters;
        if (flows.size() >= maxFlows) {
            c.dropsFlowLimit++;
            return null;
        }
        if (!quotas.tryTake(owner, OwnerQuotas.Kind.UDP, now)) {
            c.dropsFlowLimit++; // this guest's port is at its cap; the others are not
            return null;
        }
        NatUdpFlow flow = new NatUdpFlow(key, owner, guestMac, now);
        flow.nat64 = nat64;
        try {
            flow.socket = real instanceof Ipv6Address r6 ? host.openUdp6(flow, r6, key.destinationPort())
                    : host.openUdp(flow, (Ipv4Address) real, key.destinationPort());
        } catch (IOException e) {
            quotas.release(owner, OwnerQuotas.Kind.UDP);
            c.hostErrors++;
            return null;
        }
        flows.put(key, flow);
        if (key.ipv6()) {
            flows6++;
        }
        if (nat64) {
            flows64++;
        }
        c.flowsOpened++;
        if (nextExpiry == Long.MAX_VALUE) {
            nextExpiry = now + idleTimeout;
        }
        return flow;
    }

    private Counters countersOf(NatUdpFlow flow) {
        return flow.nat64 ? counters64 : flow.key.ipv6() ? counters6 : counters;
    }

    /** The host socket of {@code flow} has datagrams (or an error) to read: they go to the guest. */
    void hostReadable(NatUdpFlow flow, long now) {
        if (flow.closed) {
            return;
        }
        if (receiveBuffer == null) {
            receiveBuffer = alloc.directBuffer(MAX_PAYLOAD6 + 1, MAX_PAYLOAD6 + 1);
        }
        Counters c = countersOf(flow);
        UdpFlowKey k = flow.key;
        int max = k.ipv6() ? MAX_PAYLOAD6 : MAX_PAYLOAD;
        ByteBuf buf = receiveBuffer;
        for (int i = 0; i < DATAGRAMS_PER_EVENT && !flow.closed; i++) {
            buf.clear();
            int n;
            try {
                n = flow.socket.receive(buf);
            } catch (IOException e) {
                c.hostErrors++;
                return;
            }
            if (n == HostUdpSocket.PORT_UNREACHABLE) {
                hostSaidUnreachable(flow, DialFailure.REFUSED, now);
                continue;
            }
            if (n == HostUdpSocket.HOST_UNREACHABLE || n == HostUdpSocket.NET_UNREACHABLE) {
                hostSaidUnreachable(flow, n == HostUdpSocket.HOST_UNREACHABLE ? DialFailure.HOST_UNREACHABLE
                        : DialFailure.NET_UNREACHABLE, now);
                continue;
            }
            if (n < 0) {
                return;
            }
            flow.lastActive = now;
            if (n > max) {
                c.dropsTooBig++;
                continue;
            }
            if (k.destination() instanceof Ipv6Address from) {
                lan6.sendUdp(flow.guestMac, from, k.destinationPort(), (Ipv6Address) k.guest(), k.guestPort(), buf);
            } else {
                lan.sendUdp(flow.guestMac, (Ipv4Address) k.destination(), k.destinationPort(),
                        (Ipv4Address) k.guest(), k.guestPort(), buf);
            }
            c.datagramsToGuest++;
        }
    }

    /** The host reported {@code why} for the flow's destination ({@code REFUSED}: the port): the guest hears it. */
    private void hostSaidUnreachable(NatUdpFlow flow, DialFailure why, long now) {
        if (why == DialFailure.REFUSED) {
            countersOf(flow).portUnreachable++;
        } else {
            countersOf(flow).hostUnreachable++;
        }
        errors.udpUnreachable(flow, why, now);
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

    private void close(NatUdpFlow f) {
        flows.remove(f.key);
        if (f.key.ipv6()) {
            flows6--;
        }
        if (f.nat64) {
            flows64--;
        }
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

    /** Open IPv4 flows. */
    public int size() {
        return flows.size() - flows6;
    }

    /** Open IPv6 flows (NAT64 ones included). */
    public int size6() {
        return flows6;
    }

    /** Open IPv6 flows relayed through IPv4 host sockets (NAT64). */
    public int size64() {
        return flows64;
    }

    /** Whether guest UDP over IPv6 is served ({@link #enableIpv6}). */
    public boolean ipv6Enabled() {
        return lan6 != null;
    }

    /** The IPv4 counters (live). */
    public Counters counters() {
        return counters;
    }

    /** The IPv6 counters (live), NAT64 flows apart. */
    public Counters counters6() {
        return counters6;
    }

    /** The counters of IPv6 flows relayed through IPv4 host sockets (NAT64; live). */
    public Counters counters64() {
        return counters64;
    }
}
