package io.userv2.dns;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One name of an API-added zone, as {@code POST /services/dns/add} carries it: {@code {"Name": "lima-foo",
 * "IP": "192.168.104.3"}}. The name is relative to its zone ("" or "@" means the zone apex); a name ending in a dot
 * is taken as absolute. Immutable.
 *
 * @param name the relative name as given
 * @param ip its address (IPv4 answers A, IPv6 answers AAAA)
 */
public record DnsZoneRecord(String name, InetAddress ip) {

    /** Checks for nulls. */
    public DnsZoneRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(ip, "ip");
    }

    @Override
    public String toString() {
        return name + " " + ip.getHostAddress();
    }
}
