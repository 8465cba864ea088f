package io.userv2.switchd.services;

import io.userv2.dns.DnsConfig;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsZone;
import io.userv2.dns.HostResolver;
import io.userv2.dns.HostsFileResolver;
import io.userv2.dns.OsHostResolver;
import io.userv2.stack.dhcp.DhcpConfig;
import io.userv2.stack.dhcp.DhcpServer;
import io.userv2.stack.dhcp.LeaseListener;
import io.userv2.stack.dhcp.LeaseStore;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.state.LeaseFile;
import io.userv2.switchd.state.StateWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The services the virtual gateway offers the LAN, attached to its UDP ports: DHCP on 67 (with the lease table
 * persisted and every VM's hostname published as a DNS name) and DNS on 53. With IPv6 on it also turns on the
 * gateway's IPv6 half (Router Advertisements naming the gateway's DNS address and the DHCP search list), answers DNS
 * on the gateway's IPv6 addresses, and gives every DHCP name the IPv6 addresses its VM uses ({@link Ipv6Names}).
 * Built once by the wiring root; owned by the event loop.
 */
public final class GatewayServices implements AutoCloseable {
    private final DnsServer dns;
    private final GatewayDnsUdp dnsUdp;
    private final DhcpServer dhcp;
    private final Ipv6Names ipv6Names;

    private GatewayServices(DnsServer dns, GatewayDnsUdp dnsUdp, DhcpServer dhcp, Ipv6Names ipv6Names) {
        this.dns = dns;
        this.dnsUdp = dnsUdp;
        this.dhcp = dhcp;
        this.ipv6Names = ipv6Names;
    }

    /**
     * Starts the DNS server, attaches DNS and DHCP to {@code gateway}, and schedules lease expiry on {@code loop}.
     * The lease file (if configured) is written by {@code state}, off the loop; ACKs wait for it (see
     * {@link DhcpServer}).
     *
     * @param leases hears of every lease besides the DNS names (the IP source guard's bindings), or null
     */
    public static GatewayServices attach(SwitchConfig config, Gateway gateway, EventLoop loop, StateWriter state,
            LeaseListener leases) throws IOException {
        DnsServer dns = DnsServer.create(dnsConfig(config));
        try {
            GatewayDnsUdp dnsUdp = new GatewayDnsUdp(dns, gateway, loop, config.mtu());
            gateway.bindUdp(GatewayDnsUdp.PORT, dnsUdp);
            List<String> searchDomains = dns.searchDomains();
            DhcpConfig.Builder dhcpBuilder = DhcpConfig.builder(config.subnet(), config.gatewayIp())
                    .searchDomains(searchDomains)
                    .mtu(config.mtu())
                    .staticLeases(config.dhcp().staticLeases());
            if (config.dhcp().poolStart() != null) {
                dhcpBuilder.poolStart(config.dhcp().poolStart());
            }
            Ipv4Address dnsIp = config.dns().serverIp();
            if (dnsIp != null && !dnsIp.equals(config.gatewayIp())) {
                gateway.addAddress(dnsIp); // ARP, ping and port 53 (UDP here, TCP in the NAT) at that address too
                dhcpBuilder.dnsServers(List.of(dnsIp)).reserve(dnsIp);
            }
            Ipv4Address hostAlias = config.nat().hostAliasOr(config.gatewayIp());
            if (!hostAlias.equals(config.gatewayIp()) && config.subnet().contains(hostAlias)) {
                // gvproxy's layout (host alias .254 beside the gateway .1): the gateway answers ARP and ping there,
                // the NAT takes its TCP and UDP to the host, and DHCP never hands it out
                gateway.addAddress(hostAlias);
                dhcpBuilder.reserve(hostAlias);
            }
            DhcpConfig dhcpConfig = dhcpBuilder.build();
            Path leasesFile = config.dhcp().leasesFile();
            LeaseStore store = leasesFile == null ? LeaseStore.NONE : new LeaseFile(leasesFile, state);
            DhcpServer dhcp = DhcpServer.attach(gateway, dhcpConfig, store, System.nanoTime(),
                    System.currentTimeMillis());
            dhcp.setEventListener(new DhcpLog());
            for (DnsZone zone : config.dns().zones()) {
                dns.zone().addZone(zone);
            }
            LeaseListener names = new LeaseNames(dns.zone());
            Ipv6Names ipv6Names = null;
            if (config.ipv6().enabled()) {
                ipv6Names = new Ipv6Names(dns.zone());
                names = new LeaseFanOut(names, ipv6Names);
                GatewayIpv6 v6 = gateway.enableIpv6(Ipv6Config.of(config.ipv6Prefix(), config.gatewayIpv6(),
                        searchDomains), new SplittableRandom(), loop.now());
                v6.bindUdp(GatewayDnsUdp.PORT, dnsUdp);
                v6.neighbors().setListener(ipv6Names);
            }
            dhcp.setLeaseListener(leases == null ? names : new LeaseFanOut(names, leases), System.nanoTime());
            loop.every(10_000_000_000L, () -> dhcp.expire(System.nanoTime()));
            return new GatewayServices(dns, dnsUdp, dhcp, ipv6Names);
        } catch (RuntimeException e) {
            dns.close();
            throw e;
        }
    }

    private static DnsConfig dnsConfig(SwitchConfig config) throws IOException {
        InetAddress gatewayIp = config.gatewayIp().toInetAddress();
        DnsConfig.Builder b = DnsConfig.builder()
                .hostAlias("host.lima.internal", config.nat().hostAliasOr(config.gatewayIp()).toInetAddress())
                .gatewayName("gateway.lima.internal", gatewayIp)
                .resolvConf(config.dns().resolvConf())
                .upstreams(config.dns().upstreams())
                .hostResolver(hostResolver(config.dns().hostsFiles(), config.dns().osResolver()));
        for (Map.Entry<String, Ipv4Address> e : config.dns().staticHosts().entrySet()) {
            b.staticHost(e.getKey(), e.getValue().toInetAddress());
        }
        return b.build();
    }

    /** Hosts files first, in order; then the operating system's resolver unless it is turned off. */
    private static HostResolver hostResolver(List<Path> hostsFiles, boolean osResolver) throws IOException {
        List<HostResolver> chain = new ArrayList<>();
        for (Path file : hostsFiles) {
            chain.add(HostsFileResolver.read(file));
        }
        if (osResolver) {
            chain.add(new OsHostResolver());
        }
        return name -> {
            for (HostResolver r : chain) {
                List<InetAddress> found = r.resolve(name);
                if (!found.isEmpty()) {
                    return found;
                }
            }
            return List.of();
        };
    }

    /** The DNS server (its internal zone takes API-added names too). */
    public DnsServer dns() {
        return dns;
    }

    /** DNS over UDP at the gateway (its per-port drops). */
    public GatewayDnsUdp dnsUdp() {
        return dnsUdp;
    }

    /** The AAAA names of the VMs, or null when IPv6 is off; touch only on the loop thread. */
    public Ipv6Names ipv6Names() {
        return ipv6Names;
    }

    /** The DHCP server; touch only on the loop thread. */
    public DhcpServer dhcp() {
        return dhcp;
    }

    /** Stops the DNS server's resolver threads. */
    @Override
    public void close() {
        dns.close();
    }
}
