package io.userv2.switchd.port;

/**
 * Traffic counters of one switch port. Written only by the event-loop thread; read by anyone (the fields are
 * volatile-free longs, so a reader on another thread may see slightly stale values, which is fine for statistics).
 */
public final class PortCounters {
    long framesIn;
    long bytesIn;
    long framesOut;
    long bytesOut;
    long dropsQueueFull;
    long dropsRunt;
    long framingErrors;
    long budgetPauses;
    private long dropReportAt;
    private boolean dropReported;
    private final long[] drops = new long[PortDropReason.all().length];

    /** Frames received from this port's peer. */
    public long framesIn() {
        return framesIn;
    }

    /** Ethernet bytes (without framing) received from this port's peer. */
    public long bytesIn() {
        return bytesIn;
    }

    /** Frames queued towards this port's peer. */
    public long framesOut() {
        return framesOut;
    }

    /** Ethernet bytes queued towards this port's peer. */
    public long bytesOut() {
        return bytesOut;
    }

    /** Frames for this port dropped because its egress queue was full (a slow or stalled peer). */
    public long dropsQueueFull() {
        return dropsQueueFull;
    }

    /** Frames from this port dropped because they were shorter than an Ethernet header. */
    public long dropsRunt() {
        return dropsRunt;
    }

    /** Framing errors (a length prefix of 0 or above the maximum frame); each one closes the connection. */
    public long framingErrors() {
        return framingErrors;
    }

    /** Records one received frame of {@code length} bytes. */
    public void countIn(int length) {
        framesIn++;
        bytesIn += length;
    }

    /** Records one frame of {@code length} bytes queued for sending. */
    public void countOut(int length) {
        framesOut++;
        bytesOut += length;
    }

    /** Records one frame dropped on a full egress queue. */
    public void countQueueFull() {
        dropsQueueFull++;
    }

    /** Records one runt frame dropped on ingress. */
    public void countRunt() {
        dropsRunt++;
    }

    /** Records one framing error. */
    public void countFramingError() {
        framingErrors++;
    }

    /** Records one frame dropped for {@code reason}; returns how many were dropped for it so far. */
    public long countDrop(PortDropReason reason) {
        return ++drops[reason.ordinal()];
    }

    /** Frames dropped for {@code reason}. */
    public long drops(PortDropReason reason) {
        return drops[reason.ordinal()];
    }

    /** Frames dropped by the switch's port-security rules, all reasons together. */
    public long dropsTotal() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    /**
     * True at most once per {@code intervalNanos} (and for the first drop): whether a drop just counted should be
     * logged, so a port that sends nothing but bad frames costs one log line per interval, not one per frame.
     */
    public boolean dropReportDue(long now, long intervalNanos) {
        if (dropReported && now - dropReportAt < intervalNanos) {
            return false;
        }
        dropReported = true;
        dropReportAt = now;
        return true;
    }

    /** Records that the port was left unread for the rest of a loop iteration because its budget was spent. */
    public void countBudgetPause() {
        budgetPauses++;
    }

    /**
     * Loop iterations in which reading this port stopped early because its work budget (or its budget of frames
     * for the gateway) was spent: backpressure onto the sender, not a drop.
     */
    public long budgetPauses() {
        return budgetPauses;
    }
}
