package io.userv2.switchd.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.LeaseStore;
import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * The DHCP lease table on disk: a {@link LeaseStore} on one JSON file, so that VMs keep their addresses across daemon
 * restarts. The format (version 1):
 *
 * <pre>
 * {
 *   "version" : 1,
 *   "leases" : [ {
 *     "mac" : "52:55:55:12:34:56",
 *     "ip" : "192.168.104.3",
 *     "hostname" : "lima-vm1",               (absent when the client sent none)
 *     "expires" : "2026-01-01T01:00:00Z",    (ISO-8601 instant, UTC; in the past for expired/released leases)
 *     "static" : false
 *   } ]
 * }
 * </pre>
 *
 * <p>Writes go through the {@link StateWriter}, off the event loop: {@link #save} hands the snapshot over and
 * returns; the writer encodes and writes the latest snapshot (skipping any that a newer one replaced before it was
 * written) and reports its generation back to the {@link SaveCompletion} on the loop thread, where the DHCP server
 * then sends the ACKs that waited for it. Write failures are not logged here: they go to the completion, and the
 * DHCP server reports them once per run of failures.
 *
 * <p>Writes are atomic ({@link AtomicFile}): the JSON goes to a temporary file in the same directory, which is fsynced
 * and then renamed over the file (an atomic replace on POSIX), and the directory is fsynced so that the rename
 * survives a crash; a reader (or a crash) sees the old table or the new one, never half of one. Reads are tolerant:
 * a missing file is an empty table; a file that is not valid JSON of this shape is renamed aside to
 * {@code FILE.corrupt-<UTC timestamp>} (kept for inspection) and the table starts empty; a single bad entry is
 * skipped. Nothing here throws: problems are logged (System.Logger) or reported, and the daemon carries on, at worst
 * without persistence.
 *
 * <p>Thread-safe: {@link #load} is synchronized and runs once at start-up; encoding happens on the writer thread
 * from the immutable list given to {@link #save}.
 */
public final class LeaseFile implements LeaseStore {
    private final LeaseListFile<Lease> store;

    /** A store on {@code file} written by {@code writer} (its directory is created on the first save if missing). */
    public LeaseFile(Path file, StateWriter writer) {
        this(file, writer, Clock.systemUTC());
    }

    /** A store on {@code file} whose corrupt-file names take their timestamp from {@code clock}. */
    public LeaseFile(Path file, StateWriter writer, Clock clock) {
        this.store = new LeaseListFile<>(file, writer, clock, "lease file", LeaseFile::fromJson, LeaseFile::toJson);
    }

    /** The file. */
    public Path path() {
        return store.path();
    }

    /** The stored leases; empty when the file is missing or unreadable (a corrupt file is moved aside). */
    @Override
    public List<Lease> load() {
        return store.load();
    }

    /**
     * Hands snapshot {@code generation} to the writer and returns; {@code completion} hears, on the loop thread,
     * that this snapshot or a later one is on disk, or that writing it failed.
     */
    @Override
    public void save(long generation, List<Lease> leases, SaveCompletion completion) {
        store.save(generation, leases, completion);
    }

    private static void toJson(Lease l, ObjectNode o) {
        o.put("mac", l.mac().toString());
        o.put("ip", l.ip().toString());
        if (l.hostname() != null) {
            o.put("hostname", l.hostname());
        }
        o.put("expires", Instant.ofEpochMilli(l.expiresEpochMillis()).toString());
        o.put("static", l.staticLease());
    }

    private static Lease fromJson(JsonNode o) {
        if (!o.isObject() || !o.path("mac").isTextual() || !o.path("ip").isTextual()
                || !o.path("expires").isTextual()) {
            throw new IllegalArgumentException("needs text fields mac, ip and expires");
        }
        JsonNode host = o.path("hostname");
        String hostname = host.isTextual() && !host.asText().isEmpty() ? host.asText() : null;
        return new Lease(MacAddress.parse(o.get("mac").asText()), Ipv4Address.parse(o.get("ip").asText()), hostname,
                Instant.parse(o.get("expires").asText()).toEpochMilli(), o.path("static").asBoolean(false));
    }

    @Override
    public String toString() {
        return "LeaseFile{" + store.path() + "}";
    }
}
