package io.userv2.switchd.loop;

/**
 * Receive coalescing, the event loop's counterpart of a NIC's interrupt moderation ({@code ethtool -C rx-usecs}):
 * while a VM streams frames into the switch, the loop waits a short window after each round before it reads again,
 * so that every read, switch and write carries a batch of frames instead of one or two; and while receives come in
 * batches (two frames or more in one receive, or a jumbo frame of {@link #JUMBO_FRAME_BYTES} or more: a TCP segment
 * at MTU 65520), the loop does not busy-poll.
 *
 * <p>Why: two guests, their I/O threads and the switch share a couple of (virtual) CPUs, and a switch that reads each
 * frame the moment it lands spends a read, a write and a poll (three system calls, each a microsecond or more under a
 * hypervisor) on every frame or two. Measured on two vCPUs at MTU 1500: a C relay that only copies bytes read 6 000
 * times a second, the switch that polled for every frame 13 000 times, taking three times the CPU, and the guests
 * moved less through it (0.53 against 0.63 Gbit/s, single runs).
 *
 * <p>When to hold: a port is streaming ({@link #streaming}) when a receive brings at least {@link #STREAM_MIN_BYTES} (a
 * full-size frame at MTU 1500, or several acknowledgements) less than {@link #MIN_STREAM_GAP_NANOS} (1 ms) or two
 * windows, whichever is longer, after its previous receive; if neither receive ended a sender's write (below), then the
 * loop sleeps out the window before its next poll, and does not busy-poll after it (polling is for sparse traffic,
 * where a frame should go on at once). Why 1 ms: while a VM streams to another at MTU 1500, many of one port's receives
 * come 200 µs to 1 ms apart, the other direction's acknowledgements waking the loop between them: keyed on 1 ms the
 * loop parked for holds ({@code futex} calls) 1 500-2 600 times a second there, keyed on two windows of 100 µs
 * 400-1 400 times. Request/response traffic, a small frame per receive about a round trip (often under 100 µs here)
 * apart, and a quiet LAN are never held. Nor is a receive whose last frame ended a sender's write (TCP PSH or FIN,
 * where Linux's GRO stops merging too): an answer of a few full frames looks like a stream, but its sender waits for
 * the next request, and holding the poll only delays that request. Measured VM to VM at MTU 1500 with 4 KiB answers
 * ({@code RR_SIZE=4096}, three frames each), two runs: p50 1.07x the wire against 1.21x without the rule in one, 1.00x
 * against 0.99x in the other; throughput unchanged (0.82x / 0.83x, 0.84x / 0.82x). Nor a receive that follows one that
 * ended a write: the next answer of request/response traffic can come in two receives, the first without PSH, right
 * after the previous answer; a stream stays mid-write for receive after receive. A hold after such a first part delays
 * the rest of the answer, and longer windows cost request/response p99: with 4 KiB answers and a window of 100 µs, p99
 * was 1.41x the wire without this rule and 1.08x with it (the 50 µs window without it: 1.24x), one run, REPS=11. The
 * wait ends early when another thread hands the loop a task.
 *
 * <p>While the LAN streams, small receives hold too: until the stream gap after the last receive that made a stream,
 * a receive that does not make one itself (the other direction's acknowledgements, mostly) holds the next poll as
 * well, under the same two exceptions (it, or the port's receive before it, ended a write). Otherwise each
 * acknowledgement woke the loop between two holds: streaming VM to VM at MTU 1500 with guests that read as QEMU
 * does, the loop made 5 700 {@code epoll_wait} calls a second against 2 300 holds. Measured there
 * ({@code guest-to-guest.sh}, the builds side by side, two runs of REPS=9): 0.91x and 0.91x the wire against 0.88x
 * and 0.85x, +0.036 on average over the paired runs in both (better in 5 and 6 of 9), request/response p50 1.14x and
 * 1.05x against 1.07x and 1.07x; with 4 KiB answers ({@code RR_SIZE=4096}, REPS=7) 0.96x against 0.83x (+0.043, better
 * in 3 of 7), p50 1.34x both, p99 1.37x against 1.31x. At MTU 65520 nothing changes: jumbo frames never hold.
 * Through the NAT at MTU 1500 ({@code nat-vs-passt.sh}, four runs, the last two REPS=7 beside a second peer of the
 * old build) host to guest gave 1.86, 1.81, 1.93 and 2.73 Gbit/s against 2.07, 1.93, 1.93 and 2.68 (the second old
 * peer: 1.92 and 1.81): within how far two peers of one build spread there.
 *
 * <p>The window, 300 µs by default ({@code --coalesce}): a longer window means fewer rounds while a VM streams, each
 * carrying more, as a relay whose blocking write to a busy guest holds it back gets for free (a C relay between the
 * same guests slept 5 700 times a second in {@code unix_stream_sendmsg} and 1 350 in {@code epoll_wait}). VM to VM
 * ({@code guest-to-guest.sh}, the builds side by side, differences of paired runs in Gbit/s, the wire giving 0.61-0.66
 * at MTU 1500): 300 µs with the 1 ms gap against 100 µs with two windows' gap, +0.041 (better in 10 of 11 runs) and
 * +0.033 (6 of 9; medians 0.91x the wire against 0.83x) at MTU 1500, +0.24 (6 of 9) at MTU 65520, request/response with
 * 4 KiB answers p50 1.25x against 1.28x and p99 1.15x against 1.21x. Either change alone did less: 300 µs with a gap of
 * two windows +0.013 (5 of 9), the 1 ms gap with 100 µs -0.007 (4 of 11); 200 µs (its gap two windows) +0.036 (8 of 11)
 * and 500 µs +0.038 (7 of 9), but the latter with 1-byte request/response p50 1.37x the wire against 1.23x in its run.
 * Before that, 100 µs against 50 gained +0.024 (9 of 15), +0.035 (9 of 11) and +0.014 (6 of 11). Holding only after
 * four frames or more gained nothing (+0.006 at 150 µs, -0.018 at 100): the holds that count come after the small
 * receives of short rounds.
 *
 * <p>The window adapts, as a NIC's adaptive interrupt moderation ({@code ethtool -C adaptive-rx}) does. A stream
 * round between VMs (no frame of it to the gateway) that brings {@link #GROW_FRAMES} frames or more, of data (the
 * largest 1 KiB or more), and less than {@link #ROUND_BYTES_ENOUGH}, lengthens it by half the base window, up to
 * {@link #MAX_WINDOW_FACTOR} times the base (900 µs by default). A round of {@link #ROUND_BYTES_TOO_MANY} or more, a
 * short receive that ends a sender's write (request/response traffic anywhere on the LAN: another VM's request, say)
 * and the end of the stream bring the base back; a long round that ends a write (a bulk sender's PSH between two of
 * its writes) keeps the window. Measured VM to VM ({@code guest-to-guest.sh}, REPS=7, 2026-12-06, against the fixed
 * 300 µs window in the same runs): at MTU 1500 0.95x, 0.96x, 0.88x and 0.90x the wire against 0.91x, 0.90x, 0.81x
 * and 0.84x over four runs of three versions of the rule (this one in the last), and in a fifth run 0.86x against
 * 0.85x; at MTU 65520, where jumbo frames never hold, 0.83x against 0.83x with this rule and 0.81x with a version
 * that let rounds of acknowledgements lengthen the window too. Request/response p50 stayed within the spread of
 * identical builds (1-byte requests never hold; with 4 KiB answers 1.37x both). A VM asking another while two others
 * streamed ({@code bystander.sh}, REPS=5): p50 256.5 µs against 255.6 with the fixed window. Rounds with frames to the
 * gateway do not lengthen it: through the NAT a longer window only lengthened the guest's round trip (in a version
 * where they did, guest to host 1.86 Gbit/s against 2.10 with the fixed window, host to guest, where the guest's
 * receives are batches of acknowledgements, 1.86 against 2.38). A fixed 700 µs window gave 0.98x against 0.91x in
 * one run, but every VM's frames would wait that long while any VM streams.
 *
 * <p>When not to poll: a receive that found {@link #BATCH_FRAMES} frames or more waiting, or a jumbo frame, shows a
 * sender that is ahead of the switch, whose next frames a wake-up per receive collects as well as a poll would; for
 * {@link #QUIET_NANOS} after one ({@link #batchAt}) the loop sleeps until readiness instead of polling, and leaves
 * the CPU to the VMs' own I/O threads, which need it on a small machine. A jumbo frame carries a batch by itself, so
 * it does not hold either. Request/response traffic brings one frame per receive (a request, or an answer under
 * 32 KiB in one frame at MTU 65520) and keeps its poll: with 4 KiB answers at MTU 65520, p50 was 1.42x the wire
 * without the poll and 1.19x with it. Frames count, not bytes: a rule keyed on receives of 32 KiB or more lowered
 * guest-to-host throughput through the NAT at MTU 1500 in two runs (1.88-1.89 Gbit/s against 2.00-2.56). Measured
 * VM to VM on two vCPUs ({@code guest-to-guest.sh}, the builds side by side):
 * <ul>
 *   <li>jumbo frames, MTU 65520: 0.92x the wire against 0.85x polling, REPS=9; over one second of such a transfer the
 *       loop made 5 900 {@code epoll_wait} calls and 27 yields instead of 14 600 and 9 300, and used 0.36 of a CPU
 *       for 8.3 Gbit/s instead of 0.39 for 7.4;</li>
 *   <li>two frames, MTU 1500, four runs with the builds in either order: 0.91x, 0.88x, 0.82x and 0.92x the wire
 *       against 0.88x, 0.83x, 0.83x and 0.87x polling; request/response with 4 KiB answers (three frames each) p50
 *       1.22x and 1.33x against 1.39x and 1.54x. Over one second of bulk the loop made 10 000 {@code epoll_wait}
 *       calls and 600 yields instead of 48 000 and 40 000, and used 0.20 of a CPU instead of 0.32;</li>
 *   <li>eight frames instead of two: 0.85x against 0.87x, no better than polling (at MTU 1500 most receives of a
 *       bulk transfer bring fewer than eight); four: 0.90x against 0.88x, and p50 with 4 KiB answers 1.42x
 *       against 1.39x (their three frames do not make four).</li>
 * </ul>
 *
 * <p>The hold is the loop's, not one port's: while any VM streams, every port's frames wait at most one window per
 * round (300 µs by default, up to three times that while a stream's rounds are large and no request/response traffic
 * is seen), as every queue behind one NIC interrupt shares its moderation. No VM can make it longer than that.
 * Measured with four guests on two vCPUs, one streaming to another while a third asked a fourth (1-byte
 * request/response, 5 000 round trips): p50 257-258 µs with the 300 µs window, 247-274 µs with 100 (both with the 1 ms
 * gap) and 238-248 µs with the build before (100 µs, gap two windows), two runs each, 104-125 µs with no stream: the
 * load of the stream itself, not the hold, set the third guest's latency. The pause in polling is the loop's too: while
 * any VM sends in batches, another VM's request/response traffic pays a wake-up per hop (as through a relay or passt,
 * which never poll), never more.
 *
 * <p>Plain state, loop thread only; no clock of its own (times come in on the System.nanoTime scale).
 */
