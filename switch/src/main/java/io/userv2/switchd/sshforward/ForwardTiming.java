package io.userv2.switchd.sshforward;

import java.time.Duration;

/**
 * The bounds of one forward: how long a client may wait for the guest's sshd, how often we try, how many clients at
 * once. {@link #DEFAULT} follows gvproxy where gvproxy has a number (backoff from 100 ms doubling to 1 s while sshd
 * is not up; three tries 200 ms apart to open a channel); tests use shorter ones.
 *
 * @param connectBudget how long one client's connection may wait for a session while sshd is not reachable (a
 *     guest that is still booting); then that client is closed and the next one starts over
 * @param attemptTimeout the longest one connect attempt (TCP, key exchange, authentication) may take
 * @param openTimeout the longest we wait for sshd's answer to a channel open
 * @param aliveTimeout the longest we wait for sshd's answer to a keepalive when a channel open failed
 * @param openTries channel opens per client connection before it is given up (gvproxy: 3)
 * @param retryDelay the pause between channel open tries (gvproxy: 200 ms)
 * @param heartbeat keepalive interval of an established session (a silent dead session is closed after
 *     {@value #MISSED_HEARTBEATS} unanswered ones, so its relays end instead of hanging), or zero for none
 * @param maxConnections client connections relayed at once; one more is closed at once (each takes two threads)
 */
record ForwardTiming(Duration connectBudget, Duration attemptTimeout, Duration openTimeout, Duration aliveTimeout,
        int openTries, Duration retryDelay, Duration heartbeat, int maxConnections) {
    /** Unanswered keepalives after which an established session is given up. */
    static final int MISSED_HEARTBEATS = 3;
    /** First pause between connect attempts; doubled after each failure up to {@link #MAX_BACKOFF} (as gvproxy). */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    /** Longest pause between connect attempts. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

    /** The daemon's bounds. */
    static final ForwardTiming DEFAULT = new ForwardTiming(Duration.ofSeconds(30), Duration.ofSeconds(10),
            Duration.ofSeconds(10), Duration.ofSeconds(5), 3, Duration.ofMillis(200), Duration.ofSeconds(30), 128);

    /** Checks the values. */
    ForwardTiming {
        if (openTries < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("openTries and maxConnections must be positive");
        }
    }
}
