package io.userv2.switchd.transport;

import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXSelectorProvider;

/**
 * Readiness for junixsocket channels, which the event loop's JDK {@link Selector} cannot take (registering one
 * throws {@code IllegalSelectorException}: junixsocket channels belong to their own {@code SelectorProvider}).
 * One per event loop ({@link #of}), shared by every junixsocket transport of that loop.
 *
 * <p>One small thread waits in junixsocket's own (poll(2)-based) selector and does nothing else: when a channel
 * becomes ready it clears that channel's interest (so a level-triggered poll does not spin) and tells the event loop,
 * through {@link EventLoop#execute}, which channel is ready for what. Every read, write, accept and close then
 * happens on the event-loop thread, so frames never change thread and ports need no locks; after draining a channel
 * the loop re-arms its interest with {@link Registration#arm(int)}. The cost of the hop is two wake-ups (poller to
 * loop, loop to poller) per readiness cycle, not per frame: one cycle reads up to a budget of packets.
 *
 * <p>It is also an {@link EventLoop.Ticker}, for sends blocked where poll(2) cannot tell when to retry (an
 * unconnected datagram socket): those retry on a short timer ({@link #later}).
 *
 * <p>Handlers must tolerate spurious readiness: a non-blocking read that finds nothing is the normal way to learn
 * that a channel was drained. The poller stops when its loop shuts down.
 */
final class AfPoller implements EventLoop.Ticker {
    private static final System.Logger LOG = System.getLogger(AfPoller.class.getName());

    /**
     * Extra ready bit: poll(2) reported a hang-up, an error or an invalid descriptor. junixsocket's selector then
     * drops the key (it is never selected again) while the channel may stay open, so the handler must close it.
     */
    static final int HANGUP = 1 << 30;

    /** Reacts to readiness; called on the event-loop thread. */
    interface Handler {
        /**
         * The channel is (or was) ready for {@code readyOps} (with {@link #HANGUP} when the peer is gone and the
         * channel must be closed); its interest is now cleared until re-armed.
         */
        void ready(int readyOps);
    }

    /** One channel watched by the poller. */
    final class Registration {
        private final AbstractSelectableChannel channel;
        private final Handler handler;
        private final AtomicInteger pending = new AtomicInteger();
        private SelectionKey key; // poller thread only
        private boolean closed; // loop thread only

        private Registration(AbstractSelectableChannel channel, Handler handler) {
            this.channel = channel;
            this.handler = handler;
        }

        /** Watches the channel for {@code ops} (0 for nothing) until the next readiness; any thread. */
        void arm(int ops) {
            submit(() -> {
                if (key != null && key.isValid()) {
                    try {
                        key.interestOps(ops);
                    } catch (CancelledKeyException ignored) {
                        // closed meanwhile
                    }
                }
            });
        }

        /** Stops watching and closes the channel; call on the loop thread. */
        void close() {
            close(null);
        }

        /**
         * Stops watching and closes the channel, then runs {@code andThen} (if not null): on the poller thread, so
         * that a descriptor released there can no longer be in a poll(2) set. Call on the loop thread.
         */
        void close(Runnable andThen) {
            closed = true;
            Runnable all = andThen == null ? this::closeNow : () -> {
                closeNow();
                andThen.run();
            };
            if (!submit(all)) {
                all.run(); // the poller has stopped: nothing polls the channel any more
            }
        }