public final class ReceiveCoalescing {
    /**
     * The least one receive brings to count towards a stream: a full-size frame at MTU 1500 does, so do fifteen
     * pure TCP acknowledgements; one small request or reply does not.
     */
    public static final int STREAM_MIN_BYTES = 1024;

    /**
     * A frame of this many bytes or more is a jumbo frame (a TCP segment at MTU 65520 is up to 64 KiB): a receive
     * that brings one does not hold, and it stops the poll for a while.
     */
    public static final int JUMBO_FRAME_BYTES = 32 * 1024;

    /**
     * The longest gap between two receives of one port that still makes them a stream, unless two windows are longer.
     */
    public static final long MIN_STREAM_GAP_NANOS = 1_000_000;

    /** A receive that brings this many frames or more is a batch: it stops the poll for a while. */
    public static final int BATCH_FRAMES = 2;

    /** How long after a batch the loop does not busy-poll. */
    public static final long QUIET_NANOS = 1_000_000;

    /**
     * A streaming receive between VMs that brings this many data frames or more (a sender well ahead of the switch)
     * lengthens the window by half the base window, up to {@link #MAX_WINDOW_FACTOR} times the base.
     */
    public static final int GROW_FRAMES = 8;

    /** The longest the window grows to, in base windows. */
    public static final int MAX_WINDOW_FACTOR = 3;

