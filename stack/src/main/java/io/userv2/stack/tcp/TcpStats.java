package io.userv2.stack.tcp;

/**
 * Counters of what {@link TcpConnection}s did and dropped; one instance may be shared by all the connections of one
 * event loop (it is not thread-safe). Malformed or unacceptable segments are counted here, never thrown.
 */
public final class TcpStats {
    long segmentsIn;
    long segmentsOut;
    long bytesIn;
    long bytesInDirect;
    long bytesOut;
    long retransmittedSegments;
    long fastRetransmits;
    long timeouts;
    long zeroWindowProbes;
    long challengeAcks;
    long challengeAcksSuppressed;
    long droppedUnacceptable;
    long droppedBadAck;
    long droppedNoAck;
    long droppedInState;
    long outOfOrderSegments;
    long outOfOrderDropped;
    long resetsReceived;
    long resetsSent;
    long keepAliveProbes;
    long keepAliveTimeouts;
    long persistGiveUps;
    long finWait2Timeouts;

    /** Segments given to {@code process}. */
    public long segmentsIn() {
        return segmentsIn;
    }

    /** Segments emitted. */
    public long segmentsOut() {
        return segmentsOut;
    }

    /** Data octets accepted in order (guest to host). */
    public long bytesIn() {
        return bytesIn;
    }

    /**
     * Of {@link #bytesIn()}, those a {@link DirectReceiver} took as they arrived, never copied into a receive
     * buffer.
     */
    public long bytesInDirect() {
        return bytesInDirect;
    }

    /** Data octets emitted, retransmissions included. */
    public long bytesOut() {
        return bytesOut;
    }

    /** Segments sent again (timeout, fast retransmit, go-back-N after a timeout). */
    public long retransmittedSegments() {
        return retransmittedSegments;
    }

    /** Fast retransmits and NewReno partial-ACK / SACK-hole retransmits. */
    public long fastRetransmits() {
        return fastRetransmits;
    }

    /** Retransmission timer expirations. */
    public long timeouts() {
        return timeouts;
    }

    /** Zero-window probes sent. */
    public long zeroWindowProbes() {
        return zeroWindowProbes;
    }

    /** RFC 5961 challenge ACKs sent. */
    public long challengeAcks() {
        return challengeAcks;
    }

    /** Challenge ACKs not sent because of the rate limit. */
    public long challengeAcksSuppressed() {
        return challengeAcksSuppressed;
    }

    /** Segments failing the RFC 9293 acceptability test (answered with an ACK unless RST). */
    public long droppedUnacceptable() {
        return droppedUnacceptable;
    }

    /** Segments whose ACK acknowledged unsent data or was too old (RFC 5961 section 5). */
    public long droppedBadAck() {
        return droppedBadAck;
    }

    /** Segments without ACK in a synchronized state. */
    public long droppedNoAck() {
        return droppedNoAck;
    }

    /** Segments that mean nothing in the current state (e.g. anything but SYN/RST while pending). */
    public long droppedInState() {
        return droppedInState;
    }

    /** Segments queued out of order. */
    public long outOfOrderSegments() {
        return outOfOrderSegments;
    }

    /** Out-of-order segments dropped because the reassembly queue was full. */
    public long outOfOrderDropped() {
        return outOfOrderDropped;
    }

    /** Acceptable RSTs received. */
    public long resetsReceived() {
        return resetsReceived;
    }

    /** RSTs emitted. */
    public long resetsSent() {
        return resetsSent;
    }

    /** Keep-alive probes sent (RFC 9293 3.8.4). */
    public long keepAliveProbes() {
        return keepAliveProbes;
    }

    /** Connections aborted because {@link TcpConfig#keepAliveProbes()} keep-alive probes went unanswered. */
    public long keepAliveTimeouts() {
        return keepAliveTimeouts;
    }

    /**
     * Connections aborted because {@link TcpConfig#maxRetransmissions()} consecutive zero-window probes got no answer
     * at all (a peer answering with a zero window is never given up).
     */
    public long persistGiveUps() {
        return persistGiveUps;
    }

    /** Connections closed after {@link TcpConfig#finWait2TimeoutNanos()} of silence in FIN-WAIT-2. */
    public long finWait2Timeouts() {
        return finWait2Timeouts;
    }

    @Override
    public String toString() {
        return "TcpStats[in=" + segmentsIn + ", out=" + segmentsOut + ", bytesIn=" + bytesIn + ", direct="
                + bytesInDirect + ", bytesOut=" + bytesOut + ", retx=" + retransmittedSegments + ", fastRetx="
                + fastRetransmits + ", timeouts=" + timeouts
                + ", probes=" + zeroWindowProbes + ", challengeAcks=" + challengeAcks + ", unacceptable="
                + droppedUnacceptable + ", badAck=" + droppedBadAck + ", ooo=" + outOfOrderSegments + ", oooDropped="
                + outOfOrderDropped + ", rstIn=" + resetsReceived + ", rstOut=" + resetsSent + ", keepAlives="
                + keepAliveProbes + ", keepAliveTimeouts=" + keepAliveTimeouts + ", persistGiveUps=" + persistGiveUps
                + ", finWait2Timeouts=" + finWait2Timeouts + "]";
    }
}