        private void closeNow() {
            live.remove(this);
            if (key != null) {
                key.cancel();
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private record Timed(long deadline, Runnable task) { }

    private final String name;
    private final EventLoop loop;
    private final Selector selector;
    private final ConcurrentLinkedQueue<Runnable> changes = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Registration> ready = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean dispatchScheduled = new AtomicBoolean();
    private final Runnable dispatch = this::dispatch;
    private final Thread thread;
    /** Registrations with a key, to notice the ones junixsocket's selector closed on a hang-up; poller thread only. */
    private final List<Registration> live = new ArrayList<>();
    private volatile boolean running = true;
    /** Timers, loop thread only. */
    private final List<Timed> timed = new ArrayList<>();
    private static final Map<EventLoop, AfPoller> PER_LOOP = new HashMap<>();

    /**
     * The poller of {@code loop}: opened with the first junixsocket transport (its thread is {@code userv2-af-poller}),
     * stopped when the loop shuts down. Call before the loop runs or on the loop thread.
     */
    static AfPoller of(EventLoop loop) throws IOException {
        synchronized (PER_LOOP) {
            AfPoller p = PER_LOOP.get(loop);
            if (p == null) {
                p = new AfPoller("af-poller", loop);
                PER_LOOP.put(loop, p);
                loop.onShutdown(p::stop);
            }
            return p;
        }
    }

    private AfPoller(String name, EventLoop loop) throws IOException {
        this.name = name;
        this.loop = loop;
        this.selector = AFUNIXSelectorProvider.provider().openSelector();
        loop.addTicker(this);
        this.thread = new Thread(this::run, "userv2-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Watches {@code channel} (non-blocking) for {@code ops}; {@code handler} runs on the loop thread. */
    Registration register(AbstractSelectableChannel channel, int ops, Handler handler) {
        Registration r = new Registration(channel, handler);
        submit(() -> {
            try {
                r.key = channel.register(selector, ops, r);
                live.add(r);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, name + ": cannot watch " + channel + ": " + e);
                r.pending.set(SelectionKey.OP_READ | HANGUP);
                enqueue(r);
            }
        });
        return r;
    }

    /** Runs {@code task} on the loop thread after {@code delayNanos}; loop thread only. */
    void later(Runnable task, long delayNanos) {
        timed.add(new Timed(System.nanoTime() + delayNanos, task));
    }

    @Override
    public long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (int i = 0; i < timed.size(); i++) {
            long d = timed.get(i).deadline;
            if (next == Long.MAX_VALUE || d - next < 0) {
                next = d;
            }
        }
        return next;
    }

    @Override
    public void tick(long now) {
        for (int i = 0; i < timed.size(); i++) {
            Timed t = timed.get(i);
            if (now - t.deadline >= 0) {
                timed.remove(i--);
                safely(t.task);
            }
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, name + ": task failed", e);
        }
    }

    /** Stops the poller thread and closes its selector (the channels are the transports' to close). */
    private void stop() {
        synchronized (PER_LOOP) {
            PER_LOOP.remove(loop);
        }
        running = false;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean submit(Runnable change) {
        if (!running) {
            return false;
        }
        changes.add(change);
        selector.wakeup();
        return true;
    }

    private void enqueue(Registration r) {
        ready.add(r);
        if (dispatchScheduled.compareAndSet(false, true)) {
            loop.execute(dispatch);
        }
    }

    private void run() {
        try {
            while (running) {
                Runnable c;
                while ((c = changes.poll()) != null) {
                    c.run();
                }
                // No timeout needed: submit() queues the change before wakeup(), and junixsocket's wakeup is a byte
                // in a pipe that poll(2) watches (level-triggered), so a wakeup sent before select() is entered
                // returns it at once, and one consumed by a select() that was already returning was sent after its
                // change was queued, which the drain above picks up on the next round.
                selector.select();
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext();) {
                    SelectionKey k = it.next();
                    it.remove();
                    Registration r = (Registration) k.attachment();
                    int ops;
                    if (k.isValid()) {
                        ops = k.readyOps() & (SelectionKey.OP_READ | SelectionKey.OP_WRITE | SelectionKey.OP_ACCEPT);
                        try {
                            k.interestOps(0);
                        } catch (CancelledKeyException e) {
                            ops |= SelectionKey.OP_READ | HANGUP;
                        }
                    } else {
                        ops = SelectionKey.OP_READ | HANGUP;
                        live.remove(r);
                    }
                    if (ops != 0 && r.pending.getAndAccumulate(ops, (a, b) -> a | b) == 0) {
                        enqueue(r);
                    }
                }
                // Keys junixsocket dropped without selecting them (closed channels, say): tell their handlers too.
                for (int i = 0; i < live.size(); i++) {
                    Registration r = live.get(i);
                    if (!r.key.isValid()) {
                        live.remove(i--);
                        if (r.pending.getAndAccumulate(SelectionKey.OP_READ | HANGUP, (a, b) -> a | b) == 0) {
                            enqueue(r);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            if (running) {
                LOG.log(System.Logger.Level.ERROR, name + ": poller failed; its sockets get no more input", e);
            }
        } finally {
            running = false;
            Runnable c;
            while ((c = changes.poll()) != null) {
                try {
                    c.run(); // closes asked for while stopping
                } catch (RuntimeException ignored) {
                    // stopping anyway
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // stopping anyway
            }
        }
    }

    private void dispatch() {
        dispatchScheduled.set(false);
        Registration r;
        while ((r = ready.poll()) != null) {
            int ops = r.pending.getAndSet(0);
            if (ops == 0 || r.closed) {
                continue;
            }
            try {
                r.handler.ready(ops);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, name + ": handler " + r.handler + " failed; closing it", e);
                r.close();
            }
        }
    }

    @Override
    public String toString() {
        return "poller " + name;
    }
}
