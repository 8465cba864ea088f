package io.userv2.switchd.loop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The loop's receive-coalescing hold never keeps work from other threads waiting, nor a stop. */
class EventLoopCoalescingTest {
    /** Far longer than any wait below: if the hold were not cut short, the awaits would fail. */
    private static final long HOLD_NANOS = TimeUnit.SECONDS.toNanos(60);

    @Test
    void aTaskFromAnotherThreadEndsTheHold() throws Exception {
        EventLoop loop = new EventLoop();
        try {
            startHolding(loop);
            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the task ran before the hold's 60 s were up");
        } finally {
            loop.stop();
            assertTrue(loop.awaitTermination(10_000));
        }
    }

    @Test
    void stopEndsTheHold() throws Exception {
        EventLoop loop = new EventLoop();
        startHolding(loop);
        loop.stop();
        assertTrue(loop.awaitTermination(10_000), "the loop stopped before the hold's 60 s were up");
    }

    /** Runs {@code loop} on a thread of its own and returns once it holds its next poll for the 60 s window. */
    private static void startHolding(EventLoop loop) throws InterruptedException {
        loop.setCoalesceNanos(HOLD_NANOS);
        Thread t = new Thread(loop::run, "loop-under-test");
        t.start();
        CountDownLatch holding = new CountDownLatch(1);
        // A full receive (frames of MTU 1500) right after another: a stream, so the loop holds its next poll.
        loop.execute(() -> {
            loop.received(loop.now(), false, 64 * 1024, 1514, 43, false, true);
            holding.countDown();
        });
        assertTrue(holding.await(10, TimeUnit.SECONDS));
        awaitParked(t);
    }

    /** Waits until {@code t} is parked (the hold) rather than running or in the selector. */
    private static void awaitParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (t.getState() == Thread.State.TIMED_WAITING && isParked(t)) {
                return;
            }
            Thread.sleep(5); // polling another thread's state: there is no event to wait on
        }
        throw new AssertionError("the loop never held: " + t.getState());
    }

    private static boolean isParked(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals("java.util.concurrent.locks.LockSupport") && e.getMethodName().equals("parkNanos")) {
                return true;
            }
        }
        return false;
    }
}
