package io.userv2.stack.wire;

import static io.userv2.stack.wire.Ipv6TestPackets.GATEWAY;
import static io.userv2.stack.wire.Ipv6TestPackets.GUEST;
import static io.userv2.stack.wire.Ipv6TestPackets.concat;
import static io.userv2.stack.wire.Ipv6TestPackets.ipv6;
import static io.userv2.stack.wire.Ipv6TestPackets.ok;
import static io.userv2.stack.wire.Ipv6TestPackets.optionsHeader;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IpV6ExtDestinationOptionsPacket;
import org.pcap4j.packet.IpV6ExtFragmentPacket;
import org.pcap4j.packet.IpV6ExtHopByHopOptionsPacket;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.namednumber.IpNumber;

class Ipv6PacketTest {
    /**
     * An ICMPv6 echo request from 2001:db8::2 to 2001:db8::1 behind a Hop-by-Hop header (Router Alert) and a
     * Destination Options header (an unknown option of action 00, to be skipped). The checksum was computed by a
     * separate Python script over the pseudo header; pcap4j verifies it below as well.
     */
    static final String ECHO_WITH_EXTENSIONS_FRAME = """
            52 55 55 12 34 56  5a 94 ef e4 0c dd  86 dd        # Ethernet: VM -> gateway, IPv6
            60 01 23 45        # version 6, traffic class 0, flow label 0x12345
            00 20              # payload length 32 = 8 + 8 + 16
            00                 # next header: Hop-by-Hop Options
            40                 # hop limit 64
            20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02    # source 2001:db8::2
            20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01    # destination 2001:db8::1
            3c 00              # Hop-by-Hop: next header 60 (Destination Options), length 0 (8 bytes)
            05 02 00 00        #   Router Alert (RFC 2711), value 0 (MLD)
            00 00              #   Pad1, Pad1 (pcap4j 1.8.2 misreads a PadN of 2 bytes)
            3a 00              # Destination Options: next header 58 (ICMPv6), length 0 (8 bytes)
            1e 02 ab cd        #   option type 0x1e: action 00, skip
            00 00              #   Pad1, Pad1
            80 00 c5 ba        # ICMPv6 echo request, code 0, checksum
            12 34 00 01        # identifier 0x1234, sequence 1
            10 11 12 13 14 15 16 17                            # 8 bytes of data
            """;

    static final int IP = 14;

    static Ipv6Packet ipv6Of(byte[] frame) {
        return ok(Ipv6Packet.checked(ok(EthernetFrame.checked(Unpooled.wrappedBuffer(frame)))));
    }

    private static Ipv6Packet wrapped(byte[] packet) {
        Ipv6Packet view = Ipv6Packet.reusable();
        assertNull(view.wrap(Unpooled.wrappedBuffer(packet), 0, packet.length), () -> view.failure());
        return view;
    }

