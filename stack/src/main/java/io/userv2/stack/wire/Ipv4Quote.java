package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Objects;

/**
 * What an ICMP error quotes of the datagram it reports (RFC 792: "Internet Header + 64 bits of Original Data
 * Datagram"), rebuilt from fields when the datagram itself is long gone: the NAT learns that a host UDP socket got
 * port unreachable, or that a host dial failed, after the guest's packet has been released. The receiver matches
 * the error to its socket by the quote's addresses, protocol and ports, and for TCP by the sequence number (Linux's
 * {@code tcp_v4_err} ignores an error whose sequence number is outside {@code snd_una..snd_nxt}: for a SYN, the
 * ISN), so those are what must be right; the rest of the header is plausible filler.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              IPv4 header, 20 bytes (see Ipv4Packet)           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | UDP: Length   |  Checksum (0) |  or TCP: Sequence Number      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>For UDP the 8 bytes are the whole UDP header, with checksum 0 ("not computed", RFC 768: the data it would
 * cover is not quoted anyway); for TCP they are the ports and the sequence number.
 *
 * @param header     the quoted IPv4 header (its Total Length is the original datagram's)
 * @param srcPort    the original's source port, 0..65535
 * @param dstPort    the original's destination port, 0..65535
 * @param secondWord the transport header's second 32 bits: UDP Length and Checksum, or the TCP Sequence Number
 */
public record Ipv4Quote(Ipv4Repr header, int srcPort, int dstPort, int secondWord) {
    /** The length of every quote this record emits: a 20-byte header and 8 bytes of transport header. */
    public static final int LENGTH = Ipv4Packet.MIN_HEADER_LENGTH + 8;

    /** Validates ranges. */
    public Ipv4Quote {
        Objects.requireNonNull(header, "header");
        if ((srcPort & ~0xFFFF) != 0 || (dstPort & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("port out of range: " + srcPort + " > " + dstPort);
        }
    }

    /**
     * The quote of a UDP datagram of {@code payloadLength} data bytes from {@code src}:{@code srcPort} to
     * {@code dst}:{@code dstPort} (TTL 64, identification 0, DF clear).
     *
     * @throws IllegalArgumentException when a port or the length is out of range (0..65507 data bytes)
     */
    public static Ipv4Quote udp(Ipv4Address src, int srcPort, Ipv4Address dst, int dstPort, int payloadLength) {
        if (payloadLength < 0 || payloadLength > 0xFFFF - LENGTH) {
            throw new IllegalArgumentException("UDP payload length out of range: " + payloadLength);
        }
        int udpLength = UdpPacket.HEADER_LENGTH + payloadLength;
        return new Ipv4Quote(new Ipv4Repr(src, dst, IpProtocol.UDP, udpLength, Ipv4Repr.DEFAULT_TTL, 0, false, 0),
                srcPort, dstPort, udpLength << 16);
    }

    /**
     * The quote of a TCP segment from {@code src}:{@code srcPort} to {@code dst}:{@code dstPort} with sequence number
     * {@code seq} (for a failed dial: the guest's SYN, whose sequence number is its ISN). The header is that of a
     * segment with no options or data (Total Length 40), TTL 64, identification 0, DF set as TCP sends it.
     */
    public static Ipv4Quote tcp(Ipv4Address src, int srcPort, Ipv4Address dst, int dstPort, SeqNumber seq) {
        return new Ipv4Quote(new Ipv4Repr(src, dst, IpProtocol.TCP, 20, Ipv4Repr.DEFAULT_TTL, 0, true, 0),
                srcPort, dstPort, seq.value());
    }

    /** Always {@link #LENGTH}. */
    public int bufferLength() {
        return LENGTH;
    }

    /**
     * Writes the quote at absolute index {@code offset} of {@code buf} (which must have the capacity); does not move
     * indices. The caller keeps ownership of {@code buf}.
     *
     * @return the number of bytes written, {@link #LENGTH}
     */
    public int emit(ByteBuf buf, int offset) {
        int at = offset + header.emit(buf, offset);
        buf.setShort(at, srcPort);
        buf.setShort(at + 2, dstPort);
        buf.setInt(at + 4, secondWord);
        return LENGTH;
    }

    /** A new buffer from {@code alloc} whose readable bytes are the quote; the caller owns it and releases it. */
    public ByteBuf toBuffer(ByteBufAllocator alloc) {
        ByteBuf buf = alloc.buffer(LENGTH);
        try {
            emit(buf, 0);
            buf.writerIndex(LENGTH);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        return buf;
    }

    /** tcpdump style: {@code IP 192.168.104.3.40000 > 198.51.100.7.53: UDP, length 10}. */
    @Override
    public String toString() {
        String ends = "IP " + header.source() + "." + srcPort + " > " + header.destination() + "." + dstPort + ": ";
        return header.protocol().number() == IpProtocol.UDP_NUMBER
                ? ends + "UDP, length " + ((secondWord >>> 16) - UdpPacket.HEADER_LENGTH)
                : ends + header.protocol() + ", seq " + Integer.toUnsignedString(secondWord);
    }
}
