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
}
