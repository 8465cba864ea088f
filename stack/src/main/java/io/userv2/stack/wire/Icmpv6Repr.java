package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The parsed form of the ICMPv6 messages this stack handles: echo request and reply and the four error messages of
 * RFC 4443, and the five Neighbor Discovery messages of RFC 4861 (Redirect is recognized so that the gateway can
 * ignore it knowingly). Immutable apart from the borrowed data buffers.
 *
 * <p>{@link #parse} checks the checksum and the structure (each message's fixed length, its options with
 * {@link NdpOptions#parse}); the further validity rules of RFC 4861 (hop limit 255, code 0, addresses) are
 * {@link NdpValidation}'s. Other types (MLD, ...) are {@link ParseError#UNSUPPORTED}.
 *
 * <p>Ownership of {@code data} / {@code original}: these are borrowed slices. A record neither retains nor releases
 * them and is valid only while the buffer they were sliced from is; {@link #emit} copies them out.
 */
public sealed interface Icmpv6Repr permits Icmpv6Repr.EchoRequest, Icmpv6Repr.EchoReply,
        Icmpv6Repr.DestinationUnreachable, Icmpv6Repr.PacketTooBig, Icmpv6Repr.TimeExceeded,
        Icmpv6Repr.ParameterProblem, Icmpv6Repr.RouterSolicitation, Icmpv6Repr.RouterAdvertisement,
        Icmpv6Repr.NeighborSolicitation, Icmpv6Repr.NeighborAdvertisement, Icmpv6Repr.Redirect {

    /**
     * The most an error message quotes of the invoking packet: RFC 4443 section 2.4 (c), "as much of invoking packet
     * as possible without the ICMPv6 packet exceeding the minimum IPv6 MTU" (1280 - 40 - 8).
     */
    int MAX_QUOTE = 1280 - Ipv6Packet.HEADER_LENGTH - Icmpv6Packet.HEADER_LENGTH;
    /** Length of an RS up to its options (RFC 4861 section 4.1; "ICMP length ... is 8 or more octets"). */
    int ROUTER_SOLICITATION_LENGTH = 8;
    /** Length of an RA up to its options (section 4.2; "16 or more octets"). */
    int ROUTER_ADVERTISEMENT_LENGTH = 16;
    /** Length of an NS or NA up to its options (sections 4.3, 4.4; "24 or more octets"). */
    int NEIGHBOR_MESSAGE_LENGTH = 24;
    /** Length of a Redirect up to its options (section 4.5; "40 or more octets"). */
    int REDIRECT_LENGTH = 40;

    /**
     * Parses a checked message carried from {@code srcHigh/srcLow} to {@code dstHigh/dstLow}:
     * {@link ParseError#BAD_CHECKSUM} when the checksum over the pseudo header does not verify,
     * {@link ParseError#TRUNCATED} for an NDP message shorter than its fixed part, {@link ParseError#MALFORMED} for
     * its options as {@link NdpOptions#parse} says, {@link ParseError#UNSUPPORTED} for other types. The records'
     * buffers are slices of the packet's buffer (not retained).
     */
    static ParseResult<Icmpv6Repr> parse(Icmpv6Packet packet, long srcHigh, long srcLow, long dstHigh,
                                         long dstLow) {
        if (!packet.verifyChecksum(srcHigh, srcLow, dstHigh, dstLow)) {
            return ParseResult.badChecksum("icmpv6 checksum");
        }
        ByteBuf buf = packet.buffer();
        int at = packet.offset();
        return switch (packet.type()) {
            case Icmpv6Packet.TYPE_ECHO_REQUEST -> ParseResult.ok(
                    new EchoRequest(packet.echoIdentifier(), packet.echoSequence(), packet.data()));
            case Icmpv6Packet.TYPE_ECHO_REPLY -> ParseResult.ok(
                    new EchoReply(packet.echoIdentifier(), packet.echoSequence(), packet.data()));
            case Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE -> ParseResult.ok(
                    new DestinationUnreachable(packet.code(), packet.data()));
            case Icmpv6Packet.TYPE_PACKET_TOO_BIG -> ParseResult.ok(new PacketTooBig(packet.mtu(), packet.data()));
            case Icmpv6Packet.TYPE_TIME_EXCEEDED -> ParseResult.ok(new TimeExceeded(packet.code(), packet.data()));
            case Icmpv6Packet.TYPE_PARAMETER_PROBLEM -> ParseResult.ok(
                    new ParameterProblem(packet.code(), packet.pointer(), packet.data()));
            case Icmpv6Packet.TYPE_ROUTER_SOLICITATION -> ndp(packet, ROUTER_SOLICITATION_LENGTH,
                    "icmpv6 router solicitation", RouterSolicitation::new);
            case Icmpv6Packet.TYPE_ROUTER_ADVERTISEMENT -> ndp(packet, ROUTER_ADVERTISEMENT_LENGTH,
                    "icmpv6 router advertisement", options -> new RouterAdvertisement(buf.getUnsignedByte(at + 4),
                            buf.getUnsignedByte(at + 5), buf.getUnsignedShort(at + 6), buf.getUnsignedInt(at + 8),
                            buf.getUnsignedInt(at + 12), options));
            case Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION -> ndp(packet, NEIGHBOR_MESSAGE_LENGTH,
                    "icmpv6 neighbor solicitation", options -> new NeighborSolicitation(Ipv6Address.read(buf, at + 8),
                            options));
            case Icmpv6Packet.TYPE_NEIGHBOR_ADVERTISEMENT -> ndp(packet, NEIGHBOR_MESSAGE_LENGTH,
                    "icmpv6 neighbor advertisement", options -> {
                        int flags = buf.getUnsignedByte(at + 4);
                        return new NeighborAdvertisement((flags & NeighborAdvertisement.FLAG_ROUTER) != 0,
                                (flags & NeighborAdvertisement.FLAG_SOLICITED) != 0,
                                (flags & NeighborAdvertisement.FLAG_OVERRIDE) != 0, Ipv6Address.read(buf, at + 8),
                                options);
                    });
            case Icmpv6Packet.TYPE_REDIRECT -> ndp(packet, REDIRECT_LENGTH, "icmpv6 redirect",
                    options -> new Redirect(Ipv6Address.read(buf, at + 8), Ipv6Address.read(buf, at + 24), options));
            default -> ParseResult.unsupported("icmpv6 type");
        };
    }

    /** {@link #parse(Icmpv6Packet, long, long, long, long)} for a message carried by {@code ip}. */
    static ParseResult<Icmpv6Repr> parse(Icmpv6Packet packet, Ipv6Packet ip) {
        return parse(packet, ip.sourceHigh(), ip.sourceLow(), ip.destinationHigh(), ip.destinationLow());
    }

    /** {@link #parse(Icmpv6Packet, long, long, long, long)} for a message from {@code src} to {@code dst}. */
    static ParseResult<Icmpv6Repr> parse(Icmpv6Packet packet, Ipv6Address src, Ipv6Address dst) {
        return parse(packet, src.high(), src.low(), dst.high(), dst.low());
    }

    /** The message type this record emits. */
    int type();

    /** The whole message length this record emits. */
    int bufferLength();

    /**
     * Writes the whole message, with its checksum over the pseudo header of {@code src} and {@code dst}, at absolute
     * index {@code offset} of {@code buf} (which must have capacity for {@link #bufferLength()} bytes there). Does
     * not move indices of {@code buf} or of the data buffers. The caller keeps ownership of {@code buf}.
     *
     * @return the number of bytes written
     */
    int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst);

    /** Type 128, "Echo Request", with identifier, sequence number and data to be echoed (RFC 4443 section 4.1). */
    record EchoRequest(int identifier, int sequence, ByteBuf data) implements Icmpv6Repr {
        /** Validates ranges; {@code data} is borrowed. */
        public EchoRequest {
            checkEcho(identifier, sequence, data);
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_ECHO_REQUEST;
        }

        @Override
        public int bufferLength() {
            return Icmpv6Packet.HEADER_LENGTH + data.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            return emitWithData(buf, offset, type(), 0, (identifier << 16) | sequence, data, src, dst);
        }

        /** The reply RFC 4443 4.2 asks for: "The data received in the ICMPv6 Echo Request message". */
        public EchoReply reply() {
            return new EchoReply(identifier, sequence, data);
        }

        /** tcpdump style: {@code ICMP6, echo request, id 1, seq 2, length 64}. */
        @Override
        public String toString() {
            return "ICMP6, echo request, id " + identifier + ", seq " + sequence + ", length " + bufferLength();
        }
    }

    /** Type 129, "Echo Reply" (RFC 4443 section 4.2). */
    record EchoReply(int identifier, int sequence, ByteBuf data) implements Icmpv6Repr {
        /** Validates ranges; {@code data} is borrowed. */
        public EchoReply {
            checkEcho(identifier, sequence, data);
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_ECHO_REPLY;
        }

        @Override
        public int bufferLength() {
            return Icmpv6Packet.HEADER_LENGTH + data.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            return emitWithData(buf, offset, type(), 0, (identifier << 16) | sequence, data, src, dst);
        }

        /** tcpdump style: {@code ICMP6, echo reply, id 1, seq 2, length 64}. */
        @Override
        public String toString() {
            return "ICMP6, echo reply, id " + identifier + ", seq " + sequence + ", length " + bufferLength();
        }
    }

    /**
     * Type 1, "Destination Unreachable" (RFC 4443 section 3.1).
     *
     * @param code     the reason (the {@code CODE_*} constants of {@link Icmpv6Packet}, 0..6)
     * @param original the quoted bytes of the invoking packet (borrowed)
     */
    record DestinationUnreachable(int code, ByteBuf original) implements Icmpv6Repr {
        /** Validates ranges; {@code original} is borrowed. */
        public DestinationUnreachable {
            checkError(code, original);
        }

        /** The message for {@code offending}, quoting as much of it as fits (a slice of its buffer, not retained). */
        public static DestinationUnreachable quoting(int code, Ipv6Packet offending) {
            return new DestinationUnreachable(code, quote(offending));
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE;
        }

        @Override
        public int bufferLength() {
            return Icmpv6Packet.HEADER_LENGTH + original.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            return emitWithData(buf, offset, type(), code, 0, original, src, dst);
        }

        /** tcpdump style (simplified): {@code ICMP6, destination unreachable, unreachable port, length 56}. */
        @Override
        public String toString() {
            String reason = switch (code) {
                case Icmpv6Packet.CODE_NO_ROUTE -> "unreachable route";
                case Icmpv6Packet.CODE_ADMIN_PROHIBITED -> "unreachable prohibited";
                case Icmpv6Packet.CODE_BEYOND_SCOPE -> "beyond scope";
                case Icmpv6Packet.CODE_ADDRESS_UNREACHABLE -> "unreachable address";
                case Icmpv6Packet.CODE_PORT_UNREACHABLE -> "unreachable port";
                default -> "code " + code;
            };
            return "ICMP6, destination unreachable, " + reason + ", length " + bufferLength();
        }
    }

    /**
     * Type 2, "Packet Too Big" (RFC 4443 section 3.2), code 0.
     *
     * @param mtu      "The Maximum Transmission Unit of the next-hop link", 32 bits unsigned
     * @param original the quoted bytes of the invoking packet (borrowed)
     */
    record PacketTooBig(long mtu, ByteBuf original) implements Icmpv6Repr {
        /** Validates ranges; {@code original} is borrowed. */
        public PacketTooBig {
            checkError(0, original);
            if ((mtu & ~0xFFFF_FFFFL) != 0) {
                throw new IllegalArgumentException("MTU out of range: " + mtu);
            }
        }

        /** The message for {@code offending}, quoting as much of it as fits (a slice of its buffer, not retained). */
        public static PacketTooBig quoting(long mtu, Ipv6Packet offending) {
            return new PacketTooBig(mtu, quote(offending));
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_PACKET_TOO_BIG;
        }

        @Override
        public int bufferLength() {
            return Icmpv6Packet.HEADER_LENGTH + original.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            return emitWithData(buf, offset, type(), 0, (int) mtu, original, src, dst);
        }

        /** tcpdump style: {@code ICMP6, packet too big, mtu 1280, length 1240}. */
        @Override
        public String toString() {
            return "ICMP6, packet too big, mtu " + mtu + ", length " + bufferLength();
        }
    }

    /**
     * Type 3, "Time Exceeded" (RFC 4443 section 3.3).
     *
     * @param code     {@link Icmpv6Packet#CODE_HOP_LIMIT_EXCEEDED} or {@link Icmpv6Packet#CODE_REASSEMBLY_TIME_EXCEEDED}
     * @param original the quoted bytes of the invoking packet (borrowed)
     */
    record TimeExceeded(int code, ByteBuf original) implements Icmpv6Repr {
        /** Validates ranges; {@code original} is borrowed. */
        public TimeExceeded {
            checkError(code, original);
        }

        /** The message for {@code offending}, quoting as much of it as fits (a slice of its buffer, not retained). */
        public static TimeExceeded quoting(int code, Ipv6Packet offending) {
            return new TimeExceeded(code, quote(offending));
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_TIME_EXCEEDED;
        }

        @Override
        public int bufferLength() {
            return Icmpv6Packet.HEADER_LENGTH + original.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            return emitWithData(buf, offset, type(), code, 0, original, src, dst);
        }

        /** tcpdump style: {@code ICMP6, time exceeded in-transit, length 56}. */
        @Override
        public String toString() {
            return "ICMP6, time exceeded " + (code == Icmpv6Packet.CODE_HOP_LIMIT_EXCEEDED ? "in-transit"
                    : code == Icmpv6Packet.CODE_REASSEMBLY_TIME_EXCEEDED ? "in-transit (reassembly)" : "code " + code)
                    + ", length " + bufferLength();
        }
    }

    /**
     * Type 4, "Parameter Problem" (RFC 4443 section 3.4).
     *
     * @param code     0 erroneous header field, 1 unrecognized Next Header, 2 unrecognized option (see the
     *                 {@code PROBLEM_*} constants of {@link Ipv6Packet})
     * @param pointer  "the octet offset within the invoking packet where the error was detected", 32 bits unsigned
     * @param original the quoted bytes of the invoking packet (borrowed)
     */
    record ParameterProblem(int code, long pointer, ByteBuf original) implements Icmpv6Repr {
        /** Validates ranges; {@code original} is borrowed. */
        public ParameterProblem {
            checkError(code, original);
            if ((pointer & ~0xFFFF_FFFFL) != 0) {
                throw new IllegalArgumentException("pointer out of range: " + pointer);
            }
        }

        /** The message for {@code offending}, quoting as much of it as fits (a slice of its buffer, not retained). */
        public static ParameterProblem quoting(int code, long pointer, Ipv6Packet offending) {
            return new ParameterProblem(code, pointer, quote(offending));
        }

        /**
         * The message for the Parameter Problem the last failed {@link Ipv6Packet#wrap} of {@code offending} found
         * (its {@link Ipv6Packet#parameterProblemCode()} and pointer).
         *
         * @throws IllegalStateException when that wrap found none
         */
        public static ParameterProblem quoting(Ipv6Packet offending) {
            if (offending.parameterProblemCode() < 0) {
                throw new IllegalStateException("no parameter problem: " + offending.failure());
            }
            return quoting(offending.parameterProblemCode(), offending.parameterProblemPointer(), offending);
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_PARAMETER_PROBLEM;
        }

        @Override
        public int bufferLength() {
            return Icmpv6Packet.HEADER_LENGTH + original.readableBytes();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            return emitWithData(buf, offset, type(), code, (int) pointer, original, src, dst);
        }

        /** tcpdump style (simplified): {@code ICMP6, parameter problem, code 1, pointer 40, length 56}. */
        @Override
        public String toString() {
            return "ICMP6, parameter problem, code " + code + ", pointer " + pointer + ", length " + bufferLength();
        }
    }

    /** Type 133, "Router Solicitation" (RFC 4861 section 4.1): reserved word, then options. */
    record RouterSolicitation(NdpOptions options) implements Icmpv6Repr {
        /** Requires the options ({@link NdpOptions#NONE} for none). */
        public RouterSolicitation {
            Objects.requireNonNull(options, "options");
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_ROUTER_SOLICITATION;
        }

        @Override
        public int bufferLength() {
            return ROUTER_SOLICITATION_LENGTH + options.encodedLength();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            buf.setInt(offset + 4, 0);
            return emitNdp(buf, offset, type(), ROUTER_SOLICITATION_LENGTH, options, src, dst);
        }

        /** tcpdump style: {@code ICMP6, router solicitation, length 16}. */
        @Override
        public String toString() {
            return withOptions("ICMP6, router solicitation, length " + bufferLength(), options);
        }
    }

    /**
     * Type 134, "Router Advertisement" (RFC 4861 section 4.2).
     *
     * <pre>
     * |     Type      |     Code      |          Checksum             |
     * | Cur Hop Limit |M|O|  Reserved |       Router Lifetime         |
     * |                         Reachable Time                        |
     * |                          Retrans Timer                        |
     * |   Options ...
     * </pre>
     *
     * @param currentHopLimit hop limit hosts should use, 0 = unspecified
     * @param flags           the flags octet: {@link #FLAG_MANAGED}, {@link #FLAG_OTHER}, and others as received
     *                        (RFC 4191's preference bits, ...), 0..255
     * @param routerLifetime  seconds, 0 = not a default router, 0..65535
     * @param reachableTime   milliseconds, 32 bits unsigned, 0 = unspecified
     * @param retransTimer    milliseconds, 32 bits unsigned, 0 = unspecified
     * @param options         source link-layer address, MTU, prefixes, RDNSS, DNSSL
     */
    record RouterAdvertisement(int currentHopLimit, int flags, int routerLifetime, long reachableTime,
                               long retransTimer, NdpOptions options) implements Icmpv6Repr {
        /** M: "Managed address configuration" (addresses by DHCPv6). */
        public static final int FLAG_MANAGED = 0x80;
        /** O: "Other configuration" (other information by DHCPv6). */
        public static final int FLAG_OTHER = 0x40;

        /** Validates ranges. */
        public RouterAdvertisement {
            Objects.requireNonNull(options, "options");
            if ((currentHopLimit & ~0xFF) != 0 || (flags & ~0xFF) != 0 || (routerLifetime & ~0xFFFF) != 0
                    || (reachableTime & ~0xFFFF_FFFFL) != 0 || (retransTimer & ~0xFFFF_FFFFL) != 0) {
                throw new IllegalArgumentException("router advertisement field out of range");
            }
        }

        /** The M flag. */
        public boolean managed() {
            return (flags & FLAG_MANAGED) != 0;
        }

        /** The O flag. */
        public boolean other() {
            return (flags & FLAG_OTHER) != 0;
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_ROUTER_ADVERTISEMENT;
        }

        @Override
        public int bufferLength() {
            return ROUTER_ADVERTISEMENT_LENGTH + options.encodedLength();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            buf.setByte(offset + 4, currentHopLimit);
            buf.setByte(offset + 5, flags);
            buf.setShort(offset + 6, routerLifetime);
            buf.setInt(offset + 8, (int) reachableTime);
            buf.setInt(offset + 12, (int) retransTimer);
            return emitNdp(buf, offset, type(), ROUTER_ADVERTISEMENT_LENGTH, options, src, dst);
        }

        /**
         * tcpdump style: {@code ICMP6, router advertisement, length 64, hop limit 64, Flags [managed], router lifetime
         * 1800s, reachable time 0ms, retrans timer 0ms, ...options}.
         */
        @Override
        public String toString() {
            String f = (managed() ? "managed" : "") + (managed() && other() ? ", " : "") + (other() ? "other" : "");
            return withOptions("ICMP6, router advertisement, length " + bufferLength() + ", hop limit "
                    + currentHopLimit + ", Flags [" + (f.isEmpty() ? "none" : f) + "], router lifetime "
                    + routerLifetime + "s, reachable time " + reachableTime + "ms, retrans timer " + retransTimer
                    + "ms", options);
        }
    }

    /**
     * Type 135, "Neighbor Solicitation" (RFC 4861 section 4.3): reserved word, the target address, then options.
     *
     * @param target  "The IP address of the target of the solicitation. It MUST NOT be a multicast address."
     * @param options the source link-layer address (absent in DAD)
     */
    record NeighborSolicitation(Ipv6Address target, NdpOptions options) implements Icmpv6Repr {
        /** Requires the fields. */
        public NeighborSolicitation {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(options, "options");
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION;
        }

        @Override
        public int bufferLength() {
            return NEIGHBOR_MESSAGE_LENGTH + options.encodedLength();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            buf.setInt(offset + 4, 0);
            target.write(buf, offset + 8);
            return emitNdp(buf, offset, type(), NEIGHBOR_MESSAGE_LENGTH, options, src, dst);
        }

        /** tcpdump style: {@code ICMP6, neighbor solicitation, who has fe80::1, length 32}. */
        @Override
        public String toString() {
            return withOptions("ICMP6, neighbor solicitation, who has " + target + ", length " + bufferLength(),
                    options);
        }
    }

    /**
     * Type 136, "Neighbor Advertisement" (RFC 4861 section 4.4).
     *
     * <pre>
     * |     Type      |     Code      |          Checksum             |
     * |R|S|O|                     Reserved                            |
     * |                       Target Address                          |
     * |   Options ...
     * </pre>
     *
     * @param router    R: the sender is a router
     * @param solicited S: sent in response to a Neighbor Solicitation
     * @param override  O: should override an existing cache entry
     * @param target    the address whose link-layer address is advertised
     * @param options   the target link-layer address
     */
    record NeighborAdvertisement(boolean router, boolean solicited, boolean override, Ipv6Address target,
                                 NdpOptions options) implements Icmpv6Repr {
        /** The R flag in the first octet after the checksum. */
        public static final int FLAG_ROUTER = 0x80;
        /** The S flag. */
        public static final int FLAG_SOLICITED = 0x40;
        /** The O flag. */
        public static final int FLAG_OVERRIDE = 0x20;

        /** Requires the fields. */
        public NeighborAdvertisement {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(options, "options");
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_NEIGHBOR_ADVERTISEMENT;
        }

        @Override
        public int bufferLength() {
            return NEIGHBOR_MESSAGE_LENGTH + options.encodedLength();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            buf.setInt(offset + 4, ((router ? FLAG_ROUTER : 0) | (solicited ? FLAG_SOLICITED : 0)
                    | (override ? FLAG_OVERRIDE : 0)) << 24);
            target.write(buf, offset + 8);
            return emitNdp(buf, offset, type(), NEIGHBOR_MESSAGE_LENGTH, options, src, dst);
        }

        /** tcpdump style: {@code ICMP6, neighbor advertisement, tgt is fe80::1, length 32, Flags [router, ...]}. */
        @Override
        public String toString() {
            String f = String.join(", ", Stream.of(router ? "router" : null,
                    solicited ? "solicited" : null, override ? "override" : null).filter(Objects::nonNull).toList());
            return withOptions("ICMP6, neighbor advertisement, tgt is " + target + ", length " + bufferLength()
                    + ", Flags [" + (f.isEmpty() ? "none" : f) + "]", options);
        }
    }

    /**
     * Type 137, "Redirect" (RFC 4861 section 4.5): reserved word, target and destination addresses, then options. This
     * stack is the only router on its links and never follows a redirect; the record exists so that the message is
     * recognized (and validated) before it is ignored.
     *
     * @param target      the better first hop for {@code destination}
     * @param destination the destination that is redirected
     * @param options     the target link-layer address; a Redirected Header option is read past
     */
    record Redirect(Ipv6Address target, Ipv6Address destination, NdpOptions options) implements Icmpv6Repr {
        /** Requires the fields. */
        public Redirect {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(options, "options");
        }

        @Override
        public int type() {
            return Icmpv6Packet.TYPE_REDIRECT;
        }

        @Override
        public int bufferLength() {
            return REDIRECT_LENGTH + options.encodedLength();
        }

        @Override
        public int emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
            buf.setInt(offset + 4, 0);
            target.write(buf, offset + 8);
            destination.write(buf, offset + 24);
            return emitNdp(buf, offset, type(), REDIRECT_LENGTH, options, src, dst);
        }

        /** tcpdump style: {@code ICMP6, redirect, 2001:db8::5 to fe80::1, length 40}. */
        @Override
        public String toString() {
            return withOptions("ICMP6, redirect, " + destination + " to " + target + ", length " + bufferLength(),
                    options);
        }
    }

    /** As much of {@code offending} as an error may quote, from its first header byte: a slice, not retained. */
    private static ByteBuf quote(Ipv6Packet offending) {
        return offending.buffer().slice(offending.offset(), Math.min(offending.length(), MAX_QUOTE));
    }

    /**
     * An NDP message whose fixed part is {@code fixed} bytes: {@link ParseError#TRUNCATED} when shorter, the options'
     * failure when they are malformed, else the record {@code make} builds from the options (it may read the fixed
     * part).
     */
    private static ParseResult<Icmpv6Repr> ndp(Icmpv6Packet packet, int fixed, String what,
                                               Function<NdpOptions, Icmpv6Repr> make) {
        if (packet.length() < fixed) {
            return ParseResult.truncated(what + " shorter than its fixed part");
        }
        ParseResult<NdpOptions> options = NdpOptions.parse(packet.buffer(), packet.offset() + fixed,
                packet.length() - fixed);
        return options instanceof ParseResult.Ok<NdpOptions> ok ? ParseResult.ok(make.apply(ok.value()))
                : options.castFailure();
    }

    private static void checkEcho(int identifier, int sequence, ByteBuf data) {
        Objects.requireNonNull(data, "data");
        if ((identifier & ~0xFFFF) != 0 || (sequence & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("identifier/sequence out of range");
        }
    }

    private static void checkError(int code, ByteBuf original) {
        Objects.requireNonNull(original, "original");
        if ((code & ~0xFF) != 0) {
            throw new IllegalArgumentException("code out of range: " + code);
        }
        if (original.readableBytes() > 0xFFFF - Icmpv6Packet.HEADER_LENGTH) {
            throw new IllegalArgumentException("quoted packet too long: " + original.readableBytes());
        }
    }

    private static String withOptions(String message, NdpOptions options) {
        return options.isEmpty() ? message : message + ", " + options;
    }

    private static int emitWithData(ByteBuf buf, int offset, int type, int code, int rest, ByteBuf data,
                                    Ipv6Address src, Ipv6Address dst) {
        int dataLength = data.readableBytes();
        buf.setInt(offset + 4, rest);
        buf.setBytes(offset + Icmpv6Packet.HEADER_LENGTH, data, data.readerIndex(), dataLength);
        return finish(buf, offset, type, code, Icmpv6Packet.HEADER_LENGTH + dataLength, src, dst);
    }

    /** Writes the options after the {@code fixed} bytes the caller wrote, then type, code and checksum. */
    private static int emitNdp(ByteBuf buf, int offset, int type, int fixed, NdpOptions options, Ipv6Address src,
                               Ipv6Address dst) {
        int length = fixed + options.emit(buf, offset + fixed);
        return finish(buf, offset, type, 0, length, src, dst);
    }

    /** Writes type and code and the checksum over the pseudo header and the {@code length} bytes at offset. */
    private static int finish(ByteBuf buf, int offset, int type, int code, int length, Ipv6Address src,
                              Ipv6Address dst) {
        buf.setByte(offset + Icmpv6Packet.TYPE, type);
        buf.setByte(offset + Icmpv6Packet.CODE, code);
        buf.setShort(offset + Icmpv6Packet.CHECKSUM, 0);
        int seed = Checksum.pseudoHeaderIpv6(src.high(), src.low(), dst.high(), dst.low(), IpProtocol.ICMPV6_NUMBER,
                length);
        buf.setShort(offset + Icmpv6Packet.CHECKSUM, Checksum.finish(Checksum.partial(buf, offset, length, seed)));
        return length;
    }
}
