package io.userv2.switchd.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.dhcp6.Dhcp6Lease;
import io.userv2.stack.dhcp6.Dhcp6LeaseStore;
import io.userv2.stack.dhcp6.Duid;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The stateful DHCPv6 bindings on disk: a {@link Dhcp6LeaseStore} on one JSON file, kept exactly as {@link LeaseFile}
 * keeps the IPv4 leases (read it for the guarantees: writes through the {@link StateWriter}, off the loop, atomic
 * with fsync and rename, reported back per generation; reads tolerant, a corrupt file moved aside, a bad entry
 * skipped; nothing thrown). The format (version 1):
 *
 * <pre>
 * {
 *   "version" : 1,
 *   "leases" : [ {
 *     "duid" : "00:01:00:01:2c:0f:8a:10:52:55:55:12:34:56",   (the client's DUID, hex octets)
 *     "iaid" : 1,                                             (the IA_NA's IAID, unsigned 32 bits)
 *     "ip" : "fd8c:1d2e:3f40::1a2b",
 *     "mac" : "52:55:55:12:34:56",
 *     "expires" : "2026-01-01T01:00:00Z"                      (in the past for expired or released leases)
 *   } ]
 * }
 * </pre>
 */
public final class Dhcp6LeaseFile implements Dhcp6LeaseStore {
    private final LeaseListFile<Dhcp6Lease> store;

    /** A store on {@code file} written by {@code writer}. */
    public Dhcp6LeaseFile(Path file, StateWriter writer) {
        this(file, writer, Clock.systemUTC());
    }

    /** A store on {@code file} whose corrupt-file names take their timestamp from {@code clock}. */
    public Dhcp6LeaseFile(Path file, StateWriter writer, Clock clock) {
        this.store = new LeaseListFile<>(file, writer, clock, "DHCPv6 lease file", Dhcp6LeaseFile::fromJson,
                Dhcp6LeaseFile::toJson);
    }

    /** The file beside the IPv4 lease file {@code leases}: {@code net.leases.json} gives {@code net.leases6.json}. */
    public static Path besideIpv4(Path leases) {
        String name = leases.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return leases.resolveSibling(base + "6.json");
    }

    /** The file. */
    public Path path() {
        return store.path();
    }

    @Override
    public List<Dhcp6Lease> load() {
        return store.load();
    }

    @Override
    public void save(long generation, List<Dhcp6Lease> leases, SaveCompletion completion) {
        store.save(generation, leases, completion);
    }

    private static void toJson(Dhcp6Lease l, ObjectNode o) {
        o.put("duid", l.duid().toString());
        o.put("iaid", Integer.toUnsignedLong(l.iaid()));
        o.put("ip", Ipv6Address.of(l.address()).toString());
        o.put("mac", l.mac().toString());
        o.put("expires", Instant.ofEpochMilli(l.expiresEpochMillis()).toString());
    }

    private static Dhcp6Lease fromJson(JsonNode o) {
        if (!o.isObject() || !o.path("duid").isTextual() || !o.path("iaid").canConvertToLong()
                || !o.path("ip").isTextual() || !o.path("mac").isTextual() || !o.path("expires").isTextual()) {
            throw new IllegalArgumentException("needs fields duid, iaid, ip, mac and expires");
        }
        long iaid = o.get("iaid").asLong();
        if (iaid < 0 || iaid > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("IAID out of range: " + iaid);
        }
        Inet6Address address = Ipv6Address.parse(o.get("ip").asText()).toInetAddress();
        return new Dhcp6Lease(Duid.parse(o.get("duid").asText()), (int) iaid, address,
                MacAddress.parse(o.get("mac").asText()), Instant.parse(o.get("expires").asText()).toEpochMilli());
    }

    @Override
    public String toString() {
        return "Dhcp6LeaseFile{" + store.path() + "}";
    }
}
