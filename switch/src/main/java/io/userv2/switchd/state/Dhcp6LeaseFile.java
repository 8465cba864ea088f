package io.userv2.switchd.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.dhcp6.Dhcp6Lease;
import io.userv2.stack.dhcp6.Dhcp6LeaseStore;
import io.userv2.stack.dhcp6.Duid;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

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
    private static final System.Logger LOG = System.getLogger(Dhcp6LeaseFile.class.getName());
    private static final int VERSION = 1;
    private static final DateTimeFormatter CORRUPT_SUFFIX =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path file;
    private final StateWriter writer;
    private final Clock clock;

    /** A store on {@code file} written by {@code writer}. */
    public Dhcp6LeaseFile(Path file, StateWriter writer) {
        this(file, writer, Clock.systemUTC());
    }

    /** A store on {@code file} whose corrupt-file names take their timestamp from {@code clock}. */
    public Dhcp6LeaseFile(Path file, StateWriter writer, Clock clock) {
        this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
        this.writer = Objects.requireNonNull(writer, "writer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The file beside the IPv4 lease file {@code leases}: {@code net.leases.json} gives {@code net.leases6.json}. */
    public static Path besideIpv4(Path leases) {
        String name = leases.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return leases.resolveSibling(base + "6.json");
    }

    /** The file. */
    public Path path() {
        return file;
    }

    @Override
    public synchronized List<Dhcp6Lease> load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read DHCPv6 lease file " + file + ": " + e
                    + "; starting empty");
            return List.of();
        }
        JsonNode root;
        try {
            root = StateJson.mapper().readTree(bytes);
        } catch (JsonProcessingException e) {
            return corrupt("not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return corrupt("not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("leases").isArray()) {
            return corrupt("no \"leases\" array");
        }
        List<Dhcp6Lease> leases = new ArrayList<>();
        for (JsonNode entry : root.get("leases")) {
            try {
                leases.add(fromJson(entry));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                LOG.log(System.Logger.Level.WARNING, "DHCPv6 lease file " + file + ": skipping bad entry " + entry
                        + ": " + e.getMessage());
            }
        }
        return List.copyOf(leases);
    }

    @Override
    public void save(long generation, List<Dhcp6Lease> leases, SaveCompletion completion) {
        writer.write(file, () -> StateJson.mapper().writeValueAsBytes(toJson(leases)), new StateWriter.Listener() {
            @Override
            public void written() {
                completion.stored(generation);
            }

            @Override
            public void failed(IOException error) {
                completion.failed(generation, new UncheckedIOException("cannot write DHCPv6 lease file " + file,
                        error));
            }
        });
    }

    private List<Dhcp6Lease> corrupt(String why) {
        Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + CORRUPT_SUFFIX.format(clock.instant()));
        try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            LOG.log(System.Logger.Level.WARNING, "DHCPv6 lease file " + file + " is corrupt (" + why + "); moved to "
                    + aside + ", starting with no leases");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "DHCPv6 lease file " + file + " is corrupt (" + why
                    + ") and could not be moved aside (" + e + "); starting with no leases");
        }
        return List.of();
    }

    private static ObjectNode toJson(List<Dhcp6Lease> leases) {
        ObjectNode root = StateJson.mapper().createObjectNode();
        root.put("version", VERSION);
        ArrayNode array = root.putArray("leases");
        for (Dhcp6Lease l : leases) {
            ObjectNode o = array.addObject();
            o.put("duid", l.duid().toString());
            o.put("iaid", Integer.toUnsignedLong(l.iaid()));
            o.put("ip", Ipv6Address.of(l.address()).toString());
            o.put("mac", l.mac().toString());
            o.put("expires", Instant.ofEpochMilli(l.expiresEpochMillis()).toString());
        }
        return root;
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
        return "Dhcp6LeaseFile{" + file + "}";
    }
}
