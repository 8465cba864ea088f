package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.TcpPacket;

/**
 * Whether an Ethernet frame ends a sender's write: a TCP segment with PSH or FIN set. RFC 793 section 3.9 (SEND, kept
 * in RFC 9293): "the PUSH bit will be set in the last TCP segment created from the buffer", and Linux sets it on the
 * last segment of every write; FIN ends the stream. A receiver that batches segments stops there, as Linux's GRO
 * flushes a flow on PSH or FIN ({@code tcp_gro_receive}): the sender has nothing more to say until it hears back, so
 * waiting for more only delays the answer it waits for.
 *
 * <p>Reads the frame in place (the caller keeps the buffer); plain Ethernet II with IPv4 (not a later fragment) or
 * IPv6 whose first next header is TCP; anything else, or a frame too short to hold the TCP flags, is not a boundary.
 */
final class WriteBoundary {
    /** The TCP flags byte's offset in the TCP header (RFC 9293 section 3.1). */
    private static final int TCP_FLAGS = 13;

    private WriteBoundary() {
    }

    /** True if the frame at {@code [index, index + length)} of {@code frame} is a TCP segment with PSH or FIN. */
    static boolean endsWrite(ByteBuf frame, int index, int length) {
        if (length < EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH) {
            return false;
        }
        int ip = index + EthernetFrame.HEADER_LENGTH;
        int tcp;
        switch (frame.getUnsignedShort(index + EthernetFrame.ETHER_TYPE)) {
            case EtherType.IPV4_VALUE -> {
                int offset = frame.getUnsignedShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET)
                        & Ipv4Packet.FRAGMENT_OFFSET_MASK;
                if (frame.getUnsignedByte(ip + Ipv4Packet.PROTOCOL) != IpProtocol.TCP_NUMBER || offset != 0) {
                    return false; // not TCP, or a later fragment, which holds no TCP header
                }
                tcp = ip + (frame.getUnsignedByte(ip + Ipv4Packet.VERSION_IHL) & 0x0f) * 4;
            }
            case EtherType.IPV6_VALUE -> {
                if (frame.getUnsignedByte(ip + Ipv6Packet.NEXT_HEADER) != IpProtocol.TCP_NUMBER) {
                    return false;
                }
                tcp = ip + Ipv6Packet.HEADER_LENGTH;
            }
            default -> {
                return false;
            }
        }
        if (tcp + TCP_FLAGS >= index + length) {
            return false;
        }
        return (frame.getUnsignedByte(tcp + TCP_FLAGS) & (TcpPacket.FLAG_PSH | TcpPacket.FLAG_FIN)) != 0;
    }
}
