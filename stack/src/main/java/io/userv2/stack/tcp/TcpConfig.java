package io.userv2.stack.tcp;

import io.userv2.stack.wire.TcpOptions;

/**
 * Limits and timers of {@link TcpConnection}s. All times are nanoseconds of the injected clock. {@link #defaults()}
 * suits a VM on a virtual link; the {@code with...} methods change one field.
 *
 * <p>Memory per connection is bounded by {@code sendBufferSize + recvBufferSize} plus allocation slack (chunks are
 * allocated on demand and released as soon as they are acknowledged or read, so an idle connection holds none).
 *
 * @param mtu                    IP MTU of the link; our MSS is {@code mtu - 40} (RFC 9293 section 3.7.1: IPv4 and TCP
 *                               headers without options), 88..65535
 * @param sendBufferSize         bytes of application data queued or unacknowledged, host to guest
 * @param recvBufferSize         bytes received and not yet read by the application, guest to host; the advertised
 *                               window never exceeds it and our window scale shift is derived from it
 * @param minRtoNanos            lower bound of the retransmission timeout. RFC 6298 (2.4) says 1 s; like Linux we use
 *                               200 ms by default, because the guest is one virtual hop away
 * @param maxRtoNanos            upper bound of the retransmission timeout (RFC 6298 2.5 allows "at least 60 s")
 * @param initialRtoNanos        RTO before any RTT sample (RFC 6298 2.1: 1 s), also for SYN-ACK retransmission
 * @param mslNanos               Maximum Segment Lifetime; TIME-WAIT lasts 2*MSL. RFC 9293 suggests 2 minutes for the
 *                               Internet; a virtual link keeps nothing in flight that long, so the default is 1 s
 *                               (TIME-WAIT 2 s), which still absorbs a retransmitted FIN
 * @param initialWindowSegments  initial congestion window in segments (RFC 6928: 10)
 * @param delayedAckNanos        how long an ACK for in-order data may wait (RFC 9293 3.8.6.3: under 0.5 s);
 *                               every second full-sized segment is acknowledged at once anyway; 0 disables delaying
 * @param maxReassemblySegments  most out-of-order ranges held in the reassembly queue; beyond it new out-of-order
 *                               data is dropped (and retransmitted by the peer later)
 * @param maxRetransmissions     consecutive retransmission timeouts without progress before the connection is
 *                               aborted with RST (cause {@link TcpCloseCause#TIMED_OUT})
 * @param synRetries             SYN / SYN-ACK retransmissions before giving up
 * @param windowScaling          offer / accept the Window Scale option (RFC 7323)
 * @param timestamps             offer / accept the Timestamps option (RFC 7323)
 * @param sack                   offer / accept SACK-permitted and send SACK blocks (RFC 2018)
 * @param challengeAckLimit      most challenge ACKs (RFC 5961) per connection per second; 0 = unlimited
 */
public record TcpConfig(int mtu, int sendBufferSize, int recvBufferSize, long minRtoNanos, long maxRtoNanos,
                        long initialRtoNanos, long mslNanos, int initialWindowSegments, long delayedAckNanos,
                        int maxReassemblySegments, int maxRetransmissions, int synRetries, boolean windowScaling,
                        boolean timestamps, boolean sack, int challengeAckLimit) {

    private static final long MS = 1_000_000L;
    private static final long S = 1_000_000_000L;

    /** Validates ranges. */
    public TcpConfig {
        if (mtu < 88 || mtu > 0xFFFF) {
            throw new IllegalArgumentException("mtu out of range: " + mtu);
        }
        if (sendBufferSize < 1 || recvBufferSize < 1) {
            throw new IllegalArgumentException("buffer sizes must be positive");
        }
        if (recvBufferSize > (0xFFFF << TcpOptions.MAX_WINDOW_SCALE)) {
            throw new IllegalArgumentException("recvBufferSize above the largest scaled window: " + recvBufferSize);
        }
        if (minRtoNanos <= 0 || maxRtoNanos < minRtoNanos || initialRtoNanos <= 0 || mslNanos < 0
                || delayedAckNanos < 0) {
            throw new IllegalArgumentException("bad timer values");
        }
        if (initialWindowSegments < 1 || maxReassemblySegments < 0 || maxRetransmissions < 1 || synRetries < 0
                || challengeAckLimit < 0) {
            throw new IllegalArgumentException("bad counts");
        }
    }

    /**
     * MTU 1500, 4 MiB receive and 4 MiB send buffers (window scale 7), min RTO 200 ms, max RTO 60 s, initial RTO
     * 1 s, MSL 1 s, initial window 10, delayed ACK 5 ms, 1024 reassembly ranges, 12 retransmissions, 5 SYN retries,
     * all options on, 100 challenge ACKs per second.
     */
    public static TcpConfig defaults() {
        return new TcpConfig(1500, 4 << 20, 4 << 20, 200 * MS, 60 * S, S, S, 10, 5 * MS, 1024, 12, 5, true, true, true,
                100);
    }

    /** Our MSS: {@code mtu - 40}. */
    public int mss() {
        return mtu - 40;
    }

    /**
     * The window scale shift we offer: the smallest shift that lets a 16-bit window field cover
     * {@link #recvBufferSize()} (RFC 7323 section 2.3), 0 when window scaling is off.
     */
    public int receiveWindowShift() {
        if (!windowScaling) {
            return 0;
        }
        int shift = 0;
        while (shift < TcpOptions.MAX_WINDOW_SCALE && (recvBufferSize >> shift) > 0xFFFF) {
            shift++;
        }
        return shift;
    }

    /** This config with another MTU. */
    public TcpConfig withMtu(int v) {
        return new TcpConfig(v, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with other buffer sizes. */
    public TcpConfig withBuffers(int send, int recv) {
        return new TcpConfig(mtu, send, recv, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with other RTO bounds. */
    public TcpConfig withRto(long min, long max, long initial) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, min, max, initial, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with another MSL. */
    public TcpConfig withMsl(long v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, v,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with another initial window (segments). */
    public TcpConfig withInitialWindow(int v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                v, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with another delayed-ACK time (0: acknowledge at once). */
    public TcpConfig withDelayedAck(long v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, v, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with other retry limits. */
    public TcpConfig withRetries(int maxRetx, int syn) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetx, syn,
                windowScaling, timestamps, sack, challengeAckLimit);
    }

    /** This config with options switched on or off. */
    public TcpConfig withOptions(boolean wscale, boolean ts, boolean sackOn) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                wscale, ts, sackOn, challengeAckLimit);
    }

    /** This config with another reassembly bound and challenge-ACK limit. */
    public TcpConfig withLimits(int reassemblySegments, int challengeAcks) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, reassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAcks);
    }
}
