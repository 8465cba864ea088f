package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.UdpSender;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpPacket;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * UDP through the gateway, sans-IO: one connected host socket per guest (source, destination) pair, replies routed
 * back to the guest from the address it talked to, flows closed after the idle timeout without traffic in either
 * direction, and every flow owned by the switch port its guest sends from ({@link #portClosed}) and counted against
 * that port's cap ({@link OwnerQuotas}) as well as the total. A host that reports
 * the destination port unreachable makes the guest hear ICMP port unreachable (RFC 1122 3.2.2.1), so its
 * {@code recv} fails with ECONNREFUSED instead of waiting for its own timeout. Datagrams of any size up to the IPv4
 * limit pass: the gateway fragments what exceeds the LAN's MTU and reassembles guest fragments before they get here.
 * DNS and DHCP to the gateway never get here (they are services of the gateway). Engine thread only.
 */
public final class UdpNat {
    /** Most datagrams taken from one host socket per readiness event, so one busy flow cannot hog the loop. */
    private static final int DATAGRAMS_PER_EVENT = 64;
    /** The largest UDP payload IPv4 carries: 65,535 - 20 (IPv4) - 8 (UDP). */
    static final int MAX_PAYLOAD = 65_507;

    /** What UDP NAT did, for statistics. */
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

        /** Datagrams dropped: destination not reachable by policy, flow limit, malformed, too big, socket full. */
        public long drops() {
            return dropsPolicy + dropsFlowLimit + dropsBadPacket + dropsTooBig + dropsHostBusy;
        }

        /** Host socket errors other than port unreachable. */
        public long hostErrors() {
            return hostErrors;
        }

        /** ICMP port unreachable messages the host reported (and the guest was told). */
        public long portUnreachable() {
            return portUnreachable;
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
    private final Map<UdpFlowKey, NatUdpFlow> flows = new HashMap<>();
    /** The IPv6 UDP flows open now (NAT66): both families share {@link #maxFlows}. */
    IntSupplier ipv6Flows = () -> 0;
    private final Counters counters = new Counters();
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
        UdpFlowKey key = new UdpFlowKey(new Ipv4Address(packet.source()), udp.srcPort(),
                new Ipv4Address(packet.destination()), udp.dstPort());
        MacAddress guestMac = MacAddress.of(frame.source());
        NatUdpFlow flow = flows.get(key);
        if (flow == null) {
            flow = open(key, ingress, guestMac, now);
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

    private NatUdpFlow open(UdpFlowKey key, int owner, MacAddress guestMac, long now) {
        Ipv4Address real = policy.translate(key.destination());
        if (real == null) {
            counters.dropsPolicy++;
            return null;
        }
        if (flows.size() + ipv6Flows.getAsInt() >= maxFlows) {
            counters.dropsFlowLimit++;
            return null;
        }
        if (!quotas.tryTake(owner, OwnerQuotas.Kind.UDP, now)) {
            counters.dropsFlowLimit++; // this guest's port is at its cap; the others are not
            return null;
        }
        NatUdpFlow flow = new NatUdpFlow(key, owner, guestMac, now);
        try {
            flow.socket = host.openUdp(flow, real, key.destinationPort());
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
    void hostReadable(NatUdpFlow flow, long now) {
        if (flow.closed) {
            return;
        }
        if (receiveBuffer == null) {
            receiveBuffer = alloc.directBuffer(MAX_PAYLOAD + 1, MAX_PAYLOAD + 1);
        }
        ByteBuf buf = receiveBuffer;
        for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
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
            UdpFlowKey k = flow.key;
            lan.sendUdp(flow.guestMac, k.destination(), k.destinationPort(), k.guest(), k.guestPort(), buf);
            counters.datagramsToGuest++;
        }
    }

    private void hostSaidUnreachable(NatUdpFlow flow, long now) {
        counters.portUnreachable++;
        errors.udpPortUnreachable(flow, now);
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

    /** The counters (live). */
    public Counters counters() {
        return counters;
    }
}
