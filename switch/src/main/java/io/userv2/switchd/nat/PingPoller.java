package io.userv2.switchd.nat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import io.userv2.switchd.loop.EventLoop;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Readiness of ping sockets for the event loop. A ping socket is a plain descriptor from {@code socket(2)}, not a
 * {@link java.nio.channels.SelectableChannel}, so the loop's JDK selector cannot watch it (nor can junixsocket's,
 * which the {@code AfPoller} uses for its own channel types). As the {@code AfPoller} does for those, one small
 * thread ({@code userv2-ping-poller}) waits and the loop does the rest: the thread blocks in {@code epoll_wait} on an
 * epoll set of every ping socket, each added with {@code EPOLLONESHOT} (epoll(7): "the associated file descriptor is
 * internally disabled after an event"), and hands the ready ones to the loop with {@link EventLoop#execute}. Every
 * receive, send and close then happens on the loop thread, which re-arms a socket with {@link Registration#arm}
 * after draining it. epoll(7) lets one thread change the set while another waits on it, so arming needs no wake-up;
 * an eventfd in the set wakes the thread to stop.
 *
 * <p>Each registration is known to the thread by a token that is never reused (not by its descriptor, which a
 * closed socket hands on to the next one), so readiness that arrives for a socket closed meanwhile is ignored. One
 * per {@link NioHostSockets}, opened with the first ping socket, stopped when the loop shuts down.
 */
final class PingPoller {
    private static final System.Logger LOG = System.getLogger(PingPoller.class.getName());
    private static final int MAX_EVENTS = 64;
    /** The token of the eventfd that stops the thread. */
    private static final long STOP = 0;

    /** Reacts to readiness, on the loop thread. */
    interface Handler {
        /** The socket is readable (or has an error to report); it stays disarmed until {@link Registration#arm}. */
        void ready();
    }

    /** One watched descriptor; loop thread only. */
    final class Registration {
        private final long token;
        private final int fd;
        private final Handler handler;
        private boolean closed;

        private Registration(long token, int fd, Handler handler) {
            this.token = token;
            this.fd = fd;
            this.handler = handler;
        }

        /** Watches the descriptor again until its next readiness. */
        void arm() {
            if (!closed) {
                control(Libc.EPOLL_CTL_MOD, fd, token);
            }
        }

        /** Stops watching (before the owner closes the descriptor). */
        void close() {
            if (closed) {
                return;
            }
            closed = true;
            byToken.remove(token);
            control(Libc.EPOLL_CTL_DEL, fd, token);
        }
    }

    private final Libc libc;
    private final EventLoop loop;
    private final int epfd;
    private final int stopFd;
    private final Thread thread;
    private final Map<Long, Registration> byToken = new HashMap<>();
    private final ConcurrentLinkedQueue<Long> ready = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean dispatchScheduled = new AtomicBoolean();
    private final Runnable dispatch = this::dispatch;
    private volatile boolean running = true;
    private long nextToken = STOP + 1;

    /**
     * Opens the epoll set and starts the thread; it stops when {@code loop} shuts down.
     *
     * @throws LastErrorException when the epoll set or the eventfd cannot be made
     */
    PingPoller(Libc libc, EventLoop loop) {
        this.libc = libc;
        this.loop = loop;
        this.epfd = libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        int efd = -1;
        try {
            efd = libc.eventfd(0, Libc.EFD_CLOEXEC);
            libc.epoll_ctl(epfd, Libc.EPOLL_CTL_ADD, efd, event(Libc.EPOLLIN, STOP));
        } catch (LastErrorException e) {
            closeQuietly(efd);
            closeQuietly(epfd);
            throw e;
        }
        this.stopFd = efd;
        this.thread = new Thread(this::run, "userv2-ping-poller");
        thread.setDaemon(true);
        thread.start();
        loop.onShutdown(this::stop);
    }

    /**
     * Watches {@code fd} for readability; {@code handler} runs on the loop thread. Loop thread only.
     *
     * @throws LastErrorException when the descriptor cannot be added to the epoll set
     */
    Registration register(int fd, Handler handler) {
        Registration r = new Registration(nextToken++, fd, handler);
        libc.epoll_ctl(epfd, Libc.EPOLL_CTL_ADD, fd, event(Libc.EPOLLIN | Libc.EPOLLONESHOT, r.token));
        byToken.put(r.token, r);
        return r;
    }

    private void control(int op, int fd, long token) {
        try {
            libc.epoll_ctl(epfd, op, fd, event(Libc.EPOLLIN | Libc.EPOLLONESHOT, token));
        } catch (LastErrorException e) {
            // The set is gone (shutdown) or the descriptor was never in it: nothing left to watch either way.
            LOG.log(System.Logger.Level.DEBUG, "epoll_ctl " + op + " on fd " + fd + ": errno " + e.getErrorCode());
        }
    }

    /** A {@code struct epoll_event} in native byte order. */
    private static byte[] event(int events, long token) {
        ByteBuffer b = ByteBuffer.allocate(Libc.EPOLL_EVENT_SIZE).order(ByteOrder.nativeOrder());
        b.putInt(0, events);
        b.putLong(Libc.EPOLL_EVENT_DATA, token);
        return b.array();
    }

    private void run() {
        Memory events = new Memory((long) MAX_EVENTS * Libc.EPOLL_EVENT_SIZE);
        try {
            while (running) {
                int n;
                try {
                    n = libc.epoll_wait(epfd, events, MAX_EVENTS, -1);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == Libc.EINTR) {
                        continue;
                    }
                    throw e;
                }
                boolean any = false;
                for (int i = 0; i < n; i++) {
                    long token = events.getLong((long) i * Libc.EPOLL_EVENT_SIZE + Libc.EPOLL_EVENT_DATA);
                    if (token != STOP) {
                        ready.add(token);
                        any = true;
                    }
                }
                if (any && dispatchScheduled.compareAndSet(false, true)) {
                    loop.execute(dispatch);
                }
            }
        } catch (LastErrorException | Error e) {
            if (running) {
                LOG.log(System.Logger.Level.ERROR, "ping poller failed; ping sockets get no more replies", e);
            }
        } finally {
            events.close();
        }
    }

    /** On the loop thread: runs the handlers of the sockets that became ready. */
    private void dispatch() {
        dispatchScheduled.set(false);
        Long token;
        while ((token = ready.poll()) != null) {
            Registration r = byToken.get(token);
            if (r == null || r.closed) {
                continue; // closed after the thread saw it ready
            }
            try {
                r.handler.ready();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "ping socket handler failed", e);
            }
        }
    }

    /** Stops the thread and closes the epoll set (the sockets are their owners' to close). */
    private void stop() {
        running = false;
        try {
            byte[] one = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 1).array();
            libc.write(stopFd, one, new NativeLong(8));
            thread.join(2_000);
        } catch (LastErrorException e) {
            LOG.log(System.Logger.Level.DEBUG, "waking the ping poller: errno " + e.getErrorCode());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            closeQuietly(stopFd);
            closeQuietly(epfd); // only once the thread no longer waits on it
        }
    }

    private void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                libc.close(fd);
            } catch (LastErrorException ignored) {
                // closing anyway
            }
        }
    }
}