    /**
     * A stream round of this many bytes or more is batch enough: the window does not grow further. Longer rounds would
     * only fill the sender's socket buffer (a unix stream socket's default send buffer is 208 KiB), blocking it.
     */
    public static final int ROUND_BYTES_ENOUGH = 64 * 1024;

    /** A stream round of this many bytes or more brings the base window back: the stream outgrew the longer window. */
    public static final int ROUND_BYTES_TOO_MANY = 2 * ROUND_BYTES_ENOUGH;

    /** No hold pending. */
    private static final long NONE = Long.MIN_VALUE;

    /** The base window ({@code --coalesce}). */
    private final long windowNanos;
    private final long maxWindowNanos;
    /** The window now: the base, or longer while a stream goes on in large rounds. */
    private long window;
    private long holdUntil = NONE;
    private long lastBatch = NONE / 2;
    /** When a receive last made a stream (and held): small receives until the stream gap after it hold too. */
    private long lastStream = NONE / 2;

    /** Coalescing with a window of {@code windowNanos} (0: off, every receive goes on at once). */
    public ReceiveCoalescing(long windowNanos) {
        if (windowNanos < 0) {
            throw new IllegalArgumentException("negative coalescing window: " + windowNanos);
        }
        this.windowNanos = windowNanos;
        this.maxWindowNanos = MAX_WINDOW_FACTOR * windowNanos;
        this.window = windowNanos;
    }

