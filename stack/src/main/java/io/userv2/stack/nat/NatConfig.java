package io.userv2.stack.nat;

import io.userv2.stack.tcp.TcpConfig;
import java.util.Objects;

/**
 * Limits and timers of the {@link NatEngine}. All times are nanoseconds of the engine's injected clock.
 *
 * @param tcp                    the gateway's TCP endpoints (MSS, buffers, keep-alive, ...)
 * @param maxConnections         most guest TCP connections in all; further SYNs are answered with RST
 * @param maxConnectionsPerGuest most TCP connections of one guest (one switch port, whatever addresses it uses);
 *                               further SYNs are answered with RST
 * @param maxPendingDialsPerGuest most host dials one guest may have pending at once (SYNs held until the host
 *                               answers: a guest that sends SYNs to a destination that never answers fills only this)
 * @param dialTimeoutNanos       how long a host connect may take; then the guest's SYN is dropped unanswered and its
 *                               own connect times out, as on a real network
 * @param udpIdleTimeoutNanos    a UDP flow with no datagram either way for this long is closed
 * @param maxUdpFlows            most UDP flows in all; datagrams that would open more are dropped and counted
 * @param maxUdpFlowsPerGuest    most UDP flows of one guest (switch port)
 * @param localIdleTimeoutNanos  a connection to a service of the gateway (DNS over TCP) with no query for this long
 *                               is closed (and reset one more timeout later if the guest still holds it)
 * @param icmpIdleTimeoutNanos   an ICMP echo flow (a host ping socket) with no request or reply for this long is closed
 * @param maxIcmpFlows           most ICMP echo flows in all; echo requests that would open more are dropped and
 *                               counted (the guest's ping times out)
 * @param maxIcmpFlowsPerGuest   most ICMP echo flows of one guest (switch port)
 * @param verifyTcpChecksums     whether a guest TCP segment's checksum is verified (a bad one dropped and counted)
 *                               before the segment is used. On by default. A switch whose frames come over memory
 *                               from VMs on the same host turns it off, as a NIC with receive checksum offload does
 *                               (Linux's {@code CHECKSUM_UNNECESSARY}; gvisor-tap-vsock's link endpoint declares
 *                               {@code CapabilityRXChecksumOffload}, and passt does not verify either): nothing on
 *                               such a link can corrupt a frame, and a guest could as well send bad data with a good
 *                               checksum, so the check only costs a pass over every payload byte
 */
