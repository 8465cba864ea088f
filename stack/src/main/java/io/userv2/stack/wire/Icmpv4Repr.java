package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The parsed form of the ICMPv4 messages this stack handles (RFC 792): echo request, echo reply, destination
 * unreachable and (sent only) time exceeded. Immutable apart from the borrowed data buffers.
 *
 * <p>Ownership of {@code data} / {@code original}: these are borrowed slices. A record neither retains nor releases
 * them and is valid only while the buffer they were sliced from is; {@link #emit} copies them out.
 */
public sealed interface Icmpv4Repr permits Icmpv4Repr.EchoRequest, Icmpv4Repr.EchoReply,
        Icmpv4Repr.DestinationUnreachable, Icmpv4Repr.TimeExceeded {

    /**
     * Parses a checked message: {@link ParseError#BAD_CHECKSUM} when the checksum does not verify,
     * {@link ParseError#UNSUPPORTED} for types other than 0, 3 and 8. The records' buffers are slices of the packet's
     * buffer (not retained).
     */
    static ParseResult<Icmpv4Repr> parse(Icmpv4Packet packet) {
        if (!packet.verifyChecksum()) {
            return ParseResult.badChecksum("icmp checksum");
        }
        return switch (packet.type()) {
            case Icmpv4Packet.TYPE_ECHO_REQUEST -> ParseResult.ok(
                    new EchoRequest(packet.echoIdentifier(), packet.echoSequence(), packet.data()));
            case Icmpv4Packet.TYPE_ECHO_REPLY -> ParseResult.ok(
                    new EchoReply(packet.echoIdentifier(), packet.echoSequence(), packet.data()));
            case Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE -> ParseResult.ok(new DestinationUnreachable(
                    packet.code(), packet.code() == Icmpv4Packet.CODE_FRAGMENTATION_NEEDED ? packet.nextHopMtu() : 0,
                    packet.data()));
            default -> ParseResult.unsupported("icmp type");
        };
    }

    /** The whole message length this record emits: 8 + data. */
    int bufferLength();

    /**
     * Writes the whole message, with its checksum, at absolute index {@code offset} of {@code buf} (which must have
     * capacity for {@link #bufferLength()} bytes there). Does not move indices of {@code buf} or of the data buffers.
     * The caller keeps ownership of {@code buf}.
     *
     * @return the number of bytes written
     */
    int emit(ByteBuf buf, int offset);

    /** Type 8: "Echo", with identifier, sequence number and data to be echoed. */
    record EchoRequest(int identifier, int sequence, ByteBuf data) implements Icmpv4Repr {
        /** Validates ranges; {@code data} is borrowed. */
        public EchoRequest {
            checkEcho(identifier, sequence, data);
        }

        @Override
        public int bufferLength() {
            return Icmpv4Packet.HEADER_LENGTH + data.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset) {
            return emitWithRest(buf, offset, Icmpv4Packet.TYPE_ECHO_REQUEST, 0, (identifier << 16) | sequence, data);
        }

        /** The reply RFC 792 asks for: same identifier, sequence number and data. */
        public EchoReply reply() {
            return new EchoReply(identifier, sequence, data);
        }

        /** tcpdump style: {@code ICMP echo request, id 1, seq 2, length 64}. */
        @Override
        public String toString() {
            return "ICMP echo request, id " + identifier + ", seq " + sequence + ", length " + bufferLength();
        }
    }

    /** Type 0: "Echo Reply". */
    record EchoReply(int identifier, int sequence, ByteBuf data) implements Icmpv4Repr {
        /** Validates ranges; {@code data} is borrowed. */
        public EchoReply {
            checkEcho(identifier, sequence, data);
        }

        @Override
        public int bufferLength() {
            return Icmpv4Packet.HEADER_LENGTH + data.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset) {
            return emitWithRest(buf, offset, Icmpv4Packet.TYPE_ECHO_REPLY, 0, (identifier << 16) | sequence, data);
        }

        /** tcpdump style: {@code ICMP echo reply, id 1, seq 2, length 64}. */
        @Override
        public String toString() {
            return "ICMP echo reply, id " + identifier + ", seq " + sequence + ", length " + bufferLength();
        }
    }

    /**
     * Type 3: "Destination Unreachable", quoting the "internet header + 64 bits of original data datagram" (RFC 792).
     *
     * @param code       the reason (see the {@code CODE_*} constants of {@link Icmpv4Packet})
     * @param nextHopMtu for code 4 the next-hop MTU (RFC 1191), otherwise 0
     * @param original   the quoted bytes of the offending datagram (borrowed)
     */
    record DestinationUnreachable(int code, int nextHopMtu, ByteBuf original) implements Icmpv4Repr {
        /** Validates ranges; {@code original} is borrowed. */
        public DestinationUnreachable {
            Objects.requireNonNull(original, "original");
            if ((code & ~0xFF) != 0 || (nextHopMtu & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("code/next-hop MTU out of range");
            }
        }

        /**
         * The message for {@code offending}: quotes its IP header (with options) and the first 8 bytes of its payload
         * (fewer if it has fewer), as a slice of its buffer (not retained).
         */
        public static DestinationUnreachable quoting(int code, int nextHopMtu, Ipv4Packet offending) {
            int quoted = offending.headerLength() + Math.min(8, offending.payloadLength());
            return new DestinationUnreachable(code, nextHopMtu, offending.buffer().slice(offending.offset(), quoted));
        }

        @Override
        public int bufferLength() {
            return Icmpv4Packet.HEADER_LENGTH + original.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset) {
            return emitWithRest(buf, offset, Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE, code, nextHopMtu, original);
        }

        /** tcpdump style (simplified): {@code ICMP unreachable code 3, length 36}. */
        @Override
        public String toString() {
            String reason = switch (code) {
                case Icmpv4Packet.CODE_NET_UNREACHABLE -> "net";
                case Icmpv4Packet.CODE_HOST_UNREACHABLE -> "host";
                case Icmpv4Packet.CODE_PROTOCOL_UNREACHABLE -> "protocol";
                case Icmpv4Packet.CODE_PORT_UNREACHABLE -> "port";
                case Icmpv4Packet.CODE_FRAGMENTATION_NEEDED -> "need to frag (mtu " + nextHopMtu + ")";
                case Icmpv4Packet.CODE_ADMIN_PROHIBITED -> "admin prohibited";
                default -> "code " + code;
            };
            return "ICMP " + reason + " unreachable, length " + bufferLength();
        }
    }

    /**
     * Type 11: "Time Exceeded", quoting the "internet header + 64 bits of original data datagram" (RFC 792). The
     * gateway sends code 1 when reassembly of a datagram whose first fragment it has times out.
     *
     * @param code     {@link Icmpv4Packet#CODE_TTL_EXCEEDED} or {@link Icmpv4Packet#CODE_REASSEMBLY_TIME_EXCEEDED}
     * @param original the quoted bytes of the offending datagram (borrowed)
     */
    record TimeExceeded(int code, ByteBuf original) implements Icmpv4Repr {
        /** Validates the code; {@code original} is borrowed. */
        public TimeExceeded {
            Objects.requireNonNull(original, "original");
            if ((code & ~0xFF) != 0) {
                throw new IllegalArgumentException("code out of range");
            }
        }

        @Override
        public int bufferLength() {
            return Icmpv4Packet.HEADER_LENGTH + original.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset) {
            return emitWithRest(buf, offset, Icmpv4Packet.TYPE_TIME_EXCEEDED, code, 0, original);
        }

        /** tcpdump style: {@code ICMP ip reassembly time exceeded, length 36}. */
        @Override
        public String toString() {
            String what = switch (code) {
                case Icmpv4Packet.CODE_REASSEMBLY_TIME_EXCEEDED -> "ip reassembly time exceeded";
                case Icmpv4Packet.CODE_TTL_EXCEEDED -> "time exceeded in-transit";
                default -> "time exceeded code " + code;
            };
            return "ICMP " + what + ", length " + bufferLength();
        }
    }

    private static void checkEcho(int identifier, int sequence, ByteBuf data) {
        Objects.requireNonNull(data, "data");
        if ((identifier & ~0xFFFF) != 0 || (sequence & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("identifier/sequence out of range");
        }
    }

    private static int emitWithRest(ByteBuf buf, int offset, int type, int code, int rest, ByteBuf data) {
        int dataLength = data.readableBytes();
        buf.setByte(offset + Icmpv4Packet.TYPE, type);
        buf.setByte(offset + Icmpv4Packet.CODE, code);
        buf.setShort(offset + Icmpv4Packet.CHECKSUM, 0);
        buf.setInt(offset + Icmpv4Packet.ECHO_IDENTIFIER, rest);
        buf.setBytes(offset + Icmpv4Packet.HEADER_LENGTH, data, data.readerIndex(), dataLength);
        int length = Icmpv4Packet.HEADER_LENGTH + dataLength;
        buf.setShort(offset + Icmpv4Packet.CHECKSUM, Checksum.compute(buf, offset, length));
        return length;
    }
}
