package io.userv2.switchd;

import io.userv2.stack.dhcp.DhcpCounters;
import io.userv2.stack.dhcp6.Dhcp6Server;
import io.userv2.stack.gateway.DropReason;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.OwnerQuotas;
import io.userv2.stack.tcp.TcpStats;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortCounters;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.switching.LearningSwitch;
import io.userv2.switchd.vxlan.VxlanPort;
import io.userv2.switchd.vxlan.VxlanTransport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The counters of a running network, as a JSON tree ({@code GET /stats}) and in the Prometheus text exposition
 * format ({@code GET /metrics}). Call on the event loop: the counters are the loop's own.
 */
final class NetworkStats {
    private NetworkStats() {
    }

    static Map<String, Object> collect(VirtualNetwork net) {
        Map<String, Object> root = new LinkedHashMap<>();
        List<Object> ports = new ArrayList<>();
        for (Port p : net.learningSwitch().ports()) {
            Map<String, Object> port = NetworkControlPlane.portStats(p);
            OwnerQuotas.Usage nat = net.nat().engine().quotas().usage(p.id());
            if (nat != null) {
                port.put("natTcp", nat.tcp());
                port.put("natPendingDials", nat.pendingDials());
                port.put("natUdp", nat.udp());
                port.put("natIcmpEcho", nat.icmpEcho());
                port.put("natRefusedAtCap", nat.refused());
            }
            ports.add(port);
        }
        root.put("ports", ports);
        LearningSwitch sw = net.learningSwitch();
        root.put("switch", Map.of("learnedAddresses", sw.learnedAddresses(), "floods", sw.floods(),
                "dropsHairpin", sw.dropsHairpin(), "maxMacsPerPort", sw.security().maxMacsPerPort(),
                "ipSourceGuard", sw.security().ipSourceGuard()));
        GatewayCounters g = net.gateway().counters();
        Map<String, Object> gateway = new LinkedHashMap<>();
        gateway.put("framesReceived", g.framesReceived());
        gateway.put("framesSent", g.framesSent());
        gateway.put("dropped", g.droppedTotal());
        root.put("gateway", gateway);
        GatewayIpv6 v6 = net.gateway().ipv6();
        if (v6 != null) {
            Map<String, Object> ipv6 = new LinkedHashMap<>();
            ipv6.put("prefix", v6.config().prefix().toString());
            ipv6.put("address", v6.address().toString());
            ipv6.put("linkLocal", v6.linkLocal().toString());
            ipv6.put("neighbors", v6.neighbors().size());
            ipv6Counters(g).forEach(ipv6::put);
            root.put("ipv6", ipv6);
        }
        Dhcp6Server dhcp6 = net.services().dhcp6();
        if (dhcp6 != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("stateful", dhcp6.config().stateful());
            d.put("leases", dhcp6.leases().stream().filter(l -> l.isActiveAt(System.currentTimeMillis())).count());
            d.put("received", dhcp6.counters().received());
            d.put("replies", dhcp6.counters().replies());
            d.put("advertises", dhcp6.counters().advertises());
            d.put("dropped", dhcp6.counters().droppedTotal());
            root.put("dhcp6", d);
        }
        NatEngine nat = net.nat().engine();
        TcpStats tcp = nat.tcp().stats();
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("tcpConnections", nat.tcp().connections());
        n.put("tcpSegmentsIn", tcp.segmentsIn());
        n.put("tcpSegmentsOut", tcp.segmentsOut());
        n.put("tcpBytesIn", tcp.bytesIn()); // in order from guests
        n.put("tcpBytesInDirect", tcp.bytesInDirect()); // of those, written to host sockets as they came
        n.put("tcpRetransmittedSegments", tcp.retransmittedSegments());
        n.put("tcpResetsSent", nat.tcp().resetsSent());
        n.put("tcpChecksumsVerified", nat.config().verifyTcpChecksums()); // --verify-checksums (or VXLAN)
        n.put("tcpBadSegments", nat.tcp().dropsBadSegment()); // malformed, or a checksum that failed verification
        n.put("tcpRefusedByLimit", nat.tcp().refusedByLimit());
        n.put("refusedAtPortCap", nat.quotas().refusedTotal());
        n.put("udpFlows", nat.udp().size());
        n.put("udpDatagramsToHost", nat.udp().counters().datagramsToHost());
        n.put("udpDatagramsToGuest", nat.udp().counters().datagramsToGuest());
        n.put("udpDrops", nat.udp().counters().drops());
        n.put("udpPortUnreachable", nat.udp().counters().portUnreachable());
        n.put("udpHostUnreachable", nat.udp().counters().hostUnreachable());
        if (nat.ipv6Enabled()) { // NAT66, with IPv6 on
            n.put("tcp6ConnectionsOpened", nat.tcp().connections6Opened());
            n.put("ipv6SourceRefused", nat.sourceRefused6()); // neither link-local nor in the prefix (RFC 2827)
            n.put("udp6Flows", nat.udp().size6());
            n.put("udp6DatagramsToHost", nat.udp().counters6().datagramsToHost());
            n.put("udp6DatagramsToGuest", nat.udp().counters6().datagramsToGuest());
            n.put("udp6Drops", nat.udp().counters6().drops());
            n.put("udp6RefusedByPolicy", nat.udp().counters6().dropsPolicy());
            n.put("udp6PortUnreachable", nat.udp().counters6().portUnreachable());
            n.put("udp6HostUnreachable", nat.udp().counters6().hostUnreachable());
            n.put("icmp6EchoFlows", nat.icmp().size6());
            n.put("icmp6EchoRequestsToHost", nat.icmp().counters6().requestsToHost());
            n.put("icmp6EchoRepliesToGuest", nat.icmp().counters6().repliesToGuest());
            n.put("icmp6EchoRefusedByPolicy", nat.icmp().counters6().dropsPolicy());
            n.put("icmp6EchoDropsNoPingSockets", nat.icmp().counters6().dropsUnavailable());
        }
        if (nat.nat64Prefix() != null) { // NAT64: IPv6 guests to IPv4 host sockets
            n.put("nat64Prefix", nat.nat64Prefix().toString());
            n.put("nat64TcpConnectionsOpened", nat.tcp().connections64Opened());
            n.put("nat64UdpFlows", nat.udp().size64());
            n.put("nat64UdpDatagramsToHost", nat.udp().counters64().datagramsToHost());
            n.put("nat64UdpDatagramsToGuest", nat.udp().counters64().datagramsToGuest());
            n.put("nat64UdpDrops", nat.udp().counters64().drops());
            n.put("nat64UdpRefusedByPolicy", nat.udp().counters64().dropsPolicy());
            n.put("nat64UdpPortUnreachable", nat.udp().counters64().portUnreachable());
            n.put("nat64IcmpEchoRequestsToHost", nat.icmp().counters64().requestsToHost());
            n.put("nat64IcmpEchoRepliesToGuest", nat.icmp().counters64().repliesToGuest());
            n.put("nat64IcmpEchoRefusedByPolicy", nat.icmp().counters64().dropsPolicy());
        }
        n.put("icmpEchoFlows", nat.icmp().size());
        n.put("icmpEchoRequestsToHost", nat.icmp().counters().requestsToHost());
        n.put("icmpEchoRepliesToGuest", nat.icmp().counters().repliesToGuest());
        n.put("icmpEchoDropsNoPingSockets", nat.icmp().counters().dropsUnavailable());
        n.put("icmpNotForwarded", nat.icmpNotForwarded());
        n.put("icmpErrorsSent", nat.icmpErrorsSent());
        n.put("tcpDialFailures", nat.tcp().dialFailures());
        n.put("tcpDialTimeouts", nat.tcp().dialTimeouts());
        n.put("flowsAbortedWithPort", nat.tcp().abortedWithPort());
        n.put("flowFaults", nat.tcp().faults());
        root.put("nat", n);
        Map<String, Object> dns = new LinkedHashMap<>(net.services().dns().counters().snapshot());
        dns.put("udpDroppedAtPortCap", net.services().dnsUdp().droppedAtPortCap());
        root.put("dns", dns);
        // The same leases as GET /services/dhcp/leases lists (without the gateway's own entry).
        Map<String, Object> dhcp = new LinkedHashMap<>();
        dhcp.put("leases", NetworkControlPlane.listedLeases(net, System.currentTimeMillis()).size());
        DhcpCounters dc = net.services().dhcp().counters();
        dhcp.put("offers", dc.offers());
        dhcp.put("acks", dc.acks());
        dhcp.put("naks", dc.naks());
        dhcp.put("dropped", dc.droppedTotal());
        // replies that would not fit the client's size (RFC 2131: 576 octets unless option 57 says more)
        dhcp.put("optionsLeftOut", dc.optionsLeftOut());
        dhcp.put("oversizedReplies", dc.oversizedReplies());
        root.put("dhcp", dhcp);
        root.put("forwards", net.forwards().list().size());
        if (net.vxlan() != null) {
            root.put("vxlan", vxlan(net.vxlan()));
        }
        return root;
    }