    /** Wraps {@code packet} expecting {@code error}; returns the view for its Parameter Problem fields. */
    private static Ipv6Packet failing(ParseError error, String detail, byte[] packet) {
        Ipv6Packet view = Ipv6Packet.reusable();
        assertEquals(error, view.wrap(Unpooled.wrappedBuffer(packet), 0, packet.length), view::failure);
        assertEquals(detail, view.failure());
        assertEquals(error, Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length).error());
        return view;
    }

    private static byte[] echo() {
        return HexLiteral.bytes("80 00 00 00  12 34 00 01");
    }

    @Test
    void walksHopByHopAndDestinationOptionsToIcmpv6() throws Exception {
        byte[] frame = HexLiteral.bytes(ECHO_WITH_EXTENSIONS_FRAME);
        Ipv6Packet ip = ipv6Of(frame);
        assertEquals(6, ip.version());
        assertEquals(0, ip.trafficClass());
        assertEquals(0x12345, ip.flowLabel());
        assertEquals(32, ip.payloadLengthField());
        assertEquals(72, ip.length());
        assertEquals(IpProtocol.HOPOPT_NUMBER, ip.nextHeader());
        assertEquals(64, ip.hopLimit());
        assertEquals(GUEST, ip.source());
        assertEquals(GATEWAY, ip.destination());
        assertEquals(2, ip.extensionHeaderCount());
        assertEquals(56, ip.headerLength());
        assertEquals(IpProtocol.ICMPV6, ip.protocol());
        assertEquals(48, ip.protocolPointer(), "the Destination Options header's Next Header field");
        assertEquals(IP + 56, ip.payloadOffset());
        assertEquals(16, ip.payloadLength());
        assertEquals(0x80, ip.payload().getUnsignedByte(0));
        assertFalse(ip.isFragment());
        assertEquals(-1, ip.fragmentHeaderOffset());
        assertEquals(-1, ip.parameterProblemCode());
        assertFalse(ip.answerParameterProblem());
        assertEquals("IP6 (flowlabel 0x12345, hlim 64, next-header HOPOPT (0) payload length: 32) 2001:db8::2 > "
                + "2001:db8::1", ip.toString());

        // The pseudo header from the view seeds a checksum that verifies over the ICMPv6 message ...
        assertEquals(0, Checksum.finish(Checksum.partial(ip.buffer(), ip.payloadOffset(), ip.payloadLength(),
                ip.pseudoHeaderSum())));
        // ... as the plain reference loop over the pseudo header laid out in bytes says,
        byte[] icmp = Arrays.copyOfRange(frame, IP + 56, IP + 72);
        assertEquals(0, Ipv6TestPackets.referenceChecksum(GUEST, GATEWAY, 58, icmp));
        // ... and as pcap4j, decoding the same frame independently, says.
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        IpV6Packet.IpV6Header h = eth.get(IpV6Packet.class).getHeader();
        assertEquals(IpNumber.IPV6_HOPOPT, h.getNextHeader());
        assertEquals(0x12345, h.getFlowLabel().value());
        assertEquals(32, h.getPayloadLengthAsInt());
        assertEquals(GUEST.toInetAddress(), h.getSrcAddr());
        assertEquals(IpNumber.IPV6_DST_OPTS, eth.get(IpV6ExtHopByHopOptionsPacket.class).getHeader().getNextHeader());
        assertEquals(IpNumber.ICMPV6, eth.get(IpV6ExtDestinationOptionsPacket.class).getHeader().getNextHeader());
        assertTrue(eth.get(IcmpV6CommonPacket.class).hasValidChecksum(GUEST.toInetAddress(),
                GATEWAY.toInetAddress(), false));
    }

    @Test
    void paddingAfterPayloadLengthIsNotPartOfThePacket() {
        byte[] frame = HexLiteral.bytes(ECHO_WITH_EXTENSIONS_FRAME);
        Ipv6Packet ip = ipv6Of(Arrays.copyOf(frame, frame.length + 20));
        assertEquals(72, ip.length());
        assertEquals(16, ip.payloadLength());
    }

    @Test
    void truncatedAtEveryLengthNeverThrows() {
        byte[] packet = Arrays.copyOfRange(HexLiteral.bytes(ECHO_WITH_EXTENSIONS_FRAME), IP, IP + 72);
        Ipv6Packet view = Ipv6Packet.reusable();
        for (int n = 0; n < 72; n++) {
            ParseError e = view.wrap(Unpooled.wrappedBuffer(packet), 0, n);
            assertEquals(ParseError.TRUNCATED, e, "length " + n);
            assertEquals(n < 40 ? "ipv6 header" : "ipv6 payload shorter than payload length", view.failure());
        }
        assertNull(view.wrap(Unpooled.wrappedBuffer(packet), 0, 72));
        // A length claiming bytes past the buffer's capacity, and a negative offset.
        assertEquals(ParseError.TRUNCATED, view.wrap(Unpooled.wrappedBuffer(packet), 1, 72));
        assertEquals(ParseError.TRUNCATED, view.wrap(Unpooled.wrappedBuffer(packet), -1, 72));
    }

    @Test
    void wrongVersionAndPayloadLengthBeyondBuffer() {
        byte[] packet = ipv6(58, 64, GUEST, GATEWAY, echo());
        packet[0] = 0x40;
        failing(ParseError.MALFORMED, "ipv6 version not 6", packet);
        packet[0] = 0x60;
        packet[5] = 9; // one byte more than there is
        failing(ParseError.TRUNCATED, "ipv6 payload shorter than payload length", packet);
    }

    @Test
    void noNextHeaderWithEmptyPayload() {
        Ipv6Packet ip = wrapped(ipv6(59, 1, GUEST, GATEWAY, new byte[0]));
        assertEquals(IpProtocol.IPV6_NONXT, ip.protocol());
        assertEquals(0, ip.payloadLength());
        assertEquals(40, ip.headerLength());
        assertEquals(IpProtocol.IPV6_NONXT, ok(Ipv6Repr.parse(ip)).nextHeader());
    }

    @Test
    void extensionHeaderPastPayloadLength() {
        byte[] header = optionsHeader(58, "01 04 00 00 00 00");
        failing(ParseError.TRUNCATED, "ipv6 extension header past payload length",
                ipv6(60, 64, GUEST, GATEWAY, Arrays.copyOf(header, 7)));
        header[1] = 1; // says 16 bytes, 8 are there (followed by the 8-byte echo, but Payload Length ends first)
        failing(ParseError.TRUNCATED, "ipv6 extension header past payload length",
                ipv6(60, 64, GUEST, GATEWAY, header));
    }

    @Test
    void chainLimits() {
        // Eight Destination Options headers are walked; a ninth is refused (a "loop" of headers naming 60 again).
        byte[] dst = optionsHeader(60, "01 04 00 00 00 00");
        byte[] last = optionsHeader(58, "01 04 00 00 00 00");
        byte[][] eight = new byte[9][];
        Arrays.fill(eight, 0, 7, dst);
        eight[7] = last;
        eight[8] = echo();
        Ipv6Packet ip = wrapped(ipv6(60, 64, GUEST, GATEWAY, concat(eight)));
        assertEquals(8, ip.extensionHeaderCount());
        assertEquals(IpProtocol.ICMPV6, ip.protocol());
        assertEquals(40 + 64, ip.headerLength());
        byte[][] nine = new byte[10][];
        Arrays.fill(nine, 0, 8, dst);
        nine[8] = last;
        nine[9] = echo();
        failing(ParseError.MALFORMED, "ipv6 more than 8 extension headers", ipv6(60, 64, GUEST, GATEWAY,
                concat(nine)));

        // One long header ending past the first 1280 bytes: 40 + 8 * 156 = 1288.
        byte[] big = new byte[8 * 156];
        big[0] = 58;
        big[1] = (byte) 155;
        for (int i = 2; i < big.length; i += 6) { // unknown options of action 00 (type 0x1e), 4 data bytes each
            big[i] = 0x1e;
            big[i + 1] = (byte) Math.min(4, big.length - i - 2);
        }
        failing(ParseError.MALFORMED, "ipv6 extension headers beyond the first 1280 bytes",
                ipv6(60, 64, GUEST, GATEWAY, concat(big, echo())));
    }

    @Test
    void hopByHopNotFirstIsAnUnrecognizedNextHeader() {
        byte[] packet = ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(0, "01 04 00 00 00 00"),
                optionsHeader(58, "01 04 00 00 00 00"), echo()));
        Ipv6Packet view = failing(ParseError.MALFORMED, "ipv6 hop-by-hop header not first", packet);
        assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_NEXT_HEADER, view.parameterProblemCode());
        assertEquals(40, view.parameterProblemPointer(), "the Next Header field naming the misplaced header");
        assertTrue(view.answerParameterProblem());
        assertEquals(GUEST, view.source(), "the fixed header stays readable for the error's quote");
        assertEquals(packet.length, view.length());
    }

    @Test
    void unrecognizedOptionsFollowTheirActionBits() {
        // 00: skipped.
        Ipv6Packet skipped = wrapped(ipv6(60, 64, GUEST, GATEWAY,
                concat(optionsHeader(58, "3e 04 00 00 00 00"), echo())));
        assertEquals(IpProtocol.ICMPV6, skipped.protocol());
        // 01: discarded, no answer.
        Ipv6Packet discarded = failing(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard)",
                ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "7e 04 00 00 00 00"), echo())));
        assertEquals(-1, discarded.parameterProblemCode());
        assertFalse(discarded.answerParameterProblem());
        // 10: answered with code 2 pointing to the option type, even to a multicast destination.
        Ipv6Address multicast = Ipv6Address.ALL_NODES;
        for (Ipv6Address dst : new Ipv6Address[] {GATEWAY, multicast}) {
            Ipv6Packet answered = failing(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard, answer)",
                    ipv6(0, 64, GUEST, dst, concat(optionsHeader(58, "01 00 be 02 00 00"), echo())));
            assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_OPTION, answered.parameterProblemCode());
            assertEquals(44, answered.parameterProblemPointer());
            assertTrue(answered.answerParameterProblem(), dst.toString());
        }
        // 11: answered only when the destination is not multicast.
        byte[] eleven = concat(optionsHeader(58, "fe 04 00 00 00 00"), echo());
        Ipv6Packet unicast = failing(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard, answer unicast)",
                ipv6(60, 64, GUEST, GATEWAY, eleven));
        assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_OPTION, unicast.parameterProblemCode());
        assertEquals(42, unicast.parameterProblemPointer());
        assertTrue(unicast.answerParameterProblem());
        Ipv6Packet toGroup = failing(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard, answer unicast)",
                ipv6(60, 64, GUEST, multicast, eleven));
        assertEquals(Ipv6Packet.PROBLEM_UNRECOGNIZED_OPTION, toGroup.parameterProblemCode());
        assertFalse(toGroup.answerParameterProblem());
        // RFC 4443 2.4 (e.5): never an answer to the unspecified address.
        Ipv6Packet fromNobody = failing(ParseError.UNSUPPORTED, "ipv6 unrecognized option (discard, answer)",
                ipv6(60, 64, Ipv6Address.UNSPECIFIED, GATEWAY,
                        concat(optionsHeader(58, "be 04 00 00 00 00"), echo())));
        assertFalse(fromNobody.answerParameterProblem());
    }

    @Test
    void optionFramingRules() {
        failing(ParseError.MALFORMED, "ipv6 option padding longer than 7 bytes",
                ipv6(0, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("3a 01"), new byte[14], echo())));
        failing(ParseError.MALFORMED, "ipv6 option padding longer than 7 bytes",
                ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "00 01 05 00 00 00 00 00 01 04 00 00 00 00"),
                        echo())));
        failing(ParseError.MALFORMED, "ipv6 PadN option not zero",
                ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "01 04 00 00 01 00"), echo())));
        failing(ParseError.MALFORMED, "ipv6 option past end of header",
                ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "1e 05 00 00 00 00"), echo())));
        failing(ParseError.MALFORMED, "ipv6 option length octet missing",
                ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "1e 03 00 00 00 1e"), echo())));
        failing(ParseError.MALFORMED, "ipv6 router alert option length not 2",
                ipv6(0, 64, GUEST, GATEWAY, concat(optionsHeader(58, "05 04 00 00 00 00"), echo())));
        // Nine skippable options in one header: Linux's limit is 8.
        failing(ParseError.MALFORMED, "ipv6 more than 8 options in a header",
                ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "1e 00 ".repeat(9) + "00 00 00 00"),
                        echo())));
        // Eight are fine, Pad1 between them does not count.
        wrapped(ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "1e 00 ".repeat(8) + "00 00 00 00 00 00"),
                echo())));
        // Router Alert is a Hop-by-Hop option; in Destination Options it is unknown, and its action bits are 00.
        wrapped(ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "05 04 00 00 00 00"), echo())));
    }

    @Test
    void jumbogramsAreRefused() {
        // Payload Length 0 with a Hop-by-Hop header: RFC 2675's jumbogram.
        byte[] jumbo = concat(optionsHeader(58, "c2 04 00 01 00 08"), echo());
        byte[] packet = ipv6(0, 64, GUEST, GATEWAY, jumbo);
        packet[4] = 0;
        packet[5] = 0;
        failing(ParseError.UNSUPPORTED, "ipv6 jumbogram (payload length 0 with hop-by-hop options)", packet);
        // A Jumbo Payload option in a packet with a Payload Length: code 0 pointing to the option.
        Ipv6Packet view = failing(ParseError.MALFORMED, "ipv6 jumbo payload option with a payload length",
                ipv6(0, 64, GUEST, GATEWAY, jumbo));
        assertEquals(Ipv6Packet.PROBLEM_ERRONEOUS_FIELD, view.parameterProblemCode());
        assertEquals(42, view.parameterProblemPointer());
        assertTrue(view.answerParameterProblem());
    }

    @Test
    void routingHeaderIgnoredWithoutSegmentsLeftRefusedWithThem() {
        // Type 0 (RFC 5095 deprecated), Segments Left 0, one address: ignored.
        byte[] routing = concat(HexLiteral.bytes("3a 02 00 00 00 00 00 00"), GATEWAY.toBytes());
        Ipv6Packet ip = wrapped(ipv6(43, 64, GUEST, GATEWAY, concat(routing, echo())));
        assertEquals(IpProtocol.ICMPV6, ip.protocol());
        assertEquals(64, ip.headerLength());
        routing[3] = 1; // Segments Left 1
        Ipv6Packet view = failing(ParseError.UNSUPPORTED, "ipv6 routing header with segments left",
                ipv6(43, 64, GUEST, GATEWAY, concat(routing, echo())));
        assertEquals(Ipv6Packet.PROBLEM_ERRONEOUS_FIELD, view.parameterProblemCode());
        assertEquals(42, view.parameterProblemPointer(), "the Routing Type field");
        assertTrue(view.answerParameterProblem());
    }

    @Test
    void reprRoundTripAndPcap4jAgrees() throws Exception {
        Ipv6Repr repr = new Ipv6Repr(Ipv6Address.parse("fd00::2"), Ipv6Address.parse("fd00::1"), IpProtocol.UDP,
                12, 255, 0xb8, 0xabcde);
        ByteBuf out = Unpooled.buffer(repr.totalLength());
        assertEquals(40, repr.emit(out, 0));
        out.setBytes(40, HexLiteral.bytes("d9 03 00 35 00 0c 00 00 61 62 63 64"));
        out.writerIndex(repr.totalLength());
        Ipv6Packet view = ok(Ipv6Packet.checked(out, 0, out.readableBytes()));
        assertEquals(repr, ok(Ipv6Repr.parse(view)));
        assertEquals(0xb8 >>> 2, view.dscp());
        assertEquals(0, view.ecn());
        assertEquals("IP6 (class 0xb8, flowlabel 0xabcde, hlim 255, next-header UDP (17) payload length: 12) "
                + "fd00::2 > fd00::1", repr.toString());
        assertEquals(repr.toString(), view.toString());

        byte[] frame = Ipv6TestPackets.frame(HexLiteral.toArray(out));
        IpV6Packet.IpV6Header h = EthernetPacket.newPacket(frame, 0, frame.length).get(IpV6Packet.class).getHeader();
        assertEquals(6, h.getVersion().value().intValue());
        assertEquals(0xb8, h.getTrafficClass().value() & 0xFF);
        assertEquals(0xabcde, h.getFlowLabel().value());
        assertEquals(12, h.getPayloadLengthAsInt());
        assertEquals(IpNumber.UDP, h.getNextHeader());
        assertEquals(255, h.getHopLimitAsInt());
        assertEquals(Ipv6Address.parse("fd00::2").toInetAddress(), h.getSrcAddr());
        assertEquals(Ipv6Address.parse("fd00::1").toInetAddress(), h.getDstAddr());

        assertThrows(IllegalArgumentException.class, () -> new Ipv6Repr(GUEST, GATEWAY, IpProtocol.UDP, 65536, 64));
        assertThrows(IllegalArgumentException.class,
                () -> new Ipv6Repr(GUEST, GATEWAY, IpProtocol.UDP, 0, 64, 0, 0x100000));
    }

    @Test
    void fragmentsEmittedWalkedAndReadByPcap4j() throws Exception {
        Ipv6Repr first = new Ipv6Repr(GUEST, GATEWAY, IpProtocol.UDP, 16, 64);
        ByteBuf out = Unpooled.buffer(64);
        assertEquals(48, first.emitFragment(out, 0, 0xdeadbeef, 1232, true));
        out.writerIndex(48 + 16);
        Ipv6Packet ip = ok(Ipv6Packet.checked(out, 0, 64));
        assertTrue(ip.isFragment());
        assertEquals(IpProtocol.IPV6_FRAG_NUMBER, ip.nextHeader());
        assertEquals(40, ip.fragmentHeaderOffset());
        assertEquals(1232, ip.fragmentOffsetBytes());
        assertEquals(154, ip.fragmentOffset());
        assertTrue(ip.moreFragments());
        assertEquals(0xdeadbeef, ip.fragmentIdentification());
        assertEquals(IpProtocol.UDP, ip.protocol(), "the fragment header's Next Header");
        assertEquals(40, ip.protocolPointer());
        assertEquals(48, ip.payloadOffset());
        assertEquals(16, ip.payloadLength());
        assertEquals(ParseError.UNSUPPORTED, Ipv6Repr.parse(ip).error());
        assertTrue(ip.toString().endsWith(", frag (3735928559:1232|16+)"), ip.toString());

        byte[] frame = Ipv6TestPackets.frame(HexLiteral.toArray(out));
        IpV6ExtFragmentPacket.IpV6ExtFragmentHeader fh = EthernetPacket.newPacket(frame, 0, frame.length)
                .get(IpV6ExtFragmentPacket.class).getHeader();
        assertEquals(154, fh.getFragmentOffset());
        assertTrue(fh.getM());
        assertEquals(0xdeadbeef, fh.getIdentification());
        assertEquals(IpNumber.UDP, fh.getNextHeader());

        // The last fragment may have any length.
        ByteBuf lastOut = Unpooled.buffer(53);
        new Ipv6Repr(GUEST, GATEWAY, IpProtocol.UDP, 5, 64).emitFragment(lastOut, 0, 7, 8, false);
        Ipv6Packet last = ok(Ipv6Packet.checked(lastOut, 0, 53));
        assertFalse(last.moreFragments());
        assertEquals(5, last.payloadLength());

        assertThrows(IllegalArgumentException.class, () -> first.emitFragment(out, 0, 1, 4, true));
        assertThrows(IllegalArgumentException.class,
                () -> new Ipv6Repr(GUEST, GATEWAY, IpProtocol.UDP, 5, 64).emitFragment(out, 0, 1, 0, true));
    }

    @Test
    void fragmentRulesOfRfc8200Section45() {
        // M set, 12 bytes of data: not a multiple of 8, code 0 pointing to Payload Length.
        byte[] notMultiple = ipv6(44, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("11 00 00 01 00 00 00 07"),
                new byte[12]));
        Ipv6Packet view = failing(ParseError.MALFORMED, "ipv6 fragment not a multiple of 8 bytes", notMultiple);
        assertEquals(Ipv6Packet.PROBLEM_ERRONEOUS_FIELD, view.parameterProblemCode());
        assertEquals(4, view.parameterProblemPointer());
        // Offset 65528 with 16 bytes: ends past 65535, code 0 pointing to Fragment Offset.
        byte[] tooFar = ipv6(44, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("11 00 ff f8 00 00 00 07"),
                new byte[16]));
        view = failing(ParseError.MALFORMED, "ipv6 fragment ends past 65535 bytes", tooFar);
        assertEquals(42, view.parameterProblemPointer());
        assertTrue(view.answerParameterProblem());
        // The headers after a fragment header are not walked: a bogus one there does not matter yet.
        Ipv6Packet ip = wrapped(ipv6(44, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("00 00 00 00 00 00 00 07"),
                HexLiteral.bytes("3a 09"))));
        assertEquals(IpProtocol.HOPOPT, ip.protocol());
        assertEquals(2, ip.payloadLength());
    }

    @Test
    void reusableViewFollowsEachPacket() {
        Ipv6Packet view = Ipv6Packet.reusable();
        byte[] fragment = ipv6(44, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("3a 00 00 00 00 00 00 07"),
                echo()));
        assertNull(view.wrap(Unpooled.wrappedBuffer(fragment), 0, fragment.length));
        assertTrue(view.isFragment());
        byte[] bad = ipv6(60, 64, GUEST, GATEWAY, concat(optionsHeader(58, "be 04 00 00 00 00"), echo()));
        assertEquals(ParseError.UNSUPPORTED, view.wrap(Unpooled.wrappedBuffer(bad), 0, bad.length));
        assertEquals(2, view.parameterProblemCode());
        byte[] plain = ipv6(58, 64, GUEST, GATEWAY, echo());
        assertNull(view.wrap(Unpooled.wrappedBuffer(plain), 0, plain.length));
        assertFalse(view.isFragment(), "state of the fragment before is gone");
        assertEquals(-1, view.parameterProblemCode(), "state of the failure before is gone");
        assertEquals(0, view.extensionHeaderCount());
        assertEquals(0, view.fragmentIdentification());
        assertFalse(view.moreFragments());
        assertArrayEquals(echo(), HexLiteral.toArray(view.payload()));
    }
}
