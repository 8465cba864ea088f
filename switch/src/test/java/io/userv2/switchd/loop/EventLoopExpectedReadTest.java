package io.userv2.switchd.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The busy-poll reads the handler the loop expects the next event from ({@link EventLoop#expectReadFrom}) before
 * it asks the selector, and a handler that fails there is closed without stopping the loop.
 */
class EventLoopExpectedReadTest {
    /**
     * A poll window that never shrinks in a test's time (it halves only after an idle period longer than this), so
     * the loop polls whenever it runs out of work.
     */
    private static final long POLL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final EventLoop loop;
    private final Thread thread;

    EventLoopExpectedReadTest() throws IOException {
        loop = new EventLoop();
        thread = new Thread(loop::run, "loop-under-test");
    }

    @AfterEach
    void stop() throws InterruptedException {
        loop.stop();
        assertTrue(loop.awaitTermination(10_000));
    }

    /**
     * While it polls, the loop goes idle after the task and reads the expected handler in the first round, before
     * readiness says anything; without polling the same bytes come by readiness.
     */
    @ParameterizedTest(name = "polls: {0}")
    @ValueSource(booleans = {true, false})
    void theExpectedHandlerIsReadFirstWhileTheLoopPolls(boolean polls) throws Exception {
        loop.setMaxSpinNanos(polls ? POLL_NANOS : 0);
        PipeHandler h = startWithPipe(false);
        runOnLoop(() -> {
            h.send(3);
            loop.expectReadFrom(h);
        });
        assertTrue(h.read.await(10, TimeUnit.SECONDS));
        assertEquals(polls ? 3 : 0, h.byPoll.get());
        assertEquals(polls ? 0 : 3, h.byReadiness.get());
    }

    @Test
    void aHandlerThatFailsWhenPolledIsClosedAndTheLoopGoesOn() throws Exception {
        loop.setMaxSpinNanos(POLL_NANOS);
        PipeHandler h = startWithPipe(true);
        runOnLoop(() -> loop.expectReadFrom(h));
        assertTrue(h.closed.await(10, TimeUnit.SECONDS), "the failing handler was shut down");
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the loop still runs tasks");
    }

    private PipeHandler startWithPipe(boolean failOnPoll) throws Exception {
        PipeHandler h = new PipeHandler(failOnPoll);
        thread.start();
        runOnLoop(() -> {
            try {
                h.key = loop.register(h.pipe.source(), SelectionKey.OP_READ, h);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return h;
    }

    private void runOnLoop(Runnable task) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> {
            task.run();
            done.countDown();
        });
        assertTrue(done.await(10, TimeUnit.SECONDS));
    }

    /** Reads one end of a pipe, counting the bytes that came by readiness and by the busy-poll apart. */
    private final class PipeHandler implements IoHandler {
        final Pipe pipe;
        final boolean failOnPoll;
        final AtomicInteger byPoll = new AtomicInteger();
        final AtomicInteger byReadiness = new AtomicInteger();
        final CountDownLatch read = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final ByteBuffer buf = ByteBuffer.allocate(64);
        SelectionKey key;

        PipeHandler(boolean failOnPoll) throws IOException {
            this.pipe = Pipe.open();
            this.failOnPoll = failOnPoll;
            pipe.source().configureBlocking(false);
        }

        /** Writes {@code n} bytes into the pipe (they are in it when this returns). */
        void send(int n) {
            try {
                pipe.sink().write(ByteBuffer.allocate(n));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private int drain() {
            try {
                buf.clear();
                return Math.max(0, pipe.source().read(buf));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void ready(SelectionKey k) {
            int n = drain();
            if (n > 0) {
                byReadiness.addAndGet(n);
                read.countDown();
            }
        }

        @Override
        public boolean pollRead() {
            if (failOnPoll) {
                throw new IllegalStateException("a bug in the handler");
            }
            int n = drain();
            if (n > 0) {
                byPoll.addAndGet(n);
                read.countDown();
            }
            return n > 0;
        }

        @Override
        public void shutdown() {
            loop.close(this, key, pipe.source());
            try {
                pipe.sink().close();
            } catch (IOException ignored) {
                // closing anyway
            }
            closed.countDown();
        }
    }
}
