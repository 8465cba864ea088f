package io.userv2.switchd.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.NativeLong;
import io.userv2.switchd.loop.EventLoop;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ping poller with eventfds standing in for ping sockets (any descriptor epoll can watch will do, and these need
 * no sysctl): readiness reaches the handler on the loop thread, once until re-armed, never after the registration
 * closed, and the poller's thread ends with the loop.
 */
class PingPollerTest {
    static final int EFD_NONBLOCK = 0x800;

    final Libc libc = Libc.load();
    EventLoop loop;
    Thread loopThread;
    PingPoller poller;
    final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        loop = new EventLoop();
        loopThread = new Thread(loop::run, "test-loop");
        loopThread.start();
        poller = onLoop(() -> new PingPoller(libc, loop));
    }

    @AfterEach
    void stop() throws Exception {
        loop.stop();
        assertTrue(loop.awaitTermination(5_000));
        assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("userv2-ping-poller") && t.isAlive()), "the poller thread ended");
    }

    @Test
    void readinessReachesTheLoopOnceUntilReArmedAndNeverAfterClose() throws Exception {
        int a = libc.eventfd(0, Libc.EFD_CLOEXEC | EFD_NONBLOCK);
        int b = libc.eventfd(0, Libc.EFD_CLOEXEC | EFD_NONBLOCK);
        try {
            PingPoller.Registration ra = onLoop(() -> poller.register(a, () -> events.add(
                    "a on " + Thread.currentThread().getName())));
            PingPoller.Registration rb = onLoop(() -> poller.register(b, () -> events.add("b")));

            signal(a); // stays readable: nobody reads the eventfd
            await(() -> events.size() == 1, "a's readiness");
            assertEquals("a on test-loop", events.get(0), "handlers run on the loop thread");

            // One-shot: a is still readable but disarmed. b's readiness comes after; had a been re-reported, it would
            // have come with or before it.
            signal(b);
            await(() -> events.contains("b"), "b's readiness");
            assertEquals(List.of("a on test-loop", "b"), events);

            onLoop(() -> {
                ra.arm();
                return null;
            });
            await(() -> events.size() == 3, "a again once re-armed");
            assertEquals("a on test-loop", events.get(2));

            onLoop(() -> {
                ra.close();
                ra.arm(); // a closed registration stays closed
                rb.arm();
                return null;
            });
            await(() -> events.size() >= 4, "b re-armed");
            onLoop(() -> {
                rb.arm(); // one more round through the poller: whatever came with b has been dispatched by then
                return null;
            });
            await(() -> events.size() >= 5, "b re-armed again");
            assertEquals(List.of("b", "b"), events.subList(3, events.size()), "nothing for the closed registration");
        } finally {
            libc.close(a);
            libc.close(b);
        }
    }

    private void signal(int fd) {
        byte[] one = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 1).array();
        libc.write(fd, one, new NativeLong(8));
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    private void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(what + " not seen within 5 s: " + events);
            }
            Thread.sleep(2);
        }
    }
}
