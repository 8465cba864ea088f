package io.userv2.switchd.loop;

/**
 * Receive coalescing, the event loop's counterpart of a NIC's interrupt moderation ({@code ethtool -C rx-usecs}):
 * while a VM streams frames into the switch, the loop waits a short window after each round before it reads again,
 * so that every read, switch and write carries a batch of frames instead of one or two.
 *
 * <p>Why: two guests, their I/O threads and the switch share a couple of (virtual) CPUs, and a switch that reads each
 * frame the moment it lands spends a read, a write and a poll (three system calls, each a microsecond or more under a
 * hypervisor) on every frame or two. Measured on two vCPUs at MTU 1500: a C relay that only copies bytes read 6 000
 * times a second, the switch that polled for every frame 13 000 times, taking three times the CPU, and the guests
 * moved less through it (0.53 against 0.63 Gbit/s, single runs).
 *
 * <p>When: a port is streaming ({@link #streaming}) when a receive brings at least {@link #STREAM_MIN_BYTES} (a
 * full-size frame at MTU 1500, or several acknowledgements) less than two windows after its previous receive; then
 * the loop sleeps out the window before its next poll, and does not busy-poll after it (polling is for sparse
 * traffic, where a frame should go on at once). Request/response traffic, a small frame per receive about a round
 * trip (often under 100 µs here) apart, and a quiet LAN are never held. The wait ends early when another thread
 * hands the loop a task.
 *
 * <p>The hold is the loop's, not one port's: while any VM streams, every port's frames wait at most one window per
 * round (50 µs by default), as every queue behind one NIC interrupt shares its moderation. No VM can make it longer.
 *
 * <p>Plain state, loop thread only; no clock of its own (times come in on the System.nanoTime scale).
 */
public final class ReceiveCoalescing {
    /**
     * The least one receive brings to count towards a stream: a full-size frame at MTU 1500 does, so do fifteen
     * pure TCP acknowledgements; one small request or reply does not.
     */
    public static final int STREAM_MIN_BYTES = 1024;

    /** No hold pending. */
    private static final long NONE = Long.MIN_VALUE;

    private final long windowNanos;
    private long holdUntil = NONE;

    /** Coalescing with a window of {@code windowNanos} (0: off, every receive goes on at once). */
    public ReceiveCoalescing(long windowNanos) {
        if (windowNanos < 0) {
            throw new IllegalArgumentException("negative coalescing window: " + windowNanos);
        }
        this.windowNanos = windowNanos;
    }

    /**
     * True when a receive of {@code bytes} at {@code now} that follows one at {@code previous} on the same port is
     * part of a stream: at least {@link #STREAM_MIN_BYTES}, and closer than two windows (the second window allows for
     * the wait itself and the wake-up after it).
     */
    public boolean streaming(long previous, long now, int bytes) {
        return windowNanos > 0 && bytes >= STREAM_MIN_BYTES && now - previous < 2 * windowNanos;
    }

    /**
     * A port received {@code bytes} at {@code now}, its previous receive was at {@code previous}: hold the next poll
     * if that makes a stream.
     */
    public void received(long previous, long now, int bytes) {
        if (streaming(previous, now, bytes)) {
            holdUntil = now + windowNanos;
        }
    }

    /**
     * Takes the pending hold, if any: the System.nanoTime until which the loop should wait before its next poll, or
     * {@link Long#MIN_VALUE} for none. Clears it either way.
     */
    public long takeHold() {
        long until = holdUntil;
        holdUntil = NONE;
        return until;
    }
}
