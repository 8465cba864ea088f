package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The parsed form of an unfragmented IPv4 header (RFC 791). Immutable.
 *
 * <p>Not represented, by design: options (parsed packets may carry them; they are skipped, and {@link #emit} always
 * writes IHL 5), and fragmentation (MF and fragment offset; {@link #parse} refuses fragments with
 * {@link ParseError#UNSUPPORTED}: they go to the gateway's reassembler, which hands on whole datagrams). A sender
 * that fragments emits each fragment's header with {@link #emitFragment}, the record describing that fragment. The
 * header checksum is verified by {@link #parse} and computed by {@link #emit}.
 *
 * @param source         source address
 * @param destination    destination address
 * @param protocol       the payload's protocol
 * @param payloadLength  payload bytes after the header (Total Length - 20 on emit), 0..65515
 * @param ttl            time to live, 0..255
 * @param identification identification, 0..65535
 * @param dontFragment   the DF flag
 * @param tos            the type of service byte (DSCP and ECN), 0..255
 */
public record Ipv4Repr(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int payloadLength, int ttl,
                       int identification, boolean dontFragment, int tos) {
    /** The default TTL for packets this stack originates (the Linux default). */
    public static final int DEFAULT_TTL = 64;

    /** Validates ranges. */
    public Ipv4Repr {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(protocol, "protocol");
        if (payloadLength < 0 || payloadLength > 0xFFFF - Ipv4Packet.MIN_HEADER_LENGTH) {
            throw new IllegalArgumentException("payload length out of range: " + payloadLength);
        }
        if ((ttl & ~0xFF) != 0 || (identification & ~0xFFFF) != 0 || (tos & ~0xFF) != 0) {
            throw new IllegalArgumentException("ttl/identification/tos out of range");
        }
    }

    /** A header with identification 0, DF clear and TOS 0. */
    public Ipv4Repr(Ipv4Address source, Ipv4Address destination, IpProtocol protocol, int payloadLength, int ttl) {
        this(source, destination, protocol, payloadLength, ttl, 0, false, 0);
    }

    /**
     * Parses a checked packet: {@link ParseError#BAD_CHECKSUM} when the header checksum does not verify,
     * {@link ParseError#UNSUPPORTED} for a fragment. Options are skipped.
     */
    public static ParseResult<Ipv4Repr> parse(Ipv4Packet packet) {
        if (!packet.verifyChecksum()) {
            return ParseResult.badChecksum("ipv4 header checksum");
        }
        if (packet.isFragment()) {
            return ParseResult.unsupported("ipv4 fragment");
        }
        return ParseResult.ok(new Ipv4Repr(new Ipv4Address(packet.source()), new Ipv4Address(packet.destination()),
                packet.protocol(), packet.payloadLength(), packet.ttl(), packet.identification(),
                packet.dontFragment(), packet.tos()));
    }

    /** Always 20: this record emits no options. */
    public int headerLength() {
        return Ipv4Packet.MIN_HEADER_LENGTH;
    }

    /** Header plus payload: the Total Length this record emits. */
    public int totalLength() {
        return Ipv4Packet.MIN_HEADER_LENGTH + payloadLength;
    }

    /**
     * Writes the 20-byte header, with its checksum, at absolute index {@code offset} of {@code buf} (which must have the
     * capacity); the payload is the caller's to write after it. Does not move indices. The caller keeps ownership of
     * {@code buf}.
     *
     * @return the header length written (20)
     */
    public int emit(ByteBuf buf, int offset) {
        return emitFragment(buf, offset, 0, false);
    }

    /**
     * As {@link #emit}, for one fragment of a larger datagram (RFC 791 section 3.2): this record describes the
     * fragment ({@link #payloadLength()} is the fragment's data), {@code fragmentOffsetBytes} is where its data
     * starts in the datagram's, and {@code moreFragments} is set on all fragments but the last. RFC 791: "the
     * fragment offset ... is measured in units of 8 octets", so every fragment but the last carries a multiple of 8
     * bytes. DF is written as {@link #dontFragment()} says (a sender that fragments clears it).
     *
     * @return the header length written (20)
     * @throws IllegalArgumentException when the offset is not a multiple of 8 in 0..65528, or when a fragment with MF
     *                                  set carries no data or data not a multiple of 8 bytes
     */
    public int emitFragment(ByteBuf buf, int offset, int fragmentOffsetBytes, boolean moreFragments) {
        if ((fragmentOffsetBytes & 7) != 0 || fragmentOffsetBytes < 0
                || fragmentOffsetBytes > Ipv4Packet.FRAGMENT_OFFSET_MASK * 8) {
            throw new IllegalArgumentException("fragment offset not a multiple of 8 in range: " + fragmentOffsetBytes);
        }
        if (moreFragments && (payloadLength == 0 || (payloadLength & 7) != 0)) {
            throw new IllegalArgumentException("a fragment followed by more must carry a multiple of 8 bytes: "
                    + payloadLength);
        }
        writeHeader(buf, offset, source.bits(), destination.bits(), protocol.number(), totalLength(), ttl,
                identification, (dontFragment ? Ipv4Packet.FLAG_DF : 0) | (moreFragments ? Ipv4Packet.FLAG_MF : 0)
                        | (fragmentOffsetBytes >>> 3), tos);
        return Ipv4Packet.MIN_HEADER_LENGTH;
    }

    /**
     * Writes a 20-byte header with its checksum at {@code offset}, from primitives: what {@link #emit} writes,
     * for the per-segment path that builds no record. Does not move indices; the caller keeps {@code buf}.
     *
     * @param flagsFragment the flags (DF, MF) or'ed with the fragment offset in 8-octet units
     */
    public static void writeHeader(ByteBuf buf, int offset, int source, int destination, int protocol,
                                   int totalLength, int ttl, int identification, int flagsFragment, int tos) {
        buf.setByte(offset + Ipv4Packet.VERSION_IHL, 0x45);
        buf.setByte(offset + Ipv4Packet.TOS, tos);
        buf.setShort(offset + Ipv4Packet.TOTAL_LENGTH, totalLength);
        buf.setShort(offset + Ipv4Packet.IDENTIFICATION, identification);
        buf.setShort(offset + Ipv4Packet.FLAGS_FRAGMENT_OFFSET, flagsFragment);
        buf.setByte(offset + Ipv4Packet.TTL, ttl);
        buf.setByte(offset + Ipv4Packet.PROTOCOL, protocol);
        buf.setShort(offset + Ipv4Packet.HEADER_CHECKSUM, 0);
        buf.setInt(offset + Ipv4Packet.SOURCE, source);
        buf.setInt(offset + Ipv4Packet.DESTINATION, destination);
        buf.setShort(offset + Ipv4Packet.HEADER_CHECKSUM,
                Checksum.compute(buf, offset, Ipv4Packet.MIN_HEADER_LENGTH));
    }

    /**
     * tcpdump {@code -v} style: {@code IP (tos 0x0, ttl 64, id 0, offset 0, flags [DF], proto ICMP (1), length 84)
     * 192.168.104.3 > 192.168.104.2}.
     */
    @Override
    public String toString() {
        return format(tos, ttl, identification, 0, false, dontFragment, false, protocol, totalLength(), 0,
                source.bits(), destination.bits());
    }

    static String format(int tos, int ttl, int id, int offsetBytes, boolean reserved, boolean df, boolean mf,
                         IpProtocol protocol, int totalLength, int optionsLength, int src, int dst) {
        String flags = (reserved ? "+" : "") + (df ? "DF" : "") + (mf ? (df ? "+" : "") + "MF" : "");
        return "IP (tos 0x" + Integer.toHexString(tos) + ", ttl " + ttl + ", id " + id + ", offset " + offsetBytes
                + ", flags [" + (flags.isEmpty() ? "none" : flags) + "], proto " + protocol + " ("
                + protocol.number() + "), length " + totalLength
                + (optionsLength > 0 ? ", options " + optionsLength + " bytes" : "") + ") "
                + Ipv4Address.format(src) + " > " + Ipv4Address.format(dst);
    }
}
