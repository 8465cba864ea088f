package io.userv2.switchd.services;

import io.userv2.dns.DnsConfig;
import io.userv2.stack.nat.Nat64Policy;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsZone;
import io.userv2.dns.HostResolver;
import io.userv2.dns.HostsFileResolver;
import io.userv2.dns.OsHostResolver;
import io.userv2.stack.dhcp.DhcpConfig;
import io.userv2.stack.dhcp.DhcpServer;
import io.userv2.stack.dhcp.LeaseListener;
import io.userv2.stack.dhcp.LeaseStore;
import io.userv2.stack.dhcp6.Dhcp6Config;
import io.userv2.stack.dhcp6.Dhcp6Datagram;
import io.userv2.stack.dhcp6.Dhcp6LeaseStore;
import io.userv2.stack.dhcp6.Dhcp6Sender;
import io.userv2.stack.dhcp6.Dhcp6Server;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.state.Dhcp6LeaseFile;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.state.LeaseFile;
import io.userv2.switchd.state.StateWriter;
import java.io.IOException;
import java.net.Inet6Address;
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
    private final Dhcp6Server dhcp6;

    private GatewayServices(DnsServer dns, GatewayDnsUdp dnsUdp, DhcpServer dhcp, Ipv6Names ipv6Names,
                            Dhcp6Server dhcp6) {
        this.dns = dns;
        this.dnsUdp = dnsUdp;
        this.dhcp = dhcp;
        this.ipv6Names = ipv6Names;
        this.dhcp6 = dhcp6;
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
                    .leaseSeconds(config.dhcp().leaseSeconds())
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
            Dhcp6Server dhcp6 = null;
            if (config.ipv6().enabled()) {
                ipv6Names = new Ipv6Names(dns.zone());
                names = new LeaseFanOut(names, ipv6Names);
                Ipv6Settings.Dhcpv6Mode mode = config.ipv6().dhcpv6();
                GatewayIpv6 v6 = gateway.enableIpv6(Ipv6Config.of(config.ipv6Prefix(), config.gatewayIpv6(),
                        searchDomains).withDhcpv6(mode == Ipv6Settings.Dhcpv6Mode.STATEFUL,
                        mode != Ipv6Settings.Dhcpv6Mode.OFF), new SplittableRandom(), loop.now());
                v6.bindUdp(GatewayDnsUdp.PORT, dnsUdp);
                // NAT66 takes TCP and UDP to the gateway's IPv6 address to the host's [::1]: the host alias and the
                // gateway's names answer it as AAAA (host.lima.internal, host.containers.internal)
                Inet6Address gateway6 = v6.address().toInetAddress();
                dns.zone().addIpv6Twin(hostAlias.toInetAddress(), gateway6);
                dns.zone().addIpv6Twin(config.gatewayIp().toInetAddress(), gateway6);
                v6.neighbors().setListener(ipv6Names);
                if (mode != Ipv6Settings.Dhcpv6Mode.OFF) {
                    dhcp6 = dhcp6(config, v6, leasesFile == null ? Dhcp6LeaseStore.NONE
                            : new Dhcp6LeaseFile(Dhcp6LeaseFile.besideIpv4(leasesFile), state));
                    dhcp6.setLeaseListener(ipv6Names, System.nanoTime());
                    Dhcp6Server server = dhcp6;
                    loop.every(10_000_000_000L, () -> server.expire(System.nanoTime()));
                }
            }
            dhcp.setLeaseListener(leases == null ? names : new LeaseFanOut(names, leases), System.nanoTime());
            loop.every(10_000_000_000L, () -> dhcp.expire(System.nanoTime()));
            return new GatewayServices(dns, dnsUdp, dhcp, ipv6Names, dhcp6);
        } catch (RuntimeException e) {
            dns.close();
            throw e;
        }
    }

    /**
     * The DHCPv6 server on UDP 547 of the gateway's IPv6 addresses and {@code ff02::1:2}: the gateway's address as
     * DNS server, the IPv4 DHCP's search list, and with {@code --dhcpv6=stateful} leases from the LAN's prefix
     * (Rapid Commit allowed, Preference 255 so that clients take the first answer). Its answers go out from the
     * gateway's address of the client's scope (link-local to a link-local client), port 547.
     */
    private static Dhcp6Server dhcp6(SwitchConfig config, GatewayIpv6 v6, Dhcp6LeaseStore store) {
        Dhcp6Config.Builder b = Dhcp6Config.builder(config.gatewayMac())
                .dnsServers(List.of(v6.address().toInetAddress()))
                .searchDomains(v6.config().searchDomains())
                .preference(255);
        if (config.ipv6().dhcpv6() == Ipv6Settings.Dhcpv6Mode.STATEFUL) {
            b.addressPool(config.ipv6Prefix().network().toInetAddress()).reserve(v6.address().toInetAddress())
                    .rapidCommit(true);
        }
        Dhcp6Sender out = (dstMac, dst, dstPort, payload) -> {
            Ipv6Address to = Ipv6Address.of(dst);
            v6.sendUdp(dstMac, v6.sourceFor(to), Dhcp6Server.SERVER_PORT, to, dstPort, payload);
        };
        Dhcp6Server server = new Dhcp6Server(b.build(), out, store, System.nanoTime(), System.currentTimeMillis());
        server.setEventListener(new Dhcp6Log());
        v6.bindUdp(Dhcp6Server.SERVER_PORT, (d, nowNanos) -> server.datagram(new Dhcp6Datagram(d.srcMac(),
                d.src().toInetAddress(), d.srcPort(), d.multicast(), d.payload(), d.ingress()), nowNanos));
        return server;
    }

    private static DnsConfig dnsConfig(SwitchConfig config) throws IOException {
        InetAddress gatewayIp = config.gatewayIp().toInetAddress();
        DnsConfig.Builder b = DnsConfig.builder()
                .hostAlias("host.lima.internal", config.nat().hostAliasOr(config.gatewayIp()).toInetAddress())
                .gatewayName("gateway.lima.internal", gatewayIp)
                .resolvConf(config.dns().resolvConf())
                .upstreams(config.dns().upstreams())
                .hostResolver(hostResolver(config.dns().hostsFiles(), config.dns().osResolver()))
                .ttls(config.dns().localTtl(), config.dns().localTtl())
                .negativeTtl(config.dns().localTtl());
        Nat64Policy nat64 = config.nat().nat64Policy(config.subnet(), config.gatewayIp());
        if (nat64 != null && config.ipv6().enabled()) {
            b.dns64(new Dns64Synthesis(nat64)); // one switch for NAT64 and DNS64
        }
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
        return HostResolver.firstOf(chain);
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

    /** The DHCPv6 server, or null when IPv6 or DHCPv6 is off; touch only on the loop thread. */
    public Dhcp6Server dhcp6() {
        return dhcp6;
    }

    /** Switch port {@code port} is gone: what it held at the services goes (DHCPv6 offers and per-port counts). */
    public void portClosed(int port) {
        if (dhcp6 != null) {
            dhcp6.portClosed(port);
        }
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
