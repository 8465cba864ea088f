package io.userv2.switchd.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.userv2.stack.dhcp.SaveCompletion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The file both lease tables are kept in ({@link LeaseFile} for DHCP, {@link Dhcp6LeaseFile} for DHCPv6):
 * {@code {"version": 1, "leases": [ {...}, ... ]}}, each entry encoded and decoded by its owner.
 *
 * <p>Writes go through the {@link StateWriter} (atomic: temporary file, fsync, rename, directory fsync). Reads are
 * tolerant: a missing file is an empty table; a file that is not JSON of this shape is renamed aside to
 * {@code FILE.corrupt-<UTC timestamp>} and the table starts empty; a bad entry is skipped; a newer version is read
 * for what is understood. Nothing here throws: problems are logged. {@link #load} is synchronized; encoding runs on
 * the writer thread from the immutable list given to {@link #save}.
 *
 * @param <L> the lease type
 */
final class LeaseListFile<L> {
    private static final System.Logger LOG = System.getLogger(LeaseListFile.class.getName());
    static final int VERSION = 1;
    private static final DateTimeFormatter CORRUPT_SUFFIX =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Path file;
    private final StateWriter writer;
    private final Clock clock;
    private final String what;
    private final Function<JsonNode, L> decode;
    private final BiConsumer<L, ObjectNode> encode;

    /**
     * @param what how log lines name the file, e.g. "lease file"
     * @param decode one entry to a lease; IllegalArgumentException or DateTimeParseException skip the entry
     * @param encode one lease into its (empty) entry object
     */
    LeaseListFile(Path file, StateWriter writer, Clock clock, String what, Function<JsonNode, L> decode,
            BiConsumer<L, ObjectNode> encode) {
        this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
        this.writer = Objects.requireNonNull(writer, "writer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.what = what;
        this.decode = decode;
        this.encode = encode;
    }

    Path path() {
        return file;
    }

    /** The stored leases; empty when the file is missing or unreadable (a corrupt file is moved aside). */
    synchronized List<L> load() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read " + what + " " + file + ": " + e + "; starting empty");
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
        int version = root.path("version").asInt(VERSION);
        if (version > VERSION) {
            LOG.log(System.Logger.Level.WARNING, what + " " + file + " has version " + version + ", newer than "
                    + VERSION + "; reading what is understood");
        }
        List<L> leases = new ArrayList<>();
        for (JsonNode entry : root.get("leases")) {
            try {
                leases.add(decode.apply(entry));
            } catch (IllegalArgumentException | DateTimeParseException e) {
                LOG.log(System.Logger.Level.WARNING, what + " " + file + ": skipping bad entry " + entry + ": "
                        + e.getMessage());
            }
        }
        return List.copyOf(leases);
    }

    /**
     * Hands snapshot {@code generation} to the writer and returns; {@code completion} hears, on the loop thread,
     * that this snapshot or a later one is on disk, or that writing it failed.
     */
    void save(long generation, List<L> leases, SaveCompletion completion) {
        writer.write(file, () -> StateJson.mapper().writeValueAsBytes(toJson(leases)), new StateWriter.Listener() {
            @Override
            public void written() {
                completion.stored(generation);
            }

            @Override
            public void failed(IOException error) {
                completion.failed(generation, new UncheckedIOException("cannot write " + what + " " + file, error));
            }
        });
    }

    private ObjectNode toJson(List<L> leases) {
        ObjectNode root = StateJson.mapper().createObjectNode();
        root.put("version", VERSION);
        ArrayNode array = root.putArray("leases");
        for (L l : leases) {
            encode.accept(l, array.addObject());
        }
        return root;
    }

    private List<L> corrupt(String why) {
        Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + CORRUPT_SUFFIX.format(clock.instant()));
        try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            LOG.log(System.Logger.Level.WARNING, what + " " + file + " is corrupt (" + why + "); moved to " + aside
                    + ", starting with no leases");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, what + " " + file + " is corrupt (" + why
                    + ") and could not be moved aside (" + e + "); starting with no leases");
        }
        return List.of();
    }
}
