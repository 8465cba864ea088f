package io.userv2.switchd.api;

import java.time.Duration;

/**
 * How much one {@link ApiServer} lets its clients hold: the deadline for a request head, the idle timeout, the
 * connections served at once, the listen backlog and the thread pool. {@link #DEFAULT} is what the daemon uses (the
 * numbers and their reasons are on {@link ApiServer}'s constants); tests shrink them to reach the limits quickly.
 *
 * @param requestTimeout how long a connection may take to send a complete request head, counted from the connect
 *     or from the end of the previous answer on the same connection; then it is closed
 * @param idleTimeout how long a connection may stay silent mid-body, or leave an answer unread, before it is closed
 *     (long-poll calls such as wait_port are exempt while they wait)
 * @param maxConnections connections served at once; further clients wait in the listen backlog
 * @param acceptQueue the listen backlog (the kernel caps it at {@code net.core.somaxconn})
 * @param maxThreads threads in the server's pool, its acceptor and selector included
 */
record ApiLimits(Duration requestTimeout, Duration idleTimeout, int maxConnections, int acceptQueue,
        int maxThreads) {
    /** The daemon's limits. */
    static final ApiLimits DEFAULT = new ApiLimits(ApiServer.REQUEST_TIMEOUT, ApiServer.IDLE_TIMEOUT,
            ApiServer.MAX_CONNECTIONS, ApiServer.ACCEPT_QUEUE, ApiServer.MAX_THREADS);

    ApiLimits {
        if (requestTimeout.isNegative() || requestTimeout.isZero() || idleTimeout.isNegative()
                || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: " + requestTimeout + ", " + idleTimeout);
        }
        if (maxConnections < 1 || acceptQueue < 1 || maxThreads < 4) {
            throw new IllegalArgumentException("need at least 1 connection, a backlog of 1 and 4 threads: "
                    + maxConnections + ", " + acceptQueue + ", " + maxThreads);
        }
    }

    /** These limits with another request timeout. */
    ApiLimits withRequestTimeout(Duration timeout) {
        return new ApiLimits(timeout, idleTimeout, maxConnections, acceptQueue, maxThreads);
    }

    /** These limits with another idle timeout. */
    ApiLimits withIdleTimeout(Duration timeout) {
        return new ApiLimits(requestTimeout, timeout, maxConnections, acceptQueue, maxThreads);
    }

    /** These limits with another connection limit. */
    ApiLimits withMaxConnections(int connections) {
        return new ApiLimits(requestTimeout, idleTimeout, connections, acceptQueue, maxThreads);
    }
}
