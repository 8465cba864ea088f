package io.userv2.switchd.config;

import io.userv2.dns.DnsConfig;
import io.userv2.dns.DnsZone;
import io.userv2.stack.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How the gateway's DNS server resolves names.
 *
 * @param staticHosts names answered with a fixed address ({@code --dns-host NAME=IP}), like Lima's
 *     {@code hostResolver.hosts}
 * @param hostsFiles hosts-format files consulted for A/AAAA before the operating system ({@code --hosts-file})
 * @param osResolver whether A/AAAA queries not answered by the files go to the operating system's resolver; false
 *     ({@code --host-resolver hosts}) keeps the server hermetic: only the files, the internal zone and the upstreams
 * @param upstreams nameservers for everything else; null follows the host's resolv.conf ({@code --dns-upstream})
 * @param resolvConf the resolv.conf to follow (nameservers, search domains), re-read when it changes
 * @param serverIp where guests find the DNS server: null for the gateway's own address; another address of the LAN
 *     makes the gateway answer there too (Lima's default network puts DNS at .3 beside the gateway at .2)
 * @param zones zones served from the start, as if added through the API ({@code POST /services/dns/add}); gvproxy
 *     starts with {@code containers.internal.} and {@code docker.internal.}
 * @param localTtl seconds the gateway's own answers may be cached ({@code --dns-local-ttl}): the TTL of internal
 *     names and host-resolver answers, and the negative TTL (SOA TTL and MINIMUM) of its NODATA/NXDOMAIN answers
 */
public record DnsSettings(Map<String, Ipv4Address> staticHosts, List<Path> hostsFiles, boolean osResolver,
        List<InetSocketAddress> upstreams, Path resolvConf, Ipv4Address serverIp, List<DnsZone> zones,
        long localTtl) {
    /** The host's own configuration: OS resolver, /etc/resolv.conf, no extra names. */
    public static final DnsSettings HOST = new DnsSettings(Map.of(), List.of(), true, null,
            Path.of("/etc/resolv.conf"), null, List.of());

    /** Copies the collections; checks the TTL. */
    public DnsSettings {
        staticHosts = Map.copyOf(staticHosts);
        hostsFiles = List.copyOf(hostsFiles);
        upstreams = upstreams == null ? null : List.copyOf(upstreams);
        zones = List.copyOf(zones);
        if (localTtl < 0 || localTtl > DnsConfig.MAX_LOCAL_TTL) {
            throw new IllegalArgumentException("--dns-local-ttl must be 0.." + DnsConfig.MAX_LOCAL_TTL
                    + " seconds, got " + localTtl);
        }
    }

    /** The same with the default local TTL ({@link DnsConfig#DEFAULT_LOCAL_TTL}). */
    public DnsSettings(Map<String, Ipv4Address> staticHosts, List<Path> hostsFiles, boolean osResolver,
            List<InetSocketAddress> upstreams, Path resolvConf, Ipv4Address serverIp, List<DnsZone> zones) {
        this(staticHosts, hostsFiles, osResolver, upstreams, resolvConf, serverIp, zones,
                DnsConfig.DEFAULT_LOCAL_TTL);
    }
}
