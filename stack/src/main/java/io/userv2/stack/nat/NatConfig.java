package io.userv2.stack.nat;

import io.userv2.stack.tcp.TcpConfig;
import java.util.Objects;

/**
 * Limits and timers of the {@link NatEngine}. All times are nanoseconds of the engine's injected clock.
 *
 * @param tcp                    the gateway's TCP endpoints (MSS, buffers, keep-alive, ...)
 * @param maxConnections         most guest TCP connections in all; further SYNs are answered with RST
 * @param maxConnectionsPerGuest most TCP connections from one guest address; further SYNs are answered with RST
 * @param dialTimeoutNanos       how long a host connect may take; then the guest's SYN is dropped unanswered and its
 *                               own connect times out, as on a real network
 * @param udpIdleTimeoutNanos    a UDP flow with no datagram either way for this long is closed
 * @param maxUdpFlows            most UDP flows in all; datagrams that would open more are dropped and counted
 * @param localIdleTimeoutNanos  a connection to a service of the gateway (DNS over TCP) with no query for this long
 *                               is closed (and reset one more timeout later if the guest still holds it)
 */
public record NatConfig(TcpConfig tcp, int maxConnections, int maxConnectionsPerGuest, long dialTimeoutNanos,
        long udpIdleTimeoutNanos, int maxUdpFlows, long localIdleTimeoutNanos) {
    private static final long S = 1_000_000_000L;

    /** Validates ranges. */
    public NatConfig {
        Objects.requireNonNull(tcp, "tcp");
        if (maxConnections < 1 || maxConnectionsPerGuest < 1 || maxUdpFlows < 1) {
            throw new IllegalArgumentException("NAT limits must be positive");
        }
        if (dialTimeoutNanos <= 0 || udpIdleTimeoutNanos <= 0 || localIdleTimeoutNanos <= 0) {
            throw new IllegalArgumentException("NAT timeouts must be positive");
        }
    }

    /**
     * TCP defaults, 16384 connections (4096 per guest), 10 s dial timeout, 60 s UDP idle timeout, 16384 UDP flows,
     * 10 s idle timeout for DNS over TCP (RFC 7766 6.2.3 asks for "at least a few seconds"; Unbound's default).
     */
    public static NatConfig defaults() {
        return new NatConfig(TcpConfig.defaults(), 16_384, 4_096, 10 * S, 60 * S, 16_384, 10 * S);
    }

    /** This config with other TCP settings. */
    public NatConfig withTcp(TcpConfig v) {
        return new NatConfig(v, maxConnections, maxConnectionsPerGuest, dialTimeoutNanos, udpIdleTimeoutNanos,
                maxUdpFlows, localIdleTimeoutNanos);
    }

    /** This config with other connection caps. */
    public NatConfig withConnectionLimits(int total, int perGuest) {
        return new NatConfig(tcp, total, perGuest, dialTimeoutNanos, udpIdleTimeoutNanos, maxUdpFlows,
                localIdleTimeoutNanos);
    }

    /** This config with another host dial timeout. */
    public NatConfig withDialTimeout(long v) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, v, udpIdleTimeoutNanos, maxUdpFlows,
                localIdleTimeoutNanos);
    }

    /** This config with other UDP limits. */
    public NatConfig withUdp(long idleTimeout, int maxFlows) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, dialTimeoutNanos, idleTimeout, maxFlows,
                localIdleTimeoutNanos);
    }

    /** This config with another idle timeout for the gateway's own TCP services. */
    public NatConfig withLocalIdleTimeout(long v) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, dialTimeoutNanos, udpIdleTimeoutNanos,
                maxUdpFlows, v);
    }
}
