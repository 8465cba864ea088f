package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;

/**
 * Whether an Ethernet frame ends a sender's write: a TCP segment with PSH or FIN set. RFC 9293 section 3.9.1.1 (SEND):
 * "the PUSH bit will be set in the last TCP segment created from the buffer", and Linux sets it on the last segment
 * of every write; FIN ends the stream. A receiver that batches segments stops there, as Linux's GRO flushes a flow on
 * PSH or FIN ({@code tcp_gro_receive}): the sender has nothing more to say until it hears back, so waiting for more
 * only delays the answer it waits for.
 *
 * <p>Reads the frame in place (the caller keeps the buffer); plain Ethernet II with IPv4 (not a later fragment) or
 * IPv6 whose first next header is TCP; anything else, or a frame too short to hold the TCP flags, is not a boundary.
 */
final class WriteBoundary {
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86dd;
    private static final int ETHERNET_HEADER = 14;
    private static final int IPV6_HEADER = 40;
    private static final int PROTOCOL_TCP = 6;
    /** The TCP flags byte's offset in the TCP header. */
    private static final int TCP_FLAGS = 13;
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;

    private WriteBoundary() {
    }

    /** True if the frame at {@code [index, index + length)} of {@code frame} is a TCP segment with PSH or FIN. */
    static boolean endsWrite(ByteBuf frame, int index, int length) {
        if (length < ETHERNET_HEADER + 20) {
            return false;
        }
        int ip = index + ETHERNET_HEADER;
        int tcp;
        switch (frame.getUnsignedShort(index + 12)) {
            case ETHERTYPE_IPV4 -> {
                boolean laterFragment = (frame.getUnsignedShort(ip + 6) & 0x1fff) != 0;
                if (frame.getUnsignedByte(ip + 9) != PROTOCOL_TCP || laterFragment) {
                    return false;
                }
                tcp = ip + (frame.getUnsignedByte(ip) & 0x0f) * 4;
            }
            case ETHERTYPE_IPV6 -> {
                if (frame.getUnsignedByte(ip + 6) != PROTOCOL_TCP) {
                    return false;
                }
                tcp = ip + IPV6_HEADER;
            }
            default -> {
                return false;
            }
        }
        if (tcp + TCP_FLAGS >= index + length) {
            return false;
        }
        return (frame.getUnsignedByte(tcp + TCP_FLAGS) & (PSH | FIN)) != 0;
    }
}
