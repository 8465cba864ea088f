package io.userv2.switchd.loop;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The single thread that owns the switch, the engine and every socket: it waits for readiness, lets each ready
 * handler read (and switch) as much as is there, then flushes every port that got frames in one write each. A frame
 * never changes thread between the read that brought it and the write that sends it on.
 *
 * <p>Other threads talk to the loop only through {@link #execute(Runnable)} and {@link #stop()}.
 */
public final class EventLoop {
    private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());

    /** Something that has queued output to write at the end of the current loop iteration. */
    public interface Flushable {
        /** Writes what can be written now without blocking. */
        void flush();
    }

    /** Something with its own deadlines (the TCP engine's retransmission timers, say), asked every iteration. */
    public interface Ticker {
        /** The next time (System.nanoTime scale) {@link #tick} must run, or Long.MAX_VALUE for none. */
        long nextDeadline();

        /** Runs whatever is due at {@code now}. */
        void tick(long now);
    }

    /** Flush rounds per iteration; more work waits for the next one (a selectNow, so no waiting). */
    private static final int MAX_FLUSH_ROUNDS = 8;

    private record Timer(long intervalNanos, Runnable task, long[] next) { }

    private final Selector selector;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<Flushable> dirty = new ArrayList<>();
    private final List<Timer> timers = new ArrayList<>();
    /** Every registered handler, for shutdown; a set, since thousands of NAT sockets come and go. */
    private final java.util.Set<IoHandler> handlers = new java.util.LinkedHashSet<>();
    private final List<Ticker> tickers = new ArrayList<>();
    private final List<Runnable> afterFlush = new ArrayList<>();
    private final List<Runnable> eachIteration = new ArrayList<>();
    private List<Runnable> nextIteration = new ArrayList<>();
    private List<Runnable> nextIterationSpare = new ArrayList<>();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final Consumer<SelectionKey> onReady = this::onReady;
    private final List<Runnable> shutdownHooks = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean stopping;
    private AdaptiveSpin spin = new AdaptiveSpin(0);
    private ReceiveCoalescing coalescing = new ReceiveCoalescing(0);
    private long now = System.nanoTime();
    private long iteration;
    private boolean inReadyBatch;
    /** The handler the busy-poll reads first ({@link #expectReadFrom}); null for none. */
    private IoHandler expected;
    private volatile Thread thread;

    /** Opens the selector. */
    public EventLoop() throws IOException {
        this.selector = Selector.open();
    }

    /** Registers {@code channel} (already non-blocking) for {@code ops}, with {@code handler} attached. */
    public SelectionKey register(SelectableChannel channel, int ops, IoHandler handler) throws IOException {
        handlers.add(handler);
        return channel.register(selector, ops, handler);
    }

    /** Forgets a handler whose channel has been closed. */
    public void unregister(IoHandler handler) {
        forget(handler);
    }

    private void forget(IoHandler handler) {
        handlers.remove(handler);
        if (expected == handler) {
            expected = null;
        }
    }

    /**
     * Says that the next event most likely comes from {@code handler}'s channel (a port was just written to: its
     * peer's answer comes back on it), so the busy-poll tries {@link IoHandler#pollRead} on it in every round, and
     * the selector in every other. On a hit that is one system call where a poll and a read make two, about 3 µs
     * per hop here. Loop thread only; the handler must be registered with this loop.
     */
    public void expectReadFrom(IoHandler handler) {
        expected = handler;
    }

    /**
     * Ends a registration: cancels {@code key} (null: never registered), forgets {@code handler}, and closes
     * {@code channel}, ignoring a failure to close (the channel is gone either way).
     */
    public void close(IoHandler handler, SelectionKey key, java.nio.channels.Channel channel) {
        if (key != null) {
            key.cancel();
        }
        forget(handler);
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Asks for {@code f.flush()} once the current batch of reads is done; call at most once per batch. */
    public void markDirty(Flushable f) {
        dirty.add(f);
    }

    /** Runs {@code task} every {@code intervalNanos} on the loop thread. */
    public void every(long intervalNanos, Runnable task) {
        timers.add(new Timer(intervalNanos, task, new long[] {System.nanoTime() + intervalNanos}));
    }

    /**
     * Runs {@code listener} after every round of flushes; if it marks something dirty, another round follows (at
     * most a few per iteration). Producers that hold back while a queue is long use it to resume once it drained.
     */
    public void afterFlush(Runnable listener) {
        afterFlush.add(listener);
    }

    /**
     * Runs {@code task} once per iteration after the ready handlers, tasks and timers and before the flushes: an
     * engine that batches the work its events bring uses it to ask for a flush when it has some.
     */
    public void eachIteration(Runnable task) {
        eachIteration.add(task);
    }

    /**
     * The time of the current phase of this loop iteration (System.nanoTime): sampled once when the wait for
     * readiness returned (every event of the batch carries it), and once more when the flushes start.
     */
    public long now() {
        return now;
    }

    /**
     * The number of the current loop iteration (one wait for readiness, its handlers, tasks, timers and flushes):
     * what per-iteration budgets are counted against.
     */
    public long iteration() {
        return iteration;
    }

    /**
     * Runs {@code task} once in the next iteration, right after that iteration's ready handlers, and keeps the loop
     * from sleeping until then: a port that stopped reading because its budget for this iteration was spent uses it
     * to go on with what it already holds. Loop thread only; call at most once per iteration per task.
     */
    public void nextIteration(Runnable task) {
        nextIteration.add(task);
    }

    /** Asks {@code ticker} for its deadline every iteration and ticks it when due. */
    public void addTicker(Ticker ticker) {
        tickers.add(ticker);
    }

    /** Runs {@code task} on the loop thread when it stops, after the handlers are shut down. */
    public void onShutdown(Runnable task) {
        shutdownHooks.add(task);
    }

    /** Runs {@code task} on the loop thread soon; safe from any thread. */
    public void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
        unparkIfHeld();
    }

    /** Ends a {@link ReceiveCoalescing} wait early (a wake-up permit is harmless when the loop is not waiting). */
    private void unparkIfHeld() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** True when called on the loop thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs the loop on the calling thread until {@link #stop()}; then shuts every handler down. */
    public void run() {
        if (!started.compareAndSet(false, true)) {
            return; // already running elsewhere, or shut down without ever running
        }
        thread = Thread.currentThread();
        try {
            while (!stopping) {
                iterate();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "event loop failed", e);
        } finally {
            shutdownHandlers();
        }
    }

    /**
     * One iteration: waits for readiness (or polls, or holds for receive coalescing), runs the ready handlers, what
     * was put off to this iteration, the tasks, timers and per-iteration work, then the flushes.
     *
     * <p>A method of its own rather than the body of {@link #run}'s loop: HotSpot compiles a method that is called
     * often, but a loop that runs once per process only through on-stack replacement, which it did not do here
     * ({@code -XX:+PrintCompilation} never listed {@code run}, and {@code perf} put interpreter frames on the loop
     * thread 8 s into a transfer), so the body stayed interpreted and none of its calls could be inlined.
     */
    private void iterate() throws IOException {
        iteration++;
        long start = System.nanoTime();
        boolean held = hold(start);
        if (held) {
            start = System.nanoTime();
        }
        long wait = nextTimer(start) - start;
        if (wait <= 0 || !dirty.isEmpty() || !nextIteration.isEmpty()) {
            selector.selectNow(onReady);
        } else {
            idle(start, wait, held);
        }
        if (!inReadyBatch) {
            now = System.nanoTime();
        }
        inReadyBatch = false;
        runDeferred();
        runTasks();
        runTimers();
        runEachIteration();
        if (!dirty.isEmpty()) {
            // Reading a batch can take a while: the flushes (where engines emit and arm their timers) get
            // the time they actually run at, or retransmission and delayed-ACK timers start late.
            now = System.nanoTime();
        }
        flushDirty();
    }

    /**
     * For a loop that never ran: claims it and shuts every handler down on the calling thread. Returns false (and
     * does nothing) if the loop has run or is running, in which case {@link #stop()} and
     * {@link #awaitTermination(long)} are the way to end it.
     */
    public boolean shutdownIfNeverStarted() {
        if (!started.compareAndSet(false, true)) {
            return false;
        }
        shutdownHandlers();
        return true;
    }

    private void shutdownHandlers() {
        for (IoHandler h : List.copyOf(handlers)) {
            try {
                h.shutdown();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "shutdown of " + h + " failed", e);
            }
        }
        for (Runnable r : shutdownHooks) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "shutdown task failed", e);
            }
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
        terminated.countDown();
    }

    private void onReady(SelectionKey key) {
        if (!inReadyBatch) {
            inReadyBatch = true;
            now = System.nanoTime(); // handlers run inside select(): the batch's time, taken once
        }
        IoHandler h = (IoHandler) key.attachment();
        try {
            h.ready(key);
        } catch (RuntimeException e) {
            failed(h, e);
        }
    }

    /** A bug in one handler must not take the whole switch down: closes that one, and the loop goes on. */
    private void failed(IoHandler h, RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "handler " + h + " failed; closing it", e);
        h.shutdown();
        forget(h);
    }

    /**
     * Reads the expected handler's channel ahead of readiness ({@link #expectReadFrom}); true if that brought
     * anything, which then counts as the iteration's ready batch.
     */
    private boolean pollExpected(IoHandler h) {
        now = System.nanoTime();
        boolean got;
        try {
            got = h.pollRead();
        } catch (RuntimeException e) {
            failed(h, e);
            return false;
        }
        inReadyBatch = got;
        return got;
    }

    private void runTasks() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "task failed", e);
            }
        }
    }

    private long nextTimer(long now) {
        long next = now + 1_000_000_000L;
        for (Timer t : timers) {
            if (t.next[0] - next < 0) {
                next = t.next[0];
            }
        }
        for (int i = 0; i < tickers.size(); i++) {
            long d = tickers.get(i).nextDeadline();
            if (d != Long.MAX_VALUE && d - next < 0) {
                next = d;
            }
        }
        return next;
    }

    /** Runs what the previous iteration put off to this one; what they put off in turn waits for the next. */
    private void runDeferred() {
        List<Runnable> run = nextIteration;
        if (run.isEmpty()) {
            return;
        }
        nextIteration = nextIterationSpare;
        nextIterationSpare = run;
        for (int i = 0; i < run.size(); i++) {
            try {
                run.get(i).run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "deferred task failed", e);
            }
        }
        run.clear();
    }

    private void runEachIteration() {
        for (int i = 0; i < eachIteration.size(); i++) {
            try {
                eachIteration.get(i).run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "iteration task failed", e);
            }
        }
    }

    private void runTimers() {
        for (int i = 0; i < tickers.size(); i++) {
            Ticker t = tickers.get(i);
            long d = t.nextDeadline();
            if (d != Long.MAX_VALUE && now - d >= 0) {
                try {
                    t.tick(now);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "ticker failed", e);
                }
            }
        }
        for (Timer t : timers) {
            if (now - t.next[0] >= 0) {
                t.next[0] = now + t.intervalNanos;
                try {
                    t.task.run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "timer task failed", e);
                }
            }
        }
    }

    private void flushDirty() {
        List<Flushable> d = dirty;
        for (int round = 0; round < MAX_FLUSH_ROUNDS && !d.isEmpty(); round++) {
            for (int i = 0; i < d.size(); i++) {
                try {
                    d.get(i).flush();
                } catch (RuntimeException e) {
                    // One component's bug must not stop the loop: every other port and flow carries on.
                    LOG.log(System.Logger.Level.ERROR, "flush of " + d.get(i) + " failed", e);
                }
            }
            d.clear();
            for (int i = 0; i < afterFlush.size(); i++) {
                try {
                    afterFlush.get(i).run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "after-flush task failed", e);
                }
            }
        }
    }

    /**
     * Waits out a {@link ReceiveCoalescing} hold a streaming port asked for, unless work is waiting already (queued
     * flushes, deferred ports, tasks); a task from another thread or a stop ends the wait early. Returns true if it
     * waited. A park may return at once (the permit an earlier {@link #execute} left) or for no reason at all: it
     * parks again for what is left of the window as long as there is no task.
     */
    private boolean hold(long start) {
        long until = coalescing.takeHold();
        if (until == Long.MIN_VALUE || until - start <= 0 || !dirty.isEmpty() || !nextIteration.isEmpty()
                || !tasks.isEmpty()) {
            return false;
        }
        for (long left = until - start; left > 0 && tasks.isEmpty() && !stopping; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        return true;
    }

    /**
     * The loop ran out of work at {@code start} and its next timer is {@code wait} away: polls for the
     * {@link AdaptiveSpin} window (a frame that arrives then is switched without a wake-up of the loop's thread,
     * which on virtual CPUs costs tens of microseconds per hop), then sleeps until readiness, a task or the timer,
     * and tells the policy how long the gap was. After a coalescing hold ({@code held}), and while receives come in
     * batches ({@link ReceiveCoalescing#batchAt}), it does not poll: the traffic is a stream, whose frames are better
     * taken in batches, and the gaps say nothing about sparse traffic.
     */
    private void idle(long start, long wait, boolean held) throws IOException {
        boolean stream = held || coalescing.batchAt(start);
        long window = stream ? 0 : Math.min(spin.windowNanos(), wait);
        int ready = window > 0 ? spin(start + window) : 0;
        if (ready == 0 && tasks.isEmpty() && window < wait) { // else the timer is due now
            ready = selector.select(onReady, Math.max(1, (wait - window + 999_999L) / 1_000_000L));
        }
        if (spin.maxNanos() > 0 && !stream) {
            spin.idleEnded(System.nanoTime() - start, ready > 0 || !tasks.isEmpty());
        }
    }

    /**
     * Polls until {@code until} (System.nanoTime) or readiness, yielding the CPU between polls so that any other
     * runnable thread on it goes first. With an expected handler ({@link #expectReadFrom}) each round reads it first,
     * and every other round also polls the selector for everything else. Returns the number of ready keys, or 1 when
     * the expected handler read something (0: nothing came, go to sleep).
     */
    private int spin(long until) throws IOException {
        int ready = 0;
        for (int round = 0; tasks.isEmpty() && !stopping; round++) {
            IoHandler h = expected;
            if (h != null && pollExpected(h)) {
                return 1;
            }
            if (h == null || (round & 1) == 1) {
                ready = selector.selectNow(onReady);
                if (ready > 0) {
                    break;
                }
            }
            if (System.nanoTime() - until >= 0) {
                break;
            }
            Thread.yield();
        }
        return ready;
    }

    /**
     * Sets the longest the loop polls for the next event before it sleeps (0: never polls); within that, the window
     * adapts to the gaps the traffic shows ({@link AdaptiveSpin}).
     */
    public void setMaxSpinNanos(long nanos) {
        this.spin = new AdaptiveSpin(nanos);
    }

    /**
     * Sets the receive-coalescing window (0: off): while a port streams, the loop waits this long after a round
     * before it reads again ({@link ReceiveCoalescing}).
     */
    public void setCoalesceNanos(long nanos) {
        this.coalescing = new ReceiveCoalescing(nanos);
    }

    /**
     * A port's receive brought {@code bytes} in this iteration, {@code frames} frames, the largest {@code largestFrame}
     * bytes, the last of them a sender's last segment of a write if {@code endsWrite}; its previous one that brought
     * any was at {@code previousReceive} (System.nanoTime) and ended a write if {@code previousEndedWrite}. If that
     * makes a stream that goes on, the loop holds its next poll for the coalescing window; a batch (two frames or
     * more, or a jumbo frame) stops its busy-polling for a while; {@code betweenVms} when no frame went to the
     * gateway ({@link ReceiveCoalescing#received}). Loop thread only.
     */
    public void received(long previousReceive, boolean previousEndedWrite, int bytes, int largestFrame, int frames,
            boolean endsWrite, boolean betweenVms) {
        coalescing.received(previousReceive, previousEndedWrite, now, bytes, largestFrame, frames, endsWrite,
                betweenVms);
    }

    /** Asks the loop to stop; safe from any thread (a shutdown hook, say). */
    public void stop() {
        stopping = true;
        selector.wakeup();
        unparkIfHeld();
    }

    /** Waits until the loop has shut down, at most {@code millis}; true if it has. */
    public boolean awaitTermination(long millis) throws InterruptedException {
        return terminated.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
