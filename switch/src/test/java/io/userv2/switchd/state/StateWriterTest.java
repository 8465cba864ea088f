package io.userv2.switchd.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The background writer: outcomes come back through the loop, the latest snapshot wins, close flushes. */
class StateWriterTest {
    /** Plays the event loop: the writer's completions queue up here until the test runs them. */
    final LinkedBlockingQueue<Runnable> loop = new LinkedBlockingQueue<>();
    final StateWriter writer = new StateWriter(loop::add, 10_000);
    /** What the listeners heard, in order, e.g. {@code "written 3"}. */
    final List<String> heard = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        writer.close();
    }

    StateWriter.Listener listener(String name) {
        return new StateWriter.Listener() {
            @Override
            public void written() {
                heard.add("written " + name);
            }

            @Override
            public void failed(IOException error) {
                heard.add("failed " + name + ": " + error.getMessage());
            }
        };
    }

    static StateWriter.Snapshot text(String s) {
        return () -> s.getBytes(StandardCharsets.UTF_8);
    }

    /** Waits (in a snapshot's encode, which may only throw IOException) for the test to let the write go on. */
    static void awaitInSnapshot(CountDownLatch go) throws IOException {
        try {
            if (!go.await(10, TimeUnit.SECONDS)) {
                throw new IOException("the test never let the write go on");
            }
        } catch (InterruptedException e) {
            throw new InterruptedIOException();
        }
    }

    /** Runs the next completion the writer handed to the loop (waiting for it at most 10 s). */
    void runOneOnTheLoop() throws InterruptedException {
        Runnable r = loop.poll(10, TimeUnit.SECONDS);
        assertNotNull(r, "no completion within 10 s");
        r.run();
    }

    @Test
    void theOutcomeIsReportedThroughTheLoopAfterTheFileIsInPlace() throws Exception {
        Path file = dir.resolve("state.json");
        writer.write(file, text("one"), listener("one"));
        Runnable completion = loop.poll(10, TimeUnit.SECONDS);
        assertNotNull(completion);
        assertEquals(List.of(), heard, "listeners run only on the loop");
        assertEquals("one", Files.readString(file), "durable before it is reported");
        completion.run();
        assertEquals(List.of("written one"), heard);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }
    }

    @Test
    void manySnapshotsWhileOneIsBeingWrittenLeaveOnlyTheLastOnDisk() throws Exception {
        Path file = dir.resolve("leases.json");
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch disk = new CountDownLatch(1);
        AtomicInteger encoded = new AtomicInteger();
        writer.write(file, () -> {
            encoded.incrementAndGet();
            writing.countDown();
            awaitInSnapshot(disk);
            return "1".getBytes(StandardCharsets.UTF_8);
        }, listener("1"));
        assertTrue(writing.await(10, TimeUnit.SECONDS), "first write started");
        for (int i = 2; i <= 50; i++) {
            String n = Integer.toString(i);
            writer.write(file, () -> {
                encoded.incrementAndGet();
                return n.getBytes(StandardCharsets.UTF_8);
            }, listener(n));
        }
        disk.countDown();
        runOneOnTheLoop();
        runOneOnTheLoop();
        assertEquals(List.of("written 1", "written 50"), heard, "snapshots 2 to 49 were skipped, silently");
        assertEquals("50", Files.readString(file));
        assertEquals(2, encoded.get(), "a skipped snapshot is never even encoded");
        writer.close();
        assertTrue(loop.isEmpty(), "nothing else reported");
    }

    @Test
    void differentFilesAreNotCoalesced() throws Exception {
        writer.write(dir.resolve("a"), text("a"), listener("a"));
        writer.write(dir.resolve("b"), text("b"), listener("b"));
        runOneOnTheLoop();
        runOneOnTheLoop();
        assertEquals(List.of("written a", "written b"), heard);
        assertEquals("a", Files.readString(dir.resolve("a")));
        assertEquals("b", Files.readString(dir.resolve("b")));
    }

    @Test
    void aWriteThatFailsIsReportedAndTheNextOneIsTriedAgain() throws Exception {
        Files.writeString(dir.resolve("plain"), "x");
        writer.write(dir.resolve("plain/state.json"), text("x"), listener("impossible"));
        runOneOnTheLoop();
        writer.write(dir.resolve("ok.json"), () -> {
            throw new IOException("cannot encode");
        }, listener("unencodable"));
        runOneOnTheLoop();
        assertEquals(2, heard.size());
        assertTrue(heard.get(0).startsWith("failed impossible: "), heard.get(0));
        assertEquals("failed unencodable: cannot encode", heard.get(1));
        assertFalse(Files.exists(dir.resolve("ok.json")));

        writer.write(dir.resolve("ok.json"), text("fine"), listener("fine"));
        runOneOnTheLoop();
        assertEquals("written fine", heard.get(2));
    }

    @Test
    void closeWritesEverySnapshotStillPending() throws Exception {
        CountDownLatch disk = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        writer.write(dir.resolve("slow"), () -> {
            writing.countDown();
            awaitInSnapshot(disk);
            return "slow".getBytes(StandardCharsets.UTF_8);
        }, listener("slow"));
        assertTrue(writing.await(10, TimeUnit.SECONDS));
        writer.write(dir.resolve("queued"), text("old"), listener("old"));
        writer.write(dir.resolve("queued"), text("new"), listener("new"));
        disk.countDown();
        writer.close();
        assertEquals("slow", Files.readString(dir.resolve("slow")));
        assertEquals("new", Files.readString(dir.resolve("queued")), "the pending latest snapshot was flushed");
    }

    @Test
    void afterCloseAWriteHappensAtOnceOnTheCaller() throws Exception {
        writer.close();
        writer.write(dir.resolve("late"), text("late"), listener("late"));
        assertEquals("late", Files.readString(dir.resolve("late")));
        runOneOnTheLoop();
        assertEquals(List.of("written late"), heard);
        assertNull(loop.poll());
    }
}