public record NatConfig(TcpConfig tcp, int maxConnections, int maxConnectionsPerGuest, int maxPendingDialsPerGuest,
        long dialTimeoutNanos, long udpIdleTimeoutNanos, int maxUdpFlows, int maxUdpFlowsPerGuest,
        long localIdleTimeoutNanos, long icmpIdleTimeoutNanos, int maxIcmpFlows, int maxIcmpFlowsPerGuest,
        boolean verifyTcpChecksums) {
    private static final long S = 1_000_000_000L;

    /** Validates ranges. */
    public NatConfig {
        Objects.requireNonNull(tcp, "tcp");
        if (maxConnections < 1 || maxConnectionsPerGuest < 1 || maxPendingDialsPerGuest < 1 || maxUdpFlows < 1
                || maxUdpFlowsPerGuest < 1 || maxIcmpFlows < 1 || maxIcmpFlowsPerGuest < 1) {
            throw new IllegalArgumentException("NAT limits must be positive");
        }
        if (dialTimeoutNanos <= 0 || udpIdleTimeoutNanos <= 0 || localIdleTimeoutNanos <= 0
                || icmpIdleTimeoutNanos <= 0) {
            throw new IllegalArgumentException("NAT timeouts must be positive");
        }
    }

    /**
     * TCP defaults, but without the Timestamps option towards guests (window scaling and SACK stay on), as passt
     * does; 16384 connections, 4096 per guest, 1024 dials pending per guest (a browser opens a few dozen at
     * once; a guest that needs more than a thousand unanswered SYNs at once is scanning); 10 s dial timeout; 60 s
     * UDP idle timeout; 16384 UDP flows, 4096 per guest; 10 s idle timeout for DNS over TCP (RFC 7766 6.2.3 asks for
     * "at least a few seconds"; Unbound's default); ICMP echo flows closed after 30 s without traffic (Linux
     * conntrack's nf_conntrack_icmp_timeout), 4096 of them, 1024 per guest (a ping sweep of a /24 from one process
     * needs 254). With these, four guests at their TCP and UDP caps still leave the totals half free.
     *
     * <p>Why no timestamps: RFC 7323 gives them two uses, round-trip measurement and PAWS, which rejects "old duplicate
     * segments" of a connection whose sequence numbers have wrapped (section 5). Between a guest and the gateway a
     * segment travels through memory and cannot linger until the sequence space wraps, so PAWS guards nothing there,
     * and both ends measure round trips without them (RFC 6298). With them on, the guest's sender did more work per
     * byte: guest to host at MTU 65520 ({@code nat-vs-passt.sh}, REPS=7, two runs with the builds in either order)
     * gave 0.88x and 0.96x passt, against 1.00x and 1.05x without them (ahead in 6 of 7 rounds in each run); at MTU
     * 1500, and host to guest, no difference beyond the runs' spread.
     */
    public static NatConfig defaults() {
        return new NatConfig(TcpConfig.defaults().withOptions(true, false, true), 16_384, 4_096, 1_024, 10 * S,
                60 * S, 16_384, 4_096, 10 * S, 30 * S, 4_096, 1_024, true);
    }

    /** This config with other TCP settings. */
    public NatConfig withTcp(TcpConfig v) {
        return new NatConfig(v, maxConnections, maxConnectionsPerGuest, maxPendingDialsPerGuest, dialTimeoutNanos,
                udpIdleTimeoutNanos, maxUdpFlows, maxUdpFlowsPerGuest, localIdleTimeoutNanos,
                icmpIdleTimeoutNanos, maxIcmpFlows, maxIcmpFlowsPerGuest, verifyTcpChecksums);
    }

    /** This config with other TCP connection caps: in total, per guest, and dials pending per guest. */
    public NatConfig withConnectionLimits(int total, int perGuest, int pendingPerGuest) {
        return new NatConfig(tcp, total, perGuest, pendingPerGuest, dialTimeoutNanos, udpIdleTimeoutNanos,
                maxUdpFlows, maxUdpFlowsPerGuest, localIdleTimeoutNanos,
                icmpIdleTimeoutNanos, maxIcmpFlows, maxIcmpFlowsPerGuest, verifyTcpChecksums);
    }

    /** This config with another host dial timeout. */
    public NatConfig withDialTimeout(long v) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, maxPendingDialsPerGuest, v,
                udpIdleTimeoutNanos, maxUdpFlows, maxUdpFlowsPerGuest, localIdleTimeoutNanos,
                icmpIdleTimeoutNanos, maxIcmpFlows, maxIcmpFlowsPerGuest, verifyTcpChecksums);
    }

    /** This config with other UDP limits: idle timeout, flows in total and per guest. */
    public NatConfig withUdp(long idleTimeout, int maxFlows, int maxFlowsPerGuest) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, maxPendingDialsPerGuest, dialTimeoutNanos,
                idleTimeout, maxFlows, maxFlowsPerGuest, localIdleTimeoutNanos,
                icmpIdleTimeoutNanos, maxIcmpFlows, maxIcmpFlowsPerGuest, verifyTcpChecksums);
    }

    /** This config with another idle timeout for the gateway's own TCP services. */
    public NatConfig withLocalIdleTimeout(long v) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, maxPendingDialsPerGuest, dialTimeoutNanos,
                udpIdleTimeoutNanos, maxUdpFlows, maxUdpFlowsPerGuest, v,
                icmpIdleTimeoutNanos, maxIcmpFlows, maxIcmpFlowsPerGuest, verifyTcpChecksums);
    }

    /** This config with other ICMP echo limits: idle timeout, flows in total and per guest. */
    public NatConfig withIcmp(long idleTimeout, int maxFlows, int maxFlowsPerGuest) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, maxPendingDialsPerGuest, dialTimeoutNanos,
                udpIdleTimeoutNanos, maxUdpFlows, maxUdpFlowsPerGuest, localIdleTimeoutNanos, idleTimeout, maxFlows,
                maxFlowsPerGuest, verifyTcpChecksums);
    }

    /** This config with guest TCP checksums verified ({@code true}) or trusted ({@code false}). */
    public NatConfig withTcpChecksumVerification(boolean verify) {
        return new NatConfig(tcp, maxConnections, maxConnectionsPerGuest, maxPendingDialsPerGuest, dialTimeoutNanos,
                udpIdleTimeoutNanos, maxUdpFlows, maxUdpFlowsPerGuest, localIdleTimeoutNanos, icmpIdleTimeoutNanos,
                maxIcmpFlows, maxIcmpFlowsPerGuest, verify);
    }
}
