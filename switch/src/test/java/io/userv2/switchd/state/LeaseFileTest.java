package io.userv2.switchd.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseFileTest {
    static final long EXPIRES = Instant.parse("2026-01-01T01:00:00.250Z").toEpochMilli();
    static final Lease VM1 = new Lease(MacAddress.parse("52:55:55:12:34:56"), Ipv4Address.parse("192.168.104.3"),
            "lima-vm1", EXPIRES, false);
    static final Lease VM2 = new Lease(MacAddress.parse("52:55:55:00:00:02"), Ipv4Address.parse("192.168.104.50"),
            null, EXPIRES - 7_200_000, true);

    @TempDir
    Path dir;
    /** Completions run on the writer thread here; the tests wait for them. */
    final StateWriter writer = new StateWriter(Runnable::run, 10_000);
    long generation;

    @AfterEach
    void closeWriter() {
        writer.close();
    }

    LeaseFile store(Path file) {
        return new LeaseFile(file, writer);
    }

    /** Saves {@code leases} as the next generation and waits for the outcome: null when stored, else the error. */
    RuntimeException save(LeaseFile store, List<Lease> leases) throws Exception {
        long g = ++generation;
        CompletableFuture<RuntimeException> outcome = new CompletableFuture<>();
        store.save(g, leases, new SaveCompletion() {
            @Override
            public void stored(long reported) {
                outcome.complete(reported == g ? null : new IllegalStateException("stored " + reported));
            }

            @Override
            public void failed(long reported, RuntimeException error) {
                outcome.complete(reported == g ? error : new IllegalStateException("failed " + reported));
            }
        });
        return outcome.get(10, TimeUnit.SECONDS);
    }

    void saveOk(LeaseFile store, List<Lease> leases) throws Exception {
        assertNull(save(store, leases));
    }

    Path file() {
        return dir.resolve("leases.json");
    }

    List<Path> listDir() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aMissingFileIsAnEmptyTableAndIsNotCreatedByLoading() throws Exception {
        assertEquals(List.of(), store(file()).load());
        assertEquals(List.of(), listDir());
    }

    @Test
    void roundTripInTheDocumentedShape() throws Exception {
        LeaseFile store = store(file());
        saveOk(store, List.of(VM1, VM2));
        assertEquals(List.of(VM1, VM2), store(file()).load());
        JsonNode root = new ObjectMapper().readTree(file().toFile());
        assertEquals(1, root.get("version").asInt());
        JsonNode first = root.get("leases").get(0);
        assertEquals("52:55:55:12:34:56", first.get("mac").asText());
        assertEquals("192.168.104.3", first.get("ip").asText());
        assertEquals("lima-vm1", first.get("hostname").asText());
        assertEquals("2026-01-01T01:00:00.250Z", first.get("expires").asText());
        assertFalse(first.get("static").asBoolean());
        assertFalse(root.get("leases").get(1).has("hostname"), "an absent hostname is left out");
        assertEquals(List.of(file()), listDir(), "no temporary file left behind");
    }

    @Test
    void aSaveReplacesTheFileByRenameNeverInPlace() throws Exception {
        LeaseFile store = store(file());
        saveOk(store, List.of(VM1));
        Object inode1 = Files.getAttribute(file(), "unix:ino");
        saveOk(store, List.of(VM2));
        Object inode2 = Files.getAttribute(file(), "unix:ino");
        assertNotEquals(inode1, inode2, "a new file was renamed over the old one");
        assertEquals(List.of(VM2), store.load());
        assertEquals(List.of(file()), listDir());
    }

    @Test
    void aConcurrentReaderNeverSeesAHalfWrittenFile() throws Exception {
        LeaseFile store = store(file());
        List<Lease> big = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            big.add(new Lease(MacAddress.of(0x525555000000L + i), Ipv4Address.parse("10.0.0.0").plus(i + 1),
                    "host-" + i, EXPIRES, false));
        }
        saveOk(store, List.of(VM1));
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            ObjectMapper mapper = new ObjectMapper();
            while (!done.get()) {
                try {
                    int n = mapper.readTree(Files.readAllBytes(file())).get("leases").size();
                    if (n != 1 && n != 200) {
                        failure.set("saw " + n + " leases");
                    }
                } catch (Exception e) {
                    failure.set(e.toString());
                }
            }
        });
        reader.start();
        for (int i = 0; i < 100; i++) {
            saveOk(store, i % 2 == 0 ? big : List.of(VM1));
        }
        done.set(true);
        reader.join();
        assertEquals(null, failure.get());
    }

    @Test
    void aCorruptFileIsMovedAsideAndTheTableStartsEmpty() throws Exception {
        byte[] garbage = "{\"leases\": [ {\"mac\": \"52:55".getBytes(StandardCharsets.UTF_8);
        Files.write(file(), garbage);
        Clock clock = Clock.fixed(Instant.parse("2026-03-04T05:06:07Z"), ZoneOffset.UTC);
        LeaseFile store = new LeaseFile(file(), writer, clock);
        assertEquals(List.of(), store.load());
        Path aside = dir.resolve("leases.json.corrupt-20260304T050607Z");
        assertEquals(List.of(aside), listDir());
        assertArrayEquals(garbage, Files.readAllBytes(aside), "kept for inspection");
        saveOk(store, List.of(VM1));
        assertEquals(List.of(VM1), store.load());
    }

    @Test
    void theWrongShapeIsCorruptToo() throws Exception {
        Files.writeString(file(), "[1, 2, 3]");
        assertEquals(List.of(), store(file()).load());
        assertFalse(Files.exists(file()));
        Files.writeString(file(), "");
        assertEquals(List.of(), store(file()).load());
    }

    @Test
    void badEntriesAreSkippedAndTheRestKept() throws Exception {
        Files.writeString(file(), """
                {"version": 1, "leases": [
                  {"mac": "not-a-mac", "ip": "192.168.104.9", "expires": "2026-01-01T00:00:00Z"},
                  {"mac": "52:55:55:00:00:09", "ip": "192.168.104.9"},
                  {"mac": "52:55:55:00:00:09", "ip": "192.168.104.9", "expires": "yesterday"},
                  7,
                  {"mac": "52:55:55:12:34:56", "ip": "192.168.104.3", "hostname": "lima-vm1",
                   "expires": "2026-01-01T01:00:00.250Z", "future-field": true}
                ]}
                """);
        assertEquals(List.of(VM1), store(file()).load());
        assertTrue(Files.exists(file()), "a readable file is not moved aside");
    }

    @Test
    void theDirectoryIsCreatedAndAnImpossiblePathIsReportedNotThrown() throws Exception {
        LeaseFile nested = store(dir.resolve("a/b/leases.json"));
        saveOk(nested, List.of(VM1));
        assertEquals(List.of(VM1), nested.load());
        Files.writeString(dir.resolve("plain"), "x");
        LeaseFile impossible = store(dir.resolve("plain/leases.json"));
        RuntimeException error = save(impossible, List.of(VM1));
        assertNotNull(error, "the failure is reported to the completion");
        assertTrue(error.getMessage().contains("plain/leases.json"), error.getMessage());
        assertEquals(List.of(), impossible.load());
    }

    @Test
    void theSnapshotIsOnDiskWhenItsGenerationIsReported() throws Exception {
        LeaseFile store = store(file());
        CompletableFuture<List<Lease>> onDiskWhenReported = new CompletableFuture<>();
        store.save(7, List.of(VM1, VM2), new SaveCompletion() {
            @Override
            public void stored(long g) {
                onDiskWhenReported.complete(g == 7 ? store(file()).load() : List.of());
            }

            @Override
            public void failed(long g, RuntimeException error) {
                onDiskWhenReported.completeExceptionally(error);
            }
        });
        assertEquals(List.of(VM1, VM2), onDiskWhenReported.get(10, TimeUnit.SECONDS));
    }

    @Test
    void savesWhileAWriteIsInProgressLandAsTheLastSnapshotReportedOnce() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch disk = new CountDownLatch(1);
        writer.write(dir.resolve("other"), () -> { // occupies the writer thread, as a slow disk would
            writing.countDown();
            try {
                disk.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new byte[0];
        }, new StateWriter.Listener() {
            @Override
            public void written() {
            }

            @Override
            public void failed(java.io.IOException error) {
            }
        });
        assertTrue(writing.await(10, TimeUnit.SECONDS));
        LeaseFile store = store(file());
        List<Long> stored = new CopyOnWriteArrayList<>();
        CountDownLatch last = new CountDownLatch(1);
        SaveCompletion completion = new SaveCompletion() {
            @Override
            public void stored(long g) {
                stored.add(g);
                if (g == 20) {
                    last.countDown();
                }
            }

            @Override
            public void failed(long g, RuntimeException error) {
                stored.add(-g);
            }
        };
        for (long g = 1; g <= 20; g++) {
            store.save(g, g % 2 == 0 ? List.of(VM1) : List.of(VM1, VM2), completion);
        }
        disk.countDown();
        assertTrue(last.await(10, TimeUnit.SECONDS), "generation 20 reported");
        writer.close();
        assertEquals(List.of(20L), stored, "one write, reported once, for the latest generation");
        assertEquals(List.of(VM1), store.load());
    }
}
