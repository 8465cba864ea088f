package io.userv2.stack.wire;

/**
 * The TCP Timestamps option (RFC 7323 section 3): the sender's clock value and the echo of the peer's latest one.
 * Both are opaque unsigned 32-bit values compared with wrap-around; this record keeps the raw bits.
 *
 * @param tsVal  TSval, the sender's timestamp clock
 * @param tsEcr  TSecr, the TSval echoed back (only meaningful when the ACK bit is set)
 */
public record TcpTimestamps(int tsVal, int tsEcr) {
    /** tcpdump style: {@code TS val 1 ecr 0}. */
    @Override
    public String toString() {
        return "TS val " + Integer.toUnsignedString(tsVal) + " ecr " + Integer.toUnsignedString(tsEcr);
    }
}