    /** The longest gap between two receives of a stream: two windows as they are now, at least 1 ms. */
    private long streamGap() {
        return Math.max(2 * window, MIN_STREAM_GAP_NANOS);
    }

    /** The window the next hold lasts: the base, or longer while a stream goes on in large rounds. */
    public long windowNanos() {
        return window;
    }

    /**
     * True when a receive of {@code bytes} at {@code now} that follows one at {@code previous} on the same port is
     * part of a stream: at least {@link #STREAM_MIN_BYTES}, and closer than {@link #MIN_STREAM_GAP_NANOS} or two
     * windows as the window is now, whichever is longer (the second window allows for the wait itself and the
     * wake-up after it).
     */
    public boolean streaming(long previous, long now, int bytes) {
        return windowNanos > 0 && bytes >= STREAM_MIN_BYTES && now - previous < streamGap();
    }

    /**
     * A port received {@code bytes} at {@code now} in {@code frames} frames, the largest {@code largestFrame} bytes;
     * its previous receive was at {@code previous}, and ended a sender's write if {@code previousEndedWrite};
     * {@code endsWrite} when this one's last frame ended a sender's write (a TCP segment with PSH or FIN). A batch (a
     * jumbo frame, or {@link #BATCH_FRAMES} frames or more) stops the poll for a while; the loop holds its next poll if
     * that makes a stream, or if any receive made one less than the stream gap ago (the other direction's
     * acknowledgements of a stream hold too), unless a jumbo frame came or either receive ended a write.
     *
     * <p>{@code betweenVms} when none of the frames went to the gateway (addressed to it, or to a group address,
     * which it receives too: the port's {@code IngressBudget} counts them). Only such rounds lengthen the window:
     * through the NAT a longer window only lengthens the guest's round trip (guest to host at MTU 1500,
     * {@code nat-vs-passt.sh}, REPS=5: 1.86 Gbit/s against 2.10 with the fixed window when gateway-bound rounds grew
     * it too; host to guest, where the guest's receives are batches of acknowledgements, 1.86 against 2.38).
     */
    public void received(long previous, boolean previousEndedWrite, long now, int bytes, int largestFrame, int frames,
            boolean endsWrite, boolean betweenVms) {
        if (windowNanos == 0) {
            return;
        }
        if (largestFrame >= JUMBO_FRAME_BYTES) {
            lastBatch = now;
            return; // a batch by itself: no hold
        }
        if (frames >= BATCH_FRAMES) {
            lastBatch = now;
        }
        if (endsWrite || previousEndedWrite) {
            if (endsWrite && frames < GROW_FRAMES) {
                window = windowNanos; // request/response traffic on the LAN: the base window again
            }
            return;
        }
        if (streaming(previous, now, bytes)) {
            if (bytes >= ROUND_BYTES_TOO_MANY) {
                window = windowNanos;
            } else if (betweenVms && frames >= GROW_FRAMES && largestFrame >= STREAM_MIN_BYTES
                    && bytes < ROUND_BYTES_ENOUGH) {
                window = Math.min(window + windowNanos / 2, maxWindowNanos);
            }
            holdUntil = now + window;
            lastStream = now;
        } else if (now - lastStream < streamGap()) {
            holdUntil = now + window; // a small receive (acknowledgements, say) while the LAN streams
        } else {
            window = windowNanos; // no stream now
        }
    }

    /**
     * True while a batch came less than {@link #QUIET_NANOS} before {@code now}: the loop does not busy-poll then.
     */
    public boolean batchAt(long now) {
        return now - lastBatch < QUIET_NANOS;
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
