package io.userv2.switchd.loop;

/**
 * How long the event loop polls before it sleeps when it runs out of work: the window adapts to the gaps between
 * events, as Linux's cpuidle-haltpoll governor adapts its poll time to how long the CPU stayed idle.
 *
 * <p>A wake-up of a sleeping thread costs tens of microseconds on virtual CPUs (an inter-processor interrupt that
 * goes through the hypervisor), once per hop through the switch. Polling instead catches the next frame at once,
 * but polling through a long gap only burns a core. So: after every idle period the loop reports how long it was
 * idle ({@link #idleEnded}). A gap shorter than the maximum would have been caught by a long enough poll, so the
 * window grows (doubling, from {@link #GROW_START_NANOS}); a gap longer than the maximum means polling did not pay,
 * so the window halves, down to zero. Request/response traffic (a frame every 50-200 µs) keeps the window open; an
 * idle switch, or one that sees a frame a second, never polls.
 *
 * <p>The loop yields the CPU between polls ({@link Thread#yield()}), so a poll gives way to any other runnable
 * thread on its CPU (the VM's own I/O threads, on a machine with few cores) and only takes time nobody else wants.
 *
 * <p>Plain state, loop thread only; no clock of its own (the loop passes the times in).
 */
public final class AdaptiveSpin {
    /**
     * The first window after polling was off (haltpoll's {@code guest_halt_poll_grow_start} is 50 µs; smaller here, so
     * that sparse traffic costs little polling before the window has proved itself).
     */
    static final long GROW_START_NANOS = 10_000;

    private final long maxNanos;
    private long windowNanos;

    /** A policy that never polls longer than {@code maxNanos} (0: never polls). */
    public AdaptiveSpin(long maxNanos) {
        if (maxNanos < 0) {
            throw new IllegalArgumentException("negative spin time: " + maxNanos);
        }
        this.maxNanos = maxNanos;
        this.windowNanos = Math.min(maxNanos, GROW_START_NANOS);
    }

    /** How long to poll now, before sleeping (0: sleep at once). */
    public long windowNanos() {
        return windowNanos;
    }

    /** The most the window can grow to. */
    public long maxNanos() {
        return maxNanos;
    }

    /**
     * The loop's idle period ended after {@code idleNanos} (polling plus sleeping, from running out of work to the
     * next event), or it ended by a timer with no event ({@code byEvent} false, which counts as a long gap).
     */
    public void idleEnded(long idleNanos, boolean byEvent) {
        if (!byEvent || idleNanos > maxNanos) {
            windowNanos = windowNanos / 2;
            if (windowNanos < GROW_START_NANOS / 2) {
                windowNanos = 0;
            }
        } else if (idleNanos > windowNanos) {
            // A longer poll would have caught this event: widen the window for the next gap.
            windowNanos = Math.min(maxNanos, Math.max(GROW_START_NANOS, windowNanos * 2));
        }
    }
}
