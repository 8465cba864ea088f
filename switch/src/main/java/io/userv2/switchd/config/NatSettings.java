package io.userv2.switchd.config;

import io.userv2.stack.nat.Nat64Policy;
import io.userv2.stack.nat.Nat64Prefix;
import io.userv2.stack.nat.NatConfig;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.switchd.nat.HostKeepAlive;
import java.util.Map;

/**
 * How guest TCP and UDP leave the LAN, and how long what they leave behind may live.
 *
 * @param rules VIRTUAL -> REAL address mappings ({@code --nat}), besides the host alias (the gateway's address,
 *     which always maps to the host's 127.0.0.1)
 * @param outside whether other destinations are dialled as themselves ({@code --no-outside} turns it off: Lima's
 *     {@code host} mode, LAN and host alias only)
 * @param udpIdleTimeoutSeconds a UDP flow with no traffic for this long is closed ({@code --udp-timeout})
 * @param maxConnections most guest TCP connections in all ({@code --max-connections})
 * @param maxConnectionsPerVm most TCP connections of one VM, that is of one switch port whatever source addresses
 *     its frames carry ({@code --max-connections-per-vm}); SYNs beyond either cap are refused with RST
 * @param maxPendingDialsPerVm most host connects one VM may have pending at once ({@code --max-pending-dials-per-vm})
 * @param maxUdpFlowsPerVm most UDP flows of one VM ({@code --max-udp-flows-per-vm}; in total: {@code maxConnections})
 * @param keepAliveIdleSeconds an established NAT connection with nothing heard from its guest for this long is
 *     probed ({@code --keepalive-idle}; 0 turns keep-alive off)
 * @param keepAliveIntervalSeconds time between unanswered probes ({@code --keepalive-interval})
 * @param keepAliveProbes unanswered probes after which the connection is reset, guest and host side
 *     ({@code --keepalive-probes})
 * @param dnsTcpIdleSeconds a DNS-over-TCP connection to the gateway with no query for this long is closed
 *     ({@code --dns-tcp-idle-timeout})
 * @param hostAlias the LAN address that stands for the host's 127.0.0.1, or null for the gateway's own address (as
 *     in Lima's networks); gvproxy's layout puts it on an address of its own (subnet's last host, .254), which the
 *     gateway then answers ARP and ping at
 * @param linkLocal whether 169.254.0.0/16 is dialled (gvproxy's {@code -ec2-metadata-access}); never by default
 * @param rules6 VIRTUAL -> REAL mappings of IPv6 addresses ({@code --nat 2001:db8::10=::1}), for NAT66, besides the
 *     gateway's IPv6 addresses (which always map to the host's ::1)
 * @param nat64 the NAT64 prefix ({@code --nat64}, {@code --nat64-prefix}), or null when NAT64 and DNS64 are off (the
 *     default): IPv6 guest flows to it go through IPv4 host sockets, and the gateway's DNS synthesizes AAAA in it
 */
