package io.userv2.stack.tcp;

import io.userv2.stack.wire.TcpOptions;

/**
 * Limits and timers of {@link TcpConnection}s. All times are nanoseconds of the injected clock. {@link #defaults()}
 * suits a VM on a virtual link; the {@code with...} methods change one field.
 *
 * <p>Memory per connection is bounded by {@code sendBufferSize + recvBufferSize} plus allocation slack (chunks are
 * allocated on demand and released as soon as they are acknowledged or read, except the receive buffer's last chunk,
 * which is kept for the next bytes until {@link TcpConnection#releaseIdleBuffers()} gives it back).
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
 *                               aborted with RST (cause {@link TcpCloseCause#TIMED_OUT}); also the most consecutive
 *                               zero-window probes the peer may leave without any answer (as Linux's
 *                               {@code tcp_probe_timer})
 * @param synRetries             SYN / SYN-ACK retransmissions before giving up
 * @param windowScaling          offer / accept the Window Scale option (RFC 7323)
 * @param timestamps             offer / accept the Timestamps option (RFC 7323)
 * @param sack                   offer / accept SACK-permitted and send SACK blocks (RFC 2018)
 * @param challengeAckLimit      most challenge ACKs (RFC 5961) per connection per second; 0 = unlimited
 * @param keepAliveIdleNanos     how long a connection in ESTABLISHED, CLOSE-WAIT or FIN-WAIT-2 with nothing
 *                               outstanding or queued may hear nothing from the peer before the first keep-alive probe;
 *                               0 turns keep-alive off. RFC 1122 4.2.3.6 says the interval "MUST be configurable and
 *                               MUST default to no less than two hours" (Linux's {@code tcp_keepalive_time}); that
 *                               default is for the Internet, where probes cross links somebody pays for and a
 *                               connection may legitimately sleep for hours. Ours is 60 s: the guest is one virtual
 *                               hop away, a probe is one small frame on a link we own, and a guest that crashed,
 *                               rebooted or froze would otherwise hold its NAT flows, their host sockets and buffers
 *                               forever
 * @param keepAliveIntervalNanos time between keep-alive probes while unanswered, and from the last one to the abort
 *                               (default 10 s, far beyond any round trip over one virtual hop); positive
 * @param keepAliveProbes        unanswered keep-alive probes before the connection is aborted with RST (cause
 *                               {@link TcpCloseCause#TIMED_OUT}); at least 1, default 3, so a dead guest is reaped
 *                               {@code idle + probes * interval} = 90 s after it went quiet
 * @param finWait2TimeoutNanos   longest silence from the peer in FIN-WAIT-2 before the connection is closed with RST
 *                               (cause {@link TcpCloseCause#TIMED_OUT}); 0 = unbounded. Default 60 s, Linux's
 *                               {@code tcp_fin_timeout}: our direction is finished and only the guest's is open, so
 *                               segments from the guest keep it open as long as they come. While this bound is on, it
 *                               takes the place of keep-alive in FIN-WAIT-2 (an answered probe would otherwise keep a
 *                               silent half-closed connection forever)
 */
public record TcpConfig(int mtu, int sendBufferSize, int recvBufferSize, long minRtoNanos, long maxRtoNanos,
                        long initialRtoNanos, long mslNanos, int initialWindowSegments, long delayedAckNanos,
                        int maxReassemblySegments, int maxRetransmissions, int synRetries, boolean windowScaling,
                        boolean timestamps, boolean sack, int challengeAckLimit, long keepAliveIdleNanos,
                        long keepAliveIntervalNanos, int keepAliveProbes, long finWait2TimeoutNanos) {

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
        if (keepAliveIdleNanos < 0 || keepAliveIntervalNanos <= 0 || keepAliveProbes < 1) {
            throw new IllegalArgumentException("bad keep-alive values: idle " + keepAliveIdleNanos + ", interval "
                    + keepAliveIntervalNanos + ", probes " + keepAliveProbes);
        }
        if (finWait2TimeoutNanos < 0) {
            throw new IllegalArgumentException("bad FIN-WAIT-2 timeout: " + finWait2TimeoutNanos);
        }
    }

    /**
     * MTU 1500, 4 MiB receive and 4 MiB send buffers (window scale 7), min RTO 200 ms, max RTO 60 s, initial RTO
     * 1 s, MSL 1 s, initial window 10, delayed ACK 5 ms, 1024 reassembly ranges, 12 retransmissions, 5 SYN retries,
     * all options on, 100 challenge ACKs per second, keep-alive after 60 s idle with 3 probes 10 s apart, FIN-WAIT-2
     * bounded to 60 s of silence.
     */
    public static TcpConfig defaults() {
        return new TcpConfig(1500, 4 << 20, 4 << 20, 200 * MS, 60 * S, S, S, 10, 5 * MS, 1024, 12, 5, true, true, true,
                100, 60 * S, 10 * S, 3, 60 * S);
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

    /**
     * This config for connections over IPv6, whose header is 40 bytes where IPv4's is 20: our MSS becomes
     * {@code mtu - 60} (RFC 9293 3.7.1, "the IP header ... and TCP header" without options; RFC 8200 8.3). Since
     * {@link #mss()} is {@code mtu - 40}, that is this config with an MTU 20 smaller; nothing else reads the MTU.
     */
    public TcpConfig forIpv6() {
        return withMtu(mtu - 20);
    }

    /** This config with another MTU. */
    public TcpConfig withMtu(int v) {
        return new TcpConfig(v, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with other buffer sizes. */
    public TcpConfig withBuffers(int send, int recv) {
        return new TcpConfig(mtu, send, recv, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with other RTO bounds. */
    public TcpConfig withRto(long min, long max, long initial) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, min, max, initial, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with another MSL. */
    public TcpConfig withMsl(long v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, v,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with another initial window (segments). */
    public TcpConfig withInitialWindow(int v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                v, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with another delayed-ACK time (0: acknowledge at once). */
    public TcpConfig withDelayedAck(long v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, v, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with other retry limits. */
    public TcpConfig withRetries(int maxRetx, int syn) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetx, syn,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }

    /** This config with options switched on or off. */
    public TcpConfig withOptions(boolean wscale, boolean ts, boolean sackOn) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                wscale, ts, sackOn, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos, keepAliveProbes,
                finWait2TimeoutNanos);
    }

    /**
     * This config with other keep-alive settings ({@code idle} 0 turns keep-alive off; interval and probes must still
     * be valid).
     */
    public TcpConfig withKeepAlive(long idle, long interval, int probes) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, idle, interval, probes, finWait2TimeoutNanos);
    }

    /** This config without keep-alive (idle time 0; interval and probe count kept). */
    public TcpConfig withoutKeepAlive() {
        return withKeepAlive(0, keepAliveIntervalNanos, keepAliveProbes);
    }

    /** This config with another FIN-WAIT-2 bound (0: unbounded). */
    public TcpConfig withFinWait2Timeout(long v) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, maxReassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAckLimit, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, v);
    }

    /** This config with another reassembly bound and challenge-ACK limit. */
    public TcpConfig withLimits(int reassemblySegments, int challengeAcks) {
        return new TcpConfig(mtu, sendBufferSize, recvBufferSize, minRtoNanos, maxRtoNanos, initialRtoNanos, mslNanos,
                initialWindowSegments, delayedAckNanos, reassemblySegments, maxRetransmissions, synRetries,
                windowScaling, timestamps, sack, challengeAcks, keepAliveIdleNanos, keepAliveIntervalNanos,
                keepAliveProbes, finWait2TimeoutNanos);
    }
}
