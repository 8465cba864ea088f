package io.userv2.stack.nat;

import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv4Forwarder;
import io.userv2.stack.gateway.Ipv6Forwarder;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv6Packet;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway's NAT as one sans-IO engine: guest TCP is terminated and relayed ({@link TcpNat}), guest UDP gets a
 * host socket per flow ({@link UdpNat}), and guest ICMP echo a host ping socket per flow ({@link IcmpEchoNat}; where
 * the host allows none, it is dropped and counted). Installed on the {@link Gateway} as its {@link Ipv4Forwarder};
 * with {@link #enableIpv6}, guest TCP and UDP over IPv6 go the same ways (NAT66), in the same tables and under the
 * same caps.
 *
 * <p>How an owner drives it, all on one thread:
 * <ul>
 *   <li>guest packets arrive through {@link #forward} (called by the gateway), tagged with the switch port they came
 *       in on;</li>
 *   <li>host sockets are opened through the {@link HostSockets} given at construction, and their events come back
 *       through {@link #hostConnected}, {@link #hostDialFailed}, {@link #hostReadable} and {@link #hostWritable};</li>
 *   <li>once per loop iteration, after reading: {@link #poll} (timers due at {@code now}) and {@link #flush} (run
 *       every flow that had news); after the switch wrote its queues: {@link #resumeHeldBack};</li>
 *   <li>it sleeps until {@link #pollAt()} at the latest;</li>
 *   <li>{@link #portClosed} when a VM's port goes; {@link #closeAll} at shutdown.</li>
 * </ul>
 * Time is the {@code now} passed in (nanoseconds of any monotonic clock); nothing here reads a clock, blocks, or
 * touches a socket except through the owner's interfaces.
 */
public final class NatEngine implements Ipv4Forwarder {
    private final TcpNat tcp;
    private final UdpNat udp;
    private final IcmpEchoNat icmp;
    private final GuestErrors errors;
    private final OwnerQuotas quotas;
    private final NatConfig config;
    private boolean ipv6;
    private Nat64Prefix nat64;

    /**
     * An engine for {@code gateway} (which it sends through), dialling where {@code policy} says with {@code host}.
     *
     * @param egress     how long the switch's queue towards a guest is (backpressure)
     * @param observer   hears about flows aborted by faults (for the log)
     * @param isnSecret  16 random bytes for RFC 6528 initial sequence numbers
     */
    public NatEngine(Gateway gateway, NatPolicy policy, NatConfig config, ByteBufAllocator alloc, HostSockets host,
            EgressGauge egress, NatObserver observer, byte[] isnSecret) {
        this.config = config;
        this.errors = new GuestErrors(gateway, alloc);
        this.quotas = new OwnerQuotas(config.maxConnectionsPerGuest(), config.maxPendingDialsPerGuest(),
                config.maxUdpFlowsPerGuest(), config.maxIcmpFlowsPerGuest(), observer::portAtCap);
        this.tcp = new TcpNat(gateway, policy, config, alloc, host, egress, observer, errors, quotas, isnSecret);
        this.udp = new UdpNat(gateway, policy, host, errors, quotas, alloc, config.udpIdleTimeoutNanos(),
                config.maxUdpFlows());
        this.icmp = new IcmpEchoNat(gateway, policy, host, quotas, observer, alloc, config.icmpIdleTimeoutNanos(),
                config.maxIcmpFlows());
    }

    /**
     * Turns on NAT66 for {@code v6} (the gateway's IPv6 side): installs the engine's {@link Ipv6Forwarder} there, so
     * guest TCP and UDP over IPv6 go where {@code policy} says, through host sockets ({@link HostSockets#dialTcp6},
     * {@link HostSockets#openUdp6}), under the same caps, totals and timeouts as IPv4; the local TCP services
     * ({@link #serveLocally}) answer on the gateway's IPv6 addresses too; ICMPv6 echo beyond the gateway goes through
     * ICMPv6 ping sockets ({@link HostSockets#openPing6}). With NAT64 in {@code policy}
     * ({@link Nat66Policy#withNat64}), flows to the NAT64 prefix go through IPv4 host sockets instead
     * ({@link HostSockets#dialTcp}, {@link HostSockets#openUdp}, {@link HostSockets#openPing}), the guest side staying
     * IPv6, counted apart ({@code counters64}). Call once, before traffic.
     */
    public void enableIpv6(GatewayIpv6 v6, Nat66Policy policy) {
        if (ipv6) {
            throw new IllegalStateException("IPv6 NAT is on already");
        }
        ipv6 = true;
        nat64 = policy.nat64() == null ? null : policy.nat64().prefix();
        errors.enableIpv6(v6);
        udp.enableIpv6(v6, policy);
        tcp.enableIpv6(v6, policy);
        icmp.enableIpv6(v6, policy);
        v6.setForwarder(this::forward6);
    }

    /**
     * The IPv6 forwarder {@link #enableIpv6} installs: TCP, UDP and ICMPv6 echo are NAT'd, the rest left to the
     * gateway. It sees only what the gateway does not serve itself: echo requests to the gateway's own addresses are
     * answered by the gateway, as over IPv4.
     */
    private boolean forward6(EthernetFrame frame, Ipv6Packet packet, int ingress, long nowNanos) {
        return switch (packet.protocolNumber()) {
            case IpProtocol.TCP_NUMBER -> tcp.forward(frame, packet, ingress, nowNanos);
            case IpProtocol.UDP_NUMBER -> udp.forward(frame, packet, ingress, nowNanos);
            case IpProtocol.ICMPV6_NUMBER -> icmp.forward(frame, packet, ingress, nowNanos);
            default -> false;
        };
    }

    /** Serves TCP to {@code port} of the gateway's own addresses with {@code service} (DNS on 53, say). */
    public void serveLocally(int port, LocalTcpService service) {
        tcp.serveLocally(port, service);
    }

    @Override
    public boolean forward(EthernetFrame frame, Ipv4Packet packet, int ingress, long nowNanos) {
        return switch (packet.protocolNumber()) {
            case IpProtocol.TCP_NUMBER -> tcp.forward(frame, packet, ingress, nowNanos);
            case IpProtocol.UDP_NUMBER -> udp.forward(frame, packet, ingress, nowNanos);
            case IpProtocol.ICMP_NUMBER -> icmp.forward(frame, packet, ingress, nowNanos);
            default -> false;
        };
    }

    /** The host connect started for {@code flow} completed. */
    public void hostConnected(NatTcpFlow flow, long now) {
        tcp.hostConnected(flow, now);
    }

    /** The host connect started for {@code flow} failed. */
    public void hostDialFailed(NatTcpFlow flow, DialFailure why, long now) {
        tcp.hostDialFailed(flow, why, now);
    }

    /** The host socket of {@code flow} has bytes or EOF to read. */
    public void hostReadable(NatTcpFlow flow, long now) {
        tcp.hostReadable(flow);
    }

    /** The host socket of {@code flow} takes more bytes. */
    public void hostWritable(NatTcpFlow flow, long now) {
        tcp.hostWritable(flow);
    }

    /** The host socket of {@code flow} has datagrams (or an error) to read. */
    public void hostReadable(NatUdpFlow flow, long now) {
        udp.hostReadable(flow, now);
    }

    /** The ping socket of {@code flow} has echo replies (or an error) to read. */
    public void hostReadable(NatIcmpFlow flow, long now) {
        icmp.hostReadable(flow, now);
    }

    /** Marks what is due at {@code now} (retransmissions, keep-alives, dial and idle timeouts) to run in {@link #flush}. */
    public void poll(long now) {
        tcp.poll(now);
        udp.poll(now);
        icmp.poll(now);
    }

    /** Runs every flow that had news since the last flush. */
    public void flush(long now) {
        tcp.flush(now);
    }

    /** True when {@link #flush} has work. */
    public boolean hasWork() {
        return tcp.hasWork();
    }

    /** After the switch wrote its queues: flows held back by a long queue towards their guest go on. */
    public void resumeHeldBack() {
        tcp.resumeHeldBack();
    }

    /** The earliest time {@link #poll} has work, or Long.MAX_VALUE. */
    public long pollAt() {
        return Math.min(tcp.pollAt(), Math.min(udp.pollAt(), icmp.pollAt()));
    }

    /**
     * The switch port {@code owner} is gone: every TCP connection it owned (either family) is aborted (host peers see
     * RST) and every UDP and ICMP echo flow closed.
     *
     * @return the number of flows ended
     */
    public int portClosed(int owner, long now) {
        int ended = tcp.portClosed(owner, now) + udp.portClosed(owner) + icmp.portClosed(owner);
        quotas.forget(owner);
        return ended;
    }

    /**
     * Opens a connection from the gateway into a guest for a port forward, relayed to {@code socket} (an accepted
     * host connection whose events name the returned flow). Null when a connection cap refuses it (the caller
     * closes {@code socket}).
     */
    public NatTcpFlow openToGuest(IpAddress guest, int port, HostTcpSocket socket, long now) {
        return tcp.openToGuest(guest, port, socket, now);
    }

    /**
     * Tries once to open a TCP connection to {@code guest:port} and resets it at once (Lima's wait_port): completes
     * on the engine's thread with true when the guest accepted, false when it refused or did not answer in time.
     */
    public CompletableFuture<Boolean> probe(IpAddress guest, int port, long timeoutNanos, long now) {
        return tcp.probe(guest, port, timeoutNanos, now);
    }

    /**
     * Gives back the memory idle TCP connections keep for reuse (each its last, empty, receive chunk); returns the
     * bytes given back. Walks every flow: for the occasional compaction, not per frame.
     */
    public long releaseIdleBuffers() {
        return tcp.releaseIdleBuffers();
    }

    /** Closes every flow (at shutdown). */
    public void closeAll() {
        tcp.closeAll();
        udp.closeAll();
        icmp.closeAll();
    }

    /** Whether {@link #enableIpv6} turned NAT66 on. */
    public boolean ipv6Enabled() {
        return ipv6;
    }

    /**
     * IPv6 packets that would have opened a NAT flow (TCP SYNs, UDP datagrams, echo requests; NAT66 and NAT64) from a
     * source neither link-local nor in the LAN's prefix, or the gateway's own: dropped (RFC 2827 ingress filtering).
     */
    public long sourceRefused6() {
        return tcp.dropsSource6() + udp.counters6().dropsSource() + udp.counters64().dropsSource()
                + icmp.counters6().dropsSource() + icmp.counters64().dropsSource();
    }

    /** The NAT64 prefix when {@link #enableIpv6} turned NAT64 on, else null. */
    public Nat64Prefix nat64Prefix() {
        return nat64;
    }

    /** The limits and timers this engine runs with. */
    public NatConfig config() {
        return config;
    }

    /** TCP through the gateway, both families. */
    public TcpNat tcp() {
        return tcp;
    }

    /** UDP through the gateway, both families. */
    public UdpNat udp() {
        return udp;
    }

    /** ICMP echo through the gateway. */
    public IcmpEchoNat icmp() {
        return icmp;
    }

    /** What each switch port holds in the NAT, against its caps. */
    public OwnerQuotas quotas() {
        return quotas;
    }

    /**
     * ICMP messages to other destinations that were dropped (not echo requests, malformed, refused by the policy or
     * a cap, or no ping sockets on this host), ICMPv6 included; see {@link IcmpEchoNat.Counters}.
     */
    public long icmpNotForwarded() {
        return icmp.counters().drops() + icmp.counters6().drops() + icmp.counters64().drops();
    }

    /** ICMP and ICMPv6 errors sent to guests about their flows (port, host or network unreachable). */
    public long icmpErrorsSent() {
        return errors.sent();
    }
}
