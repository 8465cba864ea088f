package io.userv2.switchd.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.VirtualNetwork;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.SwitchConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The warm-up run in-process, as {@code Main} runs it: every segment goes through the private network's NAT both
 * ways, and nothing of it is left afterwards (socket, directory, threads).
 */
class WarmUpTest {
    private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));
    /** Time for a round here: the tests run Netty's leak detector at paranoid, which records every buffer's stack. */
    private static final long LIMIT = 120_000_000_000L;

    private static SwitchConfig config(int mtu) {
        return new SwitchConfig(List.of(new ListenAddress.Unix(Path.of("/nonexistent/never-bound.sock"))),
                SwitchConfig.DEFAULT_SUBNET, SwitchConfig.defaultGateway(SwitchConfig.DEFAULT_SUBNET),
                SwitchConfig.DEFAULT_GATEWAY_MAC, mtu, null);
    }

    private static Set<Path> warmUpDirectories() throws IOException {
        try (Stream<Path> s = Files.list(TMP)) {
            return s.filter(p -> p.getFileName().toString().startsWith(WarmUp.THREAD_PREFIX))
                    .collect(Collectors.toSet());
        }
    }

    private static void assertNoWarmUpThreadsLeft() throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(WarmUp.THREAD_PREFIX)) {
                t.join(10_000); // the host side's threads end as their interrupted sockets close
                assertFalse(t.isAlive(), "still running: " + t.getName());
            }
        }
    }

    @Test
    void everySmallSegmentGoesThroughTheNatBothWaysAndNothingIsLeft() throws Exception {
        Set<Path> before = warmUpDirectories();
        WarmUp.Result r = WarmUp.run(config(1500), 0, LIMIT); // one round, however slow this machine is
        assertNull(r.stoppedEarly(), r.toString());
        assertEquals(1, r.rounds(), r.toString());
        assertEquals((long) r.rounds() * WarmUp.ROUND_SEGMENTS, r.segmentsUp(), r.toString());
        // MSS 1460, all of it payload: the gateway takes up no timestamps (NatConfig.defaults())
        assertEquals((long) r.rounds() * WarmUp.ROUND_SEGMENTS * 1460, r.bytesUp(), r.toString());
        assertEquals(r.bytesUp(), r.bytesDown(), r.toString());
        assertTrue(r.segmentsDown() >= r.segmentsUp(), r.toString());
        assertEquals(WarmUp.ROUND_SEGMENTS, r.segmentsBetweenVms(), "every segment from one VM to the other arrived");
        assertEquals(before, warmUpDirectories(), "the private socket's directory is removed");
        assertNoWarmUpThreadsLeft();
    }

    @Test
    void laterRoundsComeAsOtherVmsOnNewConnectionsAndStillMoveEveryByte() throws Exception {
        // Round 1 ends its small download with a reset, round 2 with FINs; rounds 2 and 3 reconnect (a new port)
        // with another MAC and address.
        WarmUp.Result r = WarmUp.run(config(1500), LIMIT, LIMIT, 3);
        assertNull(r.stoppedEarly(), r.toString());
        assertEquals(3, r.rounds(), r.toString());
        assertEquals(3L * WarmUp.ROUND_SEGMENTS * 1460, r.bytesUp(), r.toString());
        assertEquals(r.bytesUp(), r.bytesDown(), r.toString());
        assertEquals(3L * WarmUp.ROUND_SEGMENTS, r.segmentsBetweenVms(), r.toString());
        assertNoWarmUpThreadsLeft();
    }

    @Test
    void aLargerMtuAddsSegmentsOfItsOwnSize() throws Exception {
        WarmUp.Result r = WarmUp.run(config(9000), 0, LIMIT);
        assertNull(r.stoppedEarly(), r.toString());
        assertEquals((long) r.rounds() * (WarmUp.ROUND_SEGMENTS + WarmUp.ROUND_LARGE_SEGMENTS), r.segmentsUp(),
                r.toString());
        long bytes = r.rounds() * (WarmUp.ROUND_SEGMENTS * 1460L + WarmUp.ROUND_LARGE_SEGMENTS * (9000L - 40));
        assertEquals(bytes, r.bytesUp(), r.toString());
        assertEquals(bytes, r.bytesDown(), r.toString());
        assertEquals((long) r.rounds() * (WarmUp.ROUND_SEGMENTS + WarmUp.ROUND_PAIR_LARGE_SEGMENTS),
                r.segmentsBetweenVms(), r.toString());
        assertNoWarmUpThreadsLeft();
    }

    @Test
    void onlyTheWarmUpsOwnRecordsGetOutOfItsThreads() throws Exception {
        LogRecord network = new LogRecord(Level.INFO, "listening on unix:/tmp/x");
        network.setLoggerName("io.userv2.switchd.VirtualNetwork");
        LogRecord summary = new LogRecord(Level.FINE, "warm-up: ...");
        summary.setLoggerName(WarmUp.class.getName());
        assertFalse(WarmUp.silences(network), "on any other thread the network's records pass");
        CompletableFuture<List<Boolean>> onWarmUpThread = new CompletableFuture<>();
        Thread t = new Thread(() -> onWarmUpThread.complete(List.of(WarmUp.silences(network),
                WarmUp.silences(summary))), WarmUp.THREAD_PREFIX + "-loop");
        t.start();
        assertEquals(List.of(true, false), onWarmUpThread.get());
    }

    @Test
    void theThreadThatWarmedUpRunsTheRealNetworkAndServeReturnsWhenItStops() throws Exception {
        Path dir = Files.createTempDirectory("warm-up-handoff");
        SwitchConfig real = new SwitchConfig(List.of(new ListenAddress.Unix(dir.resolve("net.sock"))),
                SwitchConfig.DEFAULT_SUBNET, SwitchConfig.defaultGateway(SwitchConfig.DEFAULT_SUBNET),
                SwitchConfig.DEFAULT_GATEWAY_MAC, 1500, null);
        WarmUp.Handoff handoff = WarmUp.start(real);
        CompletableFuture<Thread> warmUpThread = new CompletableFuture<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(WarmUp.THREAD_PREFIX)) {
                warmUpThread.complete(t);
            }
        }
        try (VirtualNetwork net = VirtualNetwork.create(real)) {
            CompletableFuture<Thread> loopThread = new CompletableFuture<>();
            net.loop().execute(() -> loopThread.complete(Thread.currentThread()));
            Thread serving = new Thread(() -> handoff.serve(net), "serve");
            serving.start();
            Thread loop = loopThread.get(LIMIT, TimeUnit.NANOSECONDS);
            assertSame(warmUpThread.getNow(null), loop, "the warm-up's own thread");
            assertEquals(WarmUp.Handoff.LOOP_THREAD, loop.getName(), "renamed: its records are no longer silenced");
            assertTrue(serving.isAlive(), "serve() waits while the network runs");
            net.close();
            serving.join(10_000);
            assertFalse(serving.isAlive(), "serve() returns once the network has stopped");
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void anAbandonedHandoffEndsItsThreadAfterTheWarmUp() throws Exception {
        WarmUp.Handoff handoff = WarmUp.start(config(1500));
        Thread warmUp = null;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(WarmUp.THREAD_PREFIX)) {
                warmUp = t;
            }
        }
        handoff.abandon();
        if (warmUp != null) { // null: it had ended already
            warmUp.join(LIMIT / 1_000_000);
            assertFalse(warmUp.isAlive());
        }
        assertNoWarmUpThreadsLeft();
    }
}
