package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The parsed form of a TCP header (RFC 9293 section 3.1), shaped after smoltcp's {@code TcpRepr}: one
 * {@link TcpControl} instead of independent flags, an acknowledgment number that is {@code null} unless the ACK flag
 * is set, and the options this stack understands. The data stays in the buffer ({@link TcpPacket#payload()}); this
 * record holds only its length, so it holds no buffer and needs no release. The engine's hot path uses its mutable
 * twin {@link TcpHeader} instead (no object per segment); this record is the form for tests, logs and callers that keep
 * a header.
 *
 * <p>Not represented, by design: URG and the urgent pointer (RFC 6093 section 6: new applications "SHOULD NOT employ
 * the TCP urgent mechanism"; smoltcp also drops it), ECE/CWR (no ECN here), and unknown options.
 *
 * @param srcPort       source port, 1..65535
 * @param dstPort       destination port, 1..65535
 * @param control       the segment's control function
 * @param seqNumber     Sequence Number
 * @param ackNumber     Acknowledgment Number, or {@code null} when the ACK flag is not set
 * @param window        Window as on the wire (unscaled), 0..65535
 * @param options       the options; {@link TcpOptions#NONE} when there are none
 * @param payloadLength number of data octets
 */
public record TcpRepr(int srcPort, int dstPort, TcpControl control, SeqNumber seqNumber, SeqNumber ackNumber,
                      int window, TcpOptions options, int payloadLength) {

    /** Rejects values that cannot go on the wire. */
    public TcpRepr {
        if (srcPort <= 0 || srcPort > 0xFFFF || dstPort <= 0 || dstPort > 0xFFFF) {
            throw new IllegalArgumentException("TCP port out of range: " + srcPort + " > " + dstPort);
        }
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(seqNumber, "seqNumber");
        Objects.requireNonNull(options, "options");
        if ((window & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("TCP window out of range: " + window);
        }
        if (payloadLength < 0 || payloadLength > 0xFFFF - TcpPacket.HEADER_LENGTH - options.encodedLength()) {
            throw new IllegalArgumentException("TCP payload length out of range: " + payloadLength);
        }
    }

    /**
     * Parses a checked segment sent from {@code srcAddr} to {@code dstAddr}. Fails:
     * <ul>
     *   <li>{@link ParseError#BAD_CHECKSUM} when {@code verifyChecksum} is set and the checksum does not verify
     *       (RFC 9293 MUST-3: "the checksum ... MUST be checked");</li>
     *   <li>{@link ParseError#MALFORMED} for port 0 on either side, for flag combinations with no meaning
     *       (SYN with FIN or RST, FIN with RST) and for malformed options ({@link TcpOptions#parse}).</li>
     * </ul>
     * Does not retain the packet's buffer.
     */
    public static ParseResult<TcpRepr> parse(TcpPacket packet, int srcAddr, int dstAddr, boolean verifyChecksum) {
        TcpHeader h = new TcpHeader();
        ParseError error = h.parse(packet, srcAddr, dstAddr, verifyChecksum);
        return error == null ? ParseResult.ok(h.toRepr()) : new ParseResult.Failed<>(error, h.failure());
    }

    /**
     * As {@link #parse(TcpPacket, int, int, boolean)} for a segment carried over IPv6 from {@code src} to
     * {@code dst}: the checksum is verified over the IPv6 pseudo header (RFC 8200 section 8.1).
     */
    public static ParseResult<TcpRepr> parse(TcpPacket packet, Ipv6Address src, Ipv6Address dst,
                                             boolean verifyChecksum) {
        TcpHeader h = new TcpHeader();
        ParseError error = h.parseIpv6(packet, src.high(), src.low(), dst.high(), dst.low(), verifyChecksum);
        return error == null ? ParseResult.ok(h.toRepr()) : new ParseResult.Failed<>(error, h.failure());
    }

    /** Header plus options in bytes: 20 plus {@link TcpOptions#encodedLength()}. */
    public int headerLength() {
        return TcpPacket.HEADER_LENGTH + options.encodedLength();
    }

    /** Header, options and data in bytes. */
    public int totalLength() {
        return headerLength() + payloadLength;
    }

    /** The sequence space the segment occupies: data octets plus one for SYN or FIN (RFC 9293 SEG.LEN). */
    public int segmentLength() {
        return payloadLength + control.sequenceLength();
    }

    /** True when the ACK flag is set, i.e. {@link #ackNumber()} is present. */
    public boolean hasAck() {
        return ackNumber != null;
    }

    /**
     * Writes header and options at absolute {@code offset} of {@code buf} and fills in the checksum over the IPv4
     * pseudo header, the header and the {@link #payloadLength()} data octets, which the caller must already have placed
     * at {@code offset + headerLength()}. The buffer needs capacity for {@link #totalLength()} bytes from
     * {@code offset}; its indices are not moved and the caller keeps ownership. The urgent pointer is written as 0,
     * and the acknowledgment field as 0 when there is no ACK.
     */
    public void emit(ByteBuf buf, int offset, int srcAddr, int dstAddr) {
        TcpHeader.of(this).emit(buf, offset, srcAddr, dstAddr);
    }

    /**
     * As {@link #emit(ByteBuf, int, int, int)} for a segment carried over IPv6 from {@code src} to {@code dst}: the
     * checksum covers the IPv6 pseudo header (RFC 8200 section 8.1).
     */
    public void emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
        TcpHeader.of(this).emitIpv6(buf, offset, src.high(), src.low(), dst.high(), dst.low());
    }

    /**
     * tcpdump style (absolute sequence numbers):
     * {@code 50024 > 5001: Flags [S.], seq 1, ack 2, win 65160, options [mss 1460,sackOK], length 0}.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(srcPort).append(" > ").append(dstPort).append(": Flags [");
        switch (control) {
            case SYN -> sb.append('S');
            case FIN -> sb.append('F');
            case RST -> sb.append('R');
            case PSH -> sb.append('P');
            case NONE -> {
                if (ackNumber == null) {
                    sb.append("none");
                }
            }
        }
        if (ackNumber != null) {
            sb.append('.');
        }
        sb.append("], seq ").append(seqNumber);
        if (ackNumber != null) {
            sb.append(", ack ").append(ackNumber);
        }
        sb.append(", win ").append(window);
        if (!options.isEmpty()) {
            sb.append(", options [").append(options).append(']');
        }
        return sb.append(", length ").append(payloadLength).toString();
    }
}
