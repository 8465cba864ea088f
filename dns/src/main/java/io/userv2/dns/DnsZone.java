package io.userv2.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * A zone added through the HTTP API, as gvisor-tap-vsock's {@code POST /services/dns/add} takes it:
 * {@code {"Name": "internal.", "Records": [{"Name": "lima-foo", "IP": "192.168.104.3"}], "DefaultIP": null}}.
 * Stored as given so that {@code GET /services/dns/all} can list it back. Immutable.
 *
 * @param name the zone name, e.g. {@code "internal."} (a missing trailing dot is tolerated)
 * @param records its names, relative to the zone
 * @param defaultIp when not null, every other name in the zone answers this address; null otherwise
 */
public record DnsZone(String name, List<DnsZoneRecord> records, InetAddress defaultIp) {

    /** Checks for nulls and copies the list. */
    public DnsZone {
        Objects.requireNonNull(name, "name");
        records = List.copyOf(records);
    }

    @Override
    public String toString() {
        return "zone " + name + " " + records + (defaultIp == null ? "" : " default " + defaultIp.getHostAddress());
    }
}