    /** The VXLAN uplink: the socket, each remote's traffic and drops, and the socket's own drops. */
    private static Map<String, Object> vxlan(VxlanTransport t) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("local", t.local().getAddress().getHostAddress() + ":" + t.local().getPort());
        v.put("vni", t.vni());
        v.put("underlayMtu", t.underlayMtu());
        v.put("underlayMtuFrom", t.underlayMtuSource());
        List<Object> remotes = new ArrayList<>();
        for (VxlanPort p : t.remotes()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("address", p.remote().getAddress().getHostAddress() + ":" + p.remote().getPort());
            r.put("port", p.name());
            r.put("id", p.id());
            r.put("configured", p.configured());
            PortCounters c = p.counters();
            r.put("framesIn", c.framesIn());
            r.put("bytesIn", c.bytesIn());
            r.put("framesOut", c.framesOut());
            r.put("bytesOut", c.bytesOut());
            r.put("macEntries", p.macEntries());
            Map<String, Object> drops = new LinkedHashMap<>(p.vxlanDrops().snapshot());
            drops.put("queue_full", c.dropsQueueFull());
            drops.put("runt", c.dropsRunt());
            drops.put("port_security", c.dropsTotal());
            r.put("drops", drops);
            remotes.add(r);
        }
        v.put("remotes", remotes);
        v.put("drops", t.drops().snapshot());
        return v;
    }

    /** The IPv6 counters of the gateway, by the names /stats uses. */
    private static Map<String, Long> ipv6Counters(GatewayCounters g) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("routerAdvertisementsSent", g.routerAdvertisementsSent());
        m.put("neighborAdvertisementsSent", g.neighborAdvertisementsSent());
        m.put("neighborSolicitationsSent", g.neighborSolicitationsSent());
        m.put("neighborsLearned", g.neighborsLearned());
        m.put("neighborsEvicted", g.neighborsEvicted());
        m.put("neighborsRefused", g.neighborsRefused());
        m.put("dadDefended", g.dadDefended());
        m.put("ndpSnooped", g.ndpSnooped());
        m.put("echoRepliesSent", g.echo6RepliesSent());
        m.put("icmpErrorsSent", g.icmpv6ErrorsSent());
        m.put("tcpResetsSent", g.tcpResetsSent());
        m.put("forwarded", g.ipv6Forwarded());
        m.put("reassembled", g.ipv6Reassembled());
        m.put("atomicFragments", g.ipv6AtomicFragments());
        m.put("fragmented", g.ipv6Fragmented());
        return m;
    }

    static String prometheus(VirtualNetwork net) {
        StringBuilder out = new StringBuilder(4096);
        header(out, "userv2_port_frames_total", "counter", "Ethernet frames per switch port and direction.");
        for (Port p : net.learningSwitch().ports()) {
            PortCounters c = p.counters();
            sample(out, "userv2_port_frames_total", p, "direction", "in", c.framesIn());
            sample(out, "userv2_port_frames_total", p, "direction", "out", c.framesOut());
        }
        header(out, "userv2_port_bytes_total", "counter", "Ethernet bytes per switch port and direction.");
        for (Port p : net.learningSwitch().ports()) {
            PortCounters c = p.counters();
            sample(out, "userv2_port_bytes_total", p, "direction", "in", c.bytesIn());
            sample(out, "userv2_port_bytes_total", p, "direction", "out", c.bytesOut());
        }
        header(out, "userv2_port_drops_total", "counter", "Frames dropped per switch port and reason.");
        for (Port p : net.learningSwitch().ports()) {
            PortCounters c = p.counters();
            sample(out, "userv2_port_drops_total", p, "reason", "queue_full", c.dropsQueueFull());
            sample(out, "userv2_port_drops_total", p, "reason", "runt", c.dropsRunt());
            sample(out, "userv2_port_drops_total", p, "reason", "framing", c.framingErrors());
            for (PortDropReason r : PortDropReason.values()) {
                sample(out, "userv2_port_drops_total", p, "reason", r.label(), c.drops(r));
            }
        }
        header(out, "userv2_port_budget_pauses_total", "counter",
                "Loop iterations in which reading a port stopped early because its work budget was spent.");
        for (Port p : net.learningSwitch().ports()) {
            out.append("userv2_port_budget_pauses_total{port=\"").append(escape(p.name())).append("\"} ")
                    .append(p.counters().budgetPauses()).append('\n');
        }
        header(out, "userv2_port_mac_entries", "gauge", "MAC addresses learned on each switch port.");
        for (Port p : net.learningSwitch().ports()) {
            out.append("userv2_port_mac_entries{port=\"").append(escape(p.name())).append("\"} ")
                    .append(p.macEntries()).append('\n');
        }
        gauge(out, "userv2_switch_learned_addresses", "MAC addresses in the forwarding table.",
                net.learningSwitch().learnedAddresses());
        header(out, "userv2_gateway_drops_total", "counter", "Frames the gateway dropped, by reason.");
        for (Map.Entry<DropReason, Long> e : net.gateway().counters().droppedByReason().entrySet()) {
            out.append("userv2_gateway_drops_total{reason=\"").append(e.getKey().name().toLowerCase(Locale.ROOT))
                    .append("\"} ").append(e.getValue()).append('\n');
        }
        GatewayIpv6 v6 = net.gateway().ipv6();
        if (v6 != null) {
            header(out, "userv2_gateway_ipv6_total", "counter", "The gateway's IPv6 events (NDP, RA, echo, errors),"
                    + " by kind.");
            for (Map.Entry<String, Long> e : ipv6Counters(net.gateway().counters()).entrySet()) {
                out.append("userv2_gateway_ipv6_total{kind=\"").append(snake(e.getKey())).append("\"} ")
                        .append(e.getValue()).append('\n');
            }
            gauge(out, "userv2_gateway_ipv6_neighbors", "Entries in the gateway's IPv6 neighbour cache.",
                    v6.neighbors().size());
        }
        NatEngine nat = net.nat().engine();
        gauge(out, "userv2_nat_tcp_connections", "Guest TCP connections terminated at the gateway.",
                nat.tcp().connections());
        gauge(out, "userv2_nat_udp_flows", "Guest UDP flows with a host socket.", nat.udp().size());
        gauge(out, "userv2_nat_icmp_echo_flows", "Guest ICMP echo flows with a host ping socket.", nat.icmp().size());
        header(out, "userv2_nat_icmp_echo_total", "counter", "ICMP echo relayed through ping sockets, by direction.");
        out.append("userv2_nat_icmp_echo_total{direction=\"to_host\"} ").append(nat.icmp().counters().requestsToHost())
                .append('\n');
        out.append("userv2_nat_icmp_echo_total{direction=\"to_guest\"} ")
                .append(nat.icmp().counters().repliesToGuest()).append('\n');
        counter(out, "userv2_nat_icmp_not_forwarded_total", "Guest ICMP beyond the gateway dropped: not an echo"
                + " request, malformed, refused by the policy or a cap, or no ping sockets on this host.",
                nat.icmpNotForwarded());
        TcpStats tcp = nat.tcp().stats();
        header(out, "userv2_tcp_segments_total", "counter", "TCP segments of the gateway's endpoints.");
        out.append("userv2_tcp_segments_total{direction=\"in\"} ").append(tcp.segmentsIn()).append('\n');
        out.append("userv2_tcp_segments_total{direction=\"out\"} ").append(tcp.segmentsOut()).append('\n');
        counter(out, "userv2_tcp_retransmitted_segments_total", "TCP segments sent again.",
                tcp.retransmittedSegments());
        counter(out, "userv2_nat_flow_faults_total",
                "NAT flows aborted because of an exception while working for them (each logged with its stack).",
                nat.tcp().faults());
        header(out, "userv2_nat_port_flows", "gauge", "NAT flows each VM port holds, by kind.");
        for (Port p : net.learningSwitch().ports()) {
            OwnerQuotas.Usage u = nat.quotas().usage(p.id());
            if (u != null) {
                sample(out, "userv2_nat_port_flows", p, "kind", "tcp", u.tcp());
                sample(out, "userv2_nat_port_flows", p, "kind", "pending_dial", u.pendingDials());
                sample(out, "userv2_nat_port_flows", p, "kind", "udp", u.udp());
                sample(out, "userv2_nat_port_flows", p, "kind", "icmp_echo", u.icmpEcho());
            }
        }
        header(out, "userv2_nat_port_refused_total", "counter",
                "New NAT flows refused because the VM port was at one of its caps.");
        for (Port p : net.learningSwitch().ports()) {
            OwnerQuotas.Usage u = nat.quotas().usage(p.id());
            if (u != null) {
                out.append("userv2_nat_port_refused_total{port=\"").append(escape(p.name())).append("\"} ")
                        .append(u.refused()).append('\n');
            }
        }
        counter(out, "userv2_nat_flows_aborted_with_port_total",
                "NAT flows aborted because the VM port that owned them closed.", nat.tcp().abortedWithPort());
        counter(out, "userv2_nat_icmp_errors_sent_total",
                "ICMP destination unreachable sent to guests about their flows.", nat.icmpErrorsSent());
        header(out, "userv2_dns_total", "counter", "DNS server events, by kind.");
        for (Map.Entry<String, Long> e : net.services().dns().counters().snapshot().entrySet()) {
            out.append("userv2_dns_total{kind=\"").append(escape(e.getKey())).append("\"} ").append(e.getValue())
                    .append('\n');
        }
        gauge(out, "userv2_dhcp_leases", "DHCP leases in force and static leases (as the lease list shows them).",
                NetworkControlPlane.listedLeases(net, System.currentTimeMillis()).size());
        Dhcp6Server dhcp6 = net.services().dhcp6();
        if (dhcp6 != null) {
            gauge(out, "userv2_dhcp6_leases", "Stateful DHCPv6 leases in force.", dhcp6.leases().stream()
                    .filter(l -> l.isActiveAt(System.currentTimeMillis())).count());
            counter(out, "userv2_dhcp6_replies_total", "DHCPv6 Replies sent.", dhcp6.counters().replies());
        }
        gauge(out, "userv2_forwards", "Port forwards into guests.", net.forwards().list().size());
        VxlanTransport vx = net.vxlan();
        if (vx != null) {
            // Frames and bytes per remote are the userv2_port_* series of its port, named vxlan:ADDRESS:PORT.
            header(out, "userv2_vxlan_drops_total", "counter", "VXLAN datagrams and frames dropped per remote and"
                    + " reason (malformed, other_vni, oversize, too_big, send_failed, second_gateway, over_budget).");
            for (VxlanPort p : vx.remotes()) {
                for (Map.Entry<String, Long> e : p.vxlanDrops().snapshot().entrySet()) {
                    sample(out, "userv2_vxlan_drops_total", p, "reason", e.getKey(), e.getValue());
                }
            }
            header(out, "userv2_vxlan_socket_drops_total", "counter",
                    "VXLAN datagrams dropped before reaching a remote's port (from an endpoint that is no remote).");
            for (Map.Entry<String, Long> e : vx.drops().snapshot().entrySet()) {
                out.append("userv2_vxlan_socket_drops_total{reason=\"").append(e.getKey()).append("\"} ")
                        .append(e.getValue()).append('\n');
            }
            gauge(out, "userv2_vxlan_remotes", "VXLAN remotes attached as switch ports.", vx.remotes().size());
        }
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        header(out, name, "gauge", help);
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        header(out, name, "counter", help);
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void sample(StringBuilder out, String name, Port p, String label, String value, long v) {
        out.append(name).append("{port=\"").append(escape(p.name())).append("\",").append(label).append("=\"")
                .append(value).append("\"} ").append(v).append('\n');
    }

    /** {@code routerAdvertisementsSent} -> {@code router_advertisements_sent}. */
    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    /** Prometheus label escaping: backslash, double quote and newline. */
    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