public record NatSettings(Map<Ipv4Address, Ipv4Address> rules, boolean outside, int udpIdleTimeoutSeconds,
        int maxConnections, int maxConnectionsPerVm, int maxPendingDialsPerVm, int maxUdpFlowsPerVm,
        int keepAliveIdleSeconds, int keepAliveIntervalSeconds,
        int keepAliveProbes, int dnsTcpIdleSeconds, Ipv4Address hostAlias, boolean linkLocal,
        Map<Ipv6Address, Ipv6Address> rules6, Nat64Prefix nat64) {
    private static final long S = 1_000_000_000L;

    /**
     * The defaults: outside allowed, 60 s UDP timeout, 16384 connections, 4096 per VM, 1024 dials pending per VM,
     * 4096 UDP flows per VM, keep-alive after 60 s idle
     * every 10 s, reset after 3 unanswered probes (a guest that vanished is reaped about 90 s after it went quiet),
     * DNS over TCP closed after 10 s without a query.
     */
    public static final NatSettings DEFAULT = new NatSettings(Map.of(), true, 60, 16_384, 4_096, 1_024, 4_096, 60, 10, 3,
            10, null, false, Map.of(), null);

    /** Validates the numbers and copies the rules. */
    public NatSettings {
        rules = Map.copyOf(rules);
        rules6 = Map.copyOf(rules6);
        if (udpIdleTimeoutSeconds < 1 || maxConnections < 1 || maxConnectionsPerVm < 1 || maxPendingDialsPerVm < 1
                || maxUdpFlowsPerVm < 1 || dnsTcpIdleSeconds < 1) {
            throw new IllegalArgumentException("NAT timeouts and limits must be positive");
        }
        if (keepAliveIdleSeconds < 0 || keepAliveIntervalSeconds < 1 || keepAliveProbes < 1) {
            throw new IllegalArgumentException("keep-alive: idle must be 0 (off) or more, interval and probes 1 or more");
        }
    }

    /** These settings with other {@code --nat} rules, host alias (null: the gateway's) and link-local access. */
    public NatSettings withAddressing(Map<Ipv4Address, Ipv4Address> newRules, Ipv4Address newHostAlias,
            boolean newLinkLocal) {
        return new NatSettings(newRules, outside, udpIdleTimeoutSeconds, maxConnections, maxConnectionsPerVm,
                maxPendingDialsPerVm, maxUdpFlowsPerVm, keepAliveIdleSeconds, keepAliveIntervalSeconds,
                keepAliveProbes, dnsTcpIdleSeconds, newHostAlias, newLinkLocal, rules6, nat64);
    }

    /** As the canonical constructor, with NAT64 off. */
    public NatSettings(Map<Ipv4Address, Ipv4Address> rules, boolean outside, int udpIdleTimeoutSeconds,
            int maxConnections, int maxConnectionsPerVm, int maxPendingDialsPerVm, int maxUdpFlowsPerVm,
            int keepAliveIdleSeconds, int keepAliveIntervalSeconds, int keepAliveProbes, int dnsTcpIdleSeconds,
            Ipv4Address hostAlias, boolean linkLocal, Map<Ipv6Address, Ipv6Address> rules6) {
        this(rules, outside, udpIdleTimeoutSeconds, maxConnections, maxConnectionsPerVm, maxPendingDialsPerVm,
                maxUdpFlowsPerVm, keepAliveIdleSeconds, keepAliveIntervalSeconds, keepAliveProbes, dnsTcpIdleSeconds,
                hostAlias, linkLocal, rules6, null);
    }

    /** The IPv4 NAT policy of a LAN {@code subnet} whose gateway is {@code gatewayIp}. */
    public NatPolicy policy(Ipv4Subnet subnet, Ipv4Address gatewayIp) {
        return new NatPolicy(subnet, hostAliasOr(gatewayIp), rules, outside, linkLocal);
    }

    /** The NAT64 translator's decisions, or null when NAT64 is off; the IPv4 side as {@link #policy}. */
    public Nat64Policy nat64Policy(Ipv4Subnet subnet, Ipv4Address gatewayIp) {
        return nat64 == null ? null : new Nat64Policy(nat64, policy(subnet, gatewayIp));
    }

    /** As the canonical constructor, without IPv6 rules. */
    public NatSettings(Map<Ipv4Address, Ipv4Address> rules, boolean outside, int udpIdleTimeoutSeconds,
            int maxConnections, int maxConnectionsPerVm, int maxPendingDialsPerVm, int maxUdpFlowsPerVm,
            int keepAliveIdleSeconds, int keepAliveIntervalSeconds, int keepAliveProbes, int dnsTcpIdleSeconds,
            Ipv4Address hostAlias, boolean linkLocal) {
        this(rules, outside, udpIdleTimeoutSeconds, maxConnections, maxConnectionsPerVm, maxPendingDialsPerVm,
                maxUdpFlowsPerVm, keepAliveIdleSeconds, keepAliveIntervalSeconds, keepAliveProbes, dnsTcpIdleSeconds,
                hostAlias, linkLocal, Map.of());
    }

    /** The address that reaches the host's 127.0.0.1 on a LAN whose gateway is {@code gatewayIp}. */
    public Ipv4Address hostAliasOr(Ipv4Address gatewayIp) {
        return hostAlias == null ? gatewayIp : hostAlias;
    }

    /** The engine's configuration for a LAN of {@code mtu}. */
    public NatConfig engineConfig(int mtu) {
        NatConfig d = NatConfig.defaults();
        return d.withTcp(d.tcp().withMtu(mtu)
                        .withKeepAlive(keepAliveIdleSeconds * S, keepAliveIntervalSeconds * S, keepAliveProbes))
                .withConnectionLimits(maxConnections, maxConnectionsPerVm, maxPendingDialsPerVm)
                .withUdp(udpIdleTimeoutSeconds * S, maxConnections, maxUdpFlowsPerVm)
                .withLocalIdleTimeout(dnsTcpIdleSeconds * S);
    }

    /** Keep-alive times for host sockets: the same as towards guests. */
    public HostKeepAlive hostKeepAlive() {
        return new HostKeepAlive(keepAliveIdleSeconds, keepAliveIntervalSeconds, keepAliveProbes);
    }
}
