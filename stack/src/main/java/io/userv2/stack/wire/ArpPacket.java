package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A read-only view of an ARP packet (RFC 826) for Ethernet hardware and IPv4 protocol addresses, the only combination
 * this stack speaks. Construct it with {@link #checked}, which validates the fixed header and the length once, so no
 * accessor can fail afterwards.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Hardware Type (ar$hrd)    |     Protocol Type (ar$pro)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | HLEN (ar$hln) | PLEN (ar$pln) |       Operation (ar$op)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Sender Hardware Address (ar$sha, 6 octets)         |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               | Sender Protocol Address (spa) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     ... spa (4 octets)        |  Target Hardware Address (tha)|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                     ... tha (6 octets)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |              Target Protocol Address (ar$tpa, 4 octets)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Bytes after the 28-byte packet (Ethernet padding to 60 bytes) are ignored: {@link #length()} is always 28.
 *
 * <p>Ownership: the view never retains or releases its buffer; it reads absolute indices without moving indices.
 */
public final class ArpPacket {
    /** Offset of ar$hrd. */
    public static final int HARDWARE_TYPE = 0;
    /** Offset of ar$pro. */
    public static final int PROTOCOL_TYPE = 2;
    /** Offset of ar$hln. */
    public static final int HARDWARE_LENGTH = 4;
    /** Offset of ar$pln. */
    public static final int PROTOCOL_LENGTH = 5;
    /** Offset of ar$op. */
    public static final int OPERATION = 6;
    /** Offset of ar$sha. */
    public static final int SENDER_HARDWARE_ADDRESS = 8;
    /** Offset of ar$spa. */
    public static final int SENDER_PROTOCOL_ADDRESS = 14;
    /** Offset of ar$tha. */
    public static final int TARGET_HARDWARE_ADDRESS = 18;
    /** Offset of ar$tpa. */
    public static final int TARGET_PROTOCOL_ADDRESS = 24;
    /** Length of the fixed part (hardware type .. operation). */
    public static final int FIXED_LENGTH = 8;
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LENGTH = 28;
    /** ar$hrd for Ethernet (IANA "Hardware Types": 1). */
    public static final int HARDWARE_TYPE_ETHERNET = 1;

    private final ByteBuf buf;
    private final int offset;

    private ArpPacket(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
    }

    /**
     * Checks {@code length} bytes of {@code buf} from absolute index {@code offset} as an ARP packet: {@link
     * ParseError#TRUNCATED} when shorter than the fixed part or than 28 bytes; {@link ParseError#UNSUPPORTED} unless
     * hardware type 1 (Ethernet), protocol type 0x0800 (IPv4), hardware length 6 and protocol length 4. Trailing bytes
     * are ignored. The caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public static ParseResult<ArpPacket> checked(ByteBuf buf, int offset, int length) {
        if (length < FIXED_LENGTH || offset < 0 || (long) offset + length > buf.capacity()) {
            return ParseResult.truncated("arp fixed header");
        }
        if (buf.getUnsignedShort(offset + HARDWARE_TYPE) != HARDWARE_TYPE_ETHERNET) {
            return ParseResult.unsupported("arp hardware type not Ethernet");
        }
        if (buf.getUnsignedShort(offset + PROTOCOL_TYPE) != EtherType.IPV4_VALUE) {
            return ParseResult.unsupported("arp protocol type not IPv4");
        }
        if (buf.getUnsignedByte(offset + HARDWARE_LENGTH) != 6 || buf.getUnsignedByte(offset + PROTOCOL_LENGTH) != 4) {
            return ParseResult.malformed("arp address lengths not 6/4 for Ethernet/IPv4");
        }
        if (length < LENGTH) {
            return ParseResult.truncated("arp addresses");
        }
        return ParseResult.ok(new ArpPacket(buf, offset));
    }

    /** Checks the payload of an Ethernet frame as ARP; see {@link #checked(ByteBuf, int, int)}. */
    public static ParseResult<ArpPacket> checked(EthernetFrame frame) {
        return checked(frame.buffer(), frame.payloadOffset(), frame.payloadLength());
    }

    /** The underlying buffer (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** Absolute index of the first byte. */
    public int offset() {
        return offset;
    }

    /** Always {@link #LENGTH}: trailing padding is not part of the packet. */
    public int length() {
        return LENGTH;
    }

    /** ar$op as an open type. */
    public ArpOperation operation() {
        return ArpOperation.of(operationCode());
    }

    /** ar$op as a raw 16-bit value. */
    public int operationCode() {
        return buf.getUnsignedShort(offset + OPERATION);
    }

    /** ar$sha as 48 bits. */
    public long senderHardwareAddress() {
        return MacAddress.read(buf, offset + SENDER_HARDWARE_ADDRESS);
    }

    /** ar$spa as 32 bits. */
    public int senderProtocolAddress() {
        return buf.getInt(offset + SENDER_PROTOCOL_ADDRESS);
    }

    /** ar$tha as 48 bits. */
    public long targetHardwareAddress() {
        return MacAddress.read(buf, offset + TARGET_HARDWARE_ADDRESS);
    }

    /** ar$tpa as 32 bits. */
    public int targetProtocolAddress() {
        return buf.getInt(offset + TARGET_PROTOCOL_ADDRESS);
    }

    /** tcpdump style, via {@link ArpRepr}. */
    @Override
    public String toString() {
        return ArpRepr.parse(this).toString();
    }
}
