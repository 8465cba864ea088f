package io.userv2.stack.wire;

import static io.userv2.stack.wire.TcpUdpTestFrames.buf;
import static io.userv2.stack.wire.TcpUdpTestFrames.bytes;
import static io.userv2.stack.wire.TcpUdpTestFrames.hex;
import static io.userv2.stack.wire.TcpUdpTestFrames.inet;
import static io.userv2.stack.wire.TcpUdpTestFrames.ipv4Frame;
import static io.userv2.stack.wire.TcpUdpTestFrames.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpPacket.TcpHeader;
import org.pcap4j.packet.TcpSackOption;
import org.pcap4j.packet.TcpSackPermittedOption;
import org.pcap4j.packet.TcpTimestampsOption;
import org.pcap4j.packet.TcpWindowScaleOption;

class TcpPacketTest {
    private static final int CLIENT = Ipv4Address.parse("10.99.0.2").bits();
    private static final int SERVER = Ipv4Address.parse("10.99.0.1").bits();

    /**
     * A real SYN from Linux 6.1 (Debian 12), captured with tshark on a veth: a Python client in a network namespace
     * (10.99.0.2) connecting to 10.99.0.1:5001. The veth offloads the checksum, so the checksum field holds only the
     * pseudo-header sum Linux leaves for the NIC (CHECKSUM_PARTIAL), not a valid checksum.
     */
    static final String LINUX_SYN = """
            86 65 d0 20 da a4 52 55 55 12 34 56 08 00        # Ethernet 52:55:55:12:34:56 > 86:65:d0:20:da:a4, IPv4
            45 00 00 3c 01 d2 40 00 40 06 24 22              # IPv4 total length 60, DF, TTL 64, TCP
            0a 63 00 02 0a 63 00 01                          # 10.99.0.2 > 10.99.0.1
            c3 68 13 89                                      # TCP 50024 > 5001
            94 6f 8a 4e                                      # seq 2490337870
            00 00 00 00                                      # ack (no ACK flag)
            a0 02 fa f0                                      # data offset 10 (40 bytes), SYN, window 64240
            14 f7 00 00                                      # checksum (offload partial), urgent pointer 0
            02 04 05 b4                                      # MSS 1460
            04 02 08 0a 9f 8f 06 02 00 00 00 00              # SACK permitted, TS val 2676950530 ecr 0
            01 03 03 0a                                      # NOP, window scale 10
            """;

    /** The SYN-ACK the Linux listener answered with, same capture. */
    static final String LINUX_SYN_ACK = """
            52 55 55 12 34 56 86 65 d0 20 da a4 08 00
            45 00 00 3c 00 00 40 00 40 06 25 f4 0a 63 00 01 0a 63 00 02
            13 89 c3 68                                      # 5001 > 50024
            11 1d 4f 47                                      # seq 287133511
            94 6f 8a 4f                                      # ack 2490337871
            a0 12 fe 88                                      # data offset 10, SYN+ACK, window 65160
            14 f7 00 00
            02 04 05 b4 04 02 08 0a 71 19 80 13 9f 8f 06 02 01 03 03 0a
            """;

    /**
     * A duplicate ACK with a SACK block in the layout Linux uses (NOP NOP TS, NOP NOP SACK), written by hand for this
     * test (segments were not lost on the veth) with its checksum computed independently in Python.
     */
    static final String SACK_ACK = """
            13 89 c3 68                                      # 5001 > 50024
            11 1d 4f 48                                      # seq 287133512
            94 70 00 00                                      # ack 2490368000
            b0 10 01 f5                                      # data offset 11 (44 bytes), ACK, window 501
            44 96 00 00                                      # checksum 0x4496, urgent pointer 0
            01 01 08 0a 71 19 a0 00 9f 8f 10 00              # NOP NOP TS val 1897504768 ecr 2676953088
            01 01 05 0a 94 70 10 00 94 70 20 00              # NOP NOP SACK {2490372096:2490376192}
            """;

    private static TcpPacket segmentOfFrame(byte[] frame) {
        ByteBuf b = buf(frame);
        int ipTotal = b.getUnsignedShort(16);
        return ok(TcpPacket.checked(b, 34, ipTotal - 20));
    }

    @Test
    void parsesLinuxSyn() {
        byte[] frame = hex(LINUX_SYN);
        TcpPacket p = segmentOfFrame(frame);
        assertEquals(40, p.headerLength());
        assertEquals(0, p.payloadLength());
        assertTrue(p.syn());
        assertFalse(p.ack());
        // The offloaded field is exactly the folded pseudo-header sum: an independent check of that sum.
        assertEquals(Checksum.pseudoHeaderIpv4(CLIENT, SERVER, 6, 40), p.checksum());
        assertEquals(ParseError.BAD_CHECKSUM, TcpRepr.parse(p, CLIENT, SERVER, true).error());

        TcpRepr r = ok(TcpRepr.parse(p, CLIENT, SERVER, false));
        TcpOptions expectedOptions = new TcpOptions(1460, 10, true, List.of(),
                new TcpTimestamps((int) 2676950530L, 0));
        assertEquals(new TcpRepr(50024, 5001, TcpControl.SYN, SeqNumber.ofUnsigned(2490337870L), null, 64240,
                expectedOptions, 0), r);
        assertEquals("50024 > 5001: Flags [S], seq 2490337870, win 64240, options [mss 1460,sackOK,"
                + "TS val 2676950530 ecr 0,wscale 10], length 0", r.toString());
        assertEquals(1, r.segmentLength());
    }

    @Test
    void linuxSynReEncodesByteForByteApartFromTheChecksum() throws IllegalRawDataException {
        byte[] frame = hex(LINUX_SYN);
        TcpRepr r = ok(TcpRepr.parse(segmentOfFrame(frame), CLIENT, SERVER, false));
        byte[] ours = emit(r, new byte[0], CLIENT, SERVER);
        byte[] theirs = Arrays.copyOfRange(frame, 34, frame.length);
        assertEquals(theirs.length, ours.length);
        theirs[16] = ours[16];
        theirs[17] = ours[17];
        assertArrayEquals(theirs, ours);
        assertValidForPcap4j(ours, CLIENT, SERVER);
    }

    @Test
    void parsesLinuxSynAck() {
        TcpRepr r = ok(TcpRepr.parse(segmentOfFrame(hex(LINUX_SYN_ACK)), SERVER, CLIENT, false));
        assertEquals(TcpControl.SYN, r.control());
        assertEquals(SeqNumber.ofUnsigned(2490337871L), r.ackNumber());
        assertEquals("5001 > 50024: Flags [S.], seq 287133511, ack 2490337871, win 65160, options [mss 1460,sackOK,"
                + "TS val 1897496595 ecr 2676950530,wscale 10], length 0", r.toString());
    }

    @Test
    void parsesSackAckAndReEncodesItExactly() throws IllegalRawDataException {
        byte[] wire = hex(SACK_ACK);
        TcpPacket p = ok(TcpPacket.checked(buf(wire)));
        assertTrue(p.verifyChecksum(SERVER, CLIENT));
        TcpRepr r = ok(TcpRepr.parse(p, SERVER, CLIENT, true));
        assertEquals(TcpControl.NONE, r.control());
        assertEquals(List.of(new SackBlock(SeqNumber.ofUnsigned(2490372096L), SeqNumber.ofUnsigned(2490376192L))),
                r.options().sackBlocks());
        assertEquals(new TcpTimestamps(0x7119a000, 0x9f8f1000), r.options().timestamps());
        assertEquals("5001 > 50024: Flags [.], seq 287133512, ack 2490368000, win 501, options [TS val 1897504768 "
                + "ecr 2676953088,sack 1 {2490372096:2490376192}], length 0", r.toString());
        byte[] ours = emit(r, new byte[0], SERVER, CLIENT);
        assertArrayEquals(wire, ours);
        org.pcap4j.packet.TcpPacket theirs = assertValidForPcap4j(ours, SERVER, CLIENT);
        TcpSackOption sack = (TcpSackOption) theirs.getHeader().getOptions().stream()
                .filter(o -> o instanceof TcpSackOption).findFirst().orElseThrow();
        TcpSackOption expected = new TcpSackOption.Builder()
                .sacks(List.of(new TcpSackOption.Sack((int) 2490372096L, (int) 2490376192L)))
                .correctLengthAtBuild(true).build();
        assertEquals(expected, sack);
    }

    @Test
    void dataSegmentInAFrameDecodesWithPcap4j() throws IllegalRawDataException {
        byte[] payload = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        TcpRepr r = new TcpRepr(50024, 80, TcpControl.PSH, SeqNumber.ofUnsigned(0xFFFF_FFF0L),
                SeqNumber.of(12345), 502, TcpOptions.NONE.withTimestamps(new TcpTimestamps(1, 2)), payload.length);
        byte[] segment = emit(r, payload, CLIENT, SERVER);
        assertEquals(r, ok(TcpRepr.parse(ok(TcpPacket.checked(buf(segment))), CLIENT, SERVER, true)));
        byte[] frame = ipv4Frame(CLIENT, SERVER, 6, segment);
        org.pcap4j.packet.TcpPacket tcp = EthernetPacket.newPacket(frame, 0, frame.length)
                .get(org.pcap4j.packet.TcpPacket.class);
        TcpHeader h = tcp.getHeader();
        assertEquals(0xFFFF_FFF0L, h.getSequenceNumberAsLong());
        assertEquals(12345, h.getAcknowledgmentNumber());
        assertTrue(h.getPsh() && h.getAck() && !h.getSyn() && !h.getFin() && !h.getRst());
        assertEquals(502, h.getWindowAsInt());
        assertEquals(8, h.getDataOffsetAsInt());
        assertTrue(tcp.hasValidChecksum(inet(CLIENT), inet(SERVER), false));
        assertArrayEquals(payload, tcp.getPayload().getRawData());
        TcpTimestampsOption ts = (TcpTimestampsOption) h.getOptions().stream()
                .filter(o -> o instanceof TcpTimestampsOption).findFirst().orElseThrow();
        assertEquals(1, ts.getTsValue());
        assertEquals(2, ts.getTsEchoReply());
    }

    @Test
    void synOptionsAgreeWithPcap4j() throws IllegalRawDataException {
        TcpOptions options = new TcpOptions(65495, 7, true, List.of(), new TcpTimestamps(-1, 0));
        TcpRepr r = new TcpRepr(40000, 22, TcpControl.SYN, SeqNumber.of(1), null, 65535, options, 0);
        byte[] segment = emit(r, new byte[0], CLIENT, SERVER);
        org.pcap4j.packet.TcpPacket tcp = assertValidForPcap4j(segment, CLIENT, SERVER);
        List<org.pcap4j.packet.TcpPacket.TcpOption> o = tcp.getHeader().getOptions();
        assertEquals(65495, o.stream().filter(x -> x instanceof TcpMaximumSegmentSizeOption)
                .map(x -> ((TcpMaximumSegmentSizeOption) x).getMaxSegSizeAsInt()).findFirst().orElseThrow());
        assertEquals(7, o.stream().filter(x -> x instanceof TcpWindowScaleOption)
                .map(x -> ((TcpWindowScaleOption) x).getShiftCountAsInt()).findFirst().orElseThrow());
        assertTrue(o.stream().anyMatch(x -> x instanceof TcpSackPermittedOption));
        assertEquals(0xFFFF_FFFFL, o.stream().filter(x -> x instanceof TcpTimestampsOption)
                .map(x -> ((TcpTimestampsOption) x).getTsValueAsLong()).findFirst().orElseThrow());
    }

    @Test
    void ackNumberIsAbsentWithoutAckFlag() {
        byte[] wire = hex("c3 68 13 89 00 00 00 01 de ad be ef 50 04 00 00 00 00 00 00"); // RST, stray ack field
        TcpRepr r = ok(TcpRepr.parse(ok(TcpPacket.checked(buf(wire))), CLIENT, SERVER, false));
        assertEquals(TcpControl.RST, r.control());
        assertNull(r.ackNumber());
        assertFalse(r.hasAck());
        byte[] ours = emit(r, new byte[0], CLIENT, SERVER);
        assertEquals(0, buf(ours).getInt(8), "an absent ack is sent as 0");
        assertEquals(0x04, ours[13]);
    }

    @Test
    void controlCombinations() {
        assertEquals(TcpControl.NONE, control(0x10));
        assertEquals(TcpControl.PSH, control(0x18));
        assertEquals(TcpControl.SYN, control(0x0a), "PSH is dropped from SYN");
        assertEquals(TcpControl.FIN, control(0x11));
        assertEquals(TcpControl.RST, control(0x14));
        for (int flags : new int[] {0x03, 0x06, 0x05, 0x07, 0x13}) {
            byte[] wire = segment(flags, "");
            assertEquals(ParseError.MALFORMED,
                    TcpRepr.parse(ok(TcpPacket.checked(buf(wire))), CLIENT, SERVER, false).error(),
                    "flags 0x" + Integer.toHexString(flags));
        }
    }

    @Test
    void optionParsingRules() {
        assertEquals(14, options("03 03 0f 00").windowScale(), "RFC 7323 2.3: shift above 14 is used as 14");
        assertEquals(1460, options("1e 06 01 02 03 04 02 04 05 b4 01 01").maxSegmentSize(), "unknown kind skipped");
        assertEquals(1460, options("02 04 05 b4 00 ff ff ff").maxSegmentSize(), "nothing is read after EOL");
        assertEquals(TcpOptions.NONE, options("01 01 01 00"));
        assertEquals(536, options("02 04 05 b4 02 04 02 18").maxSegmentSize(), "the last instance wins");
        TcpOptions four = options("05 22" + " 00 00 00 01 00 00 00 02".repeat(4) + " 01 01");
        assertEquals(4, four.sackBlocks().size());
    }

    @Test
    void brokenOptionsAreMalformed() {
        assertMalformedOptions("02 01 00 00", "length below 2");
        assertMalformedOptions("02 00 00 00", "length 0");
        assertMalformedOptions("01 01 08 0a 00 00 00 00", "timestamps running past the header");
        assertMalformedOptions("01 01 01 02", "length octet missing at the end");
        assertMalformedOptions("02 03 05 00", "MSS of length 3");
        assertMalformedOptions("03 04 07 00", "window scale of length 4");
        assertMalformedOptions("04 03 00 00", "SACK-permitted of length 3");
        assertMalformedOptions("05 09 00 00 00 00 00 00 00 00 00 00", "SACK of length 9");
        assertMalformedOptions("05 02 00 00", "SACK without blocks");
        assertMalformedOptions("08 08 00 00 00 00 00 00", "timestamps of length 8");
    }

    @Test
    void truncatedAtEveryLength() {
        byte[] wire = Arrays.copyOfRange(hex(LINUX_SYN), 34, 74);
        for (int n = 0; n < wire.length; n++) {
            assertEquals(ParseError.TRUNCATED, TcpPacket.checked(buf(wire), 0, n).error(), "length " + n);
        }
        assertTrue(TcpPacket.checked(buf(wire)).isOk());
    }

    @Test
    void lyingDataOffsets() {
        for (int doff = 0; doff < 5; doff++) {
            byte[] wire = segment(0x10, "");
            wire[12] = (byte) (doff << 4);
            assertEquals(ParseError.MALFORMED, TcpPacket.checked(buf(wire)).error(), "data offset " + doff);
        }
        byte[] wire = segment(0x10, "01 01 01 01");
        wire[12] = (byte) (7 << 4);
        assertEquals(ParseError.TRUNCATED, TcpPacket.checked(buf(wire)).error(), "data offset past the segment");
        byte[] portZero = segment(0x02, "");
        portZero[2] = 0;
        portZero[3] = 0;
        assertEquals(ParseError.MALFORMED,
                TcpRepr.parse(ok(TcpPacket.checked(buf(portZero))), CLIENT, SERVER, false).error());
    }

    @Test
    void badChecksumAnywhereIsDetected() {
        byte[] payload = "abcdef".getBytes(StandardCharsets.US_ASCII);
        TcpRepr r = new TcpRepr(1, 2, TcpControl.NONE, SeqNumber.of(5), SeqNumber.of(6), 100, TcpOptions.NONE, 6);
        byte[] good = emit(r, payload, CLIENT, SERVER);
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            ParseResult<TcpPacket> p = TcpPacket.checked(buf(bad));
            if (p.isOk()) {
                ParseError e = TcpRepr.parse(p.orNull(), CLIENT, SERVER, true).error();
                assertTrue(e == ParseError.BAD_CHECKSUM || e == ParseError.MALFORMED, "byte " + i + ": " + e);
            }
        }
        assertEquals(ParseError.BAD_CHECKSUM,
                TcpRepr.parse(ok(TcpPacket.checked(buf(good))), CLIENT, SERVER + 1, true).error(), "pseudo header");
    }

    @Test
    void optionsThatDoNotFitAlignedAreWrittenCompactly() {
        // Window scale + SACK-permitted + 4 SACK blocks: 39 bytes on the wire, 44 in the aligned layout.
        String blocks = " 00 00 00 01 00 00 00 02".repeat(4);
        TcpOptions o = options("03 03 07 04 02 05 22" + blocks + " 00");
        assertEquals(40, o.encodedLength());
        ByteBuf out = Unpooled.buffer(40);
        assertEquals(40, o.emit(out, 0));
        out.writerIndex(40);
        assertEquals(o, ok(TcpOptions.parse(out, 0, 40)));
    }

    @Test
    void illegalReprsCannotBeBuilt() {
        List<SackBlock> five = List.of(block(1), block(2), block(3), block(4), block(5));
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(null, null, false, five, null));
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(null, 15, false, List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new TcpOptions(1460, null, false,
                List.of(block(1), block(2), block(3), block(4)), new TcpTimestamps(1, 2)), "over 40 bytes");
        assertThrows(IllegalArgumentException.class,
                () -> new TcpRepr(0, 80, TcpControl.SYN, SeqNumber.of(0), null, 0, TcpOptions.NONE, 0));
        assertThrows(NullPointerException.class,
                () -> new TcpRepr(1, 80, null, SeqNumber.of(0), null, 0, TcpOptions.NONE, 0));
    }

    @Test
    void fuzzNeverThrowsAndEveryParsedSegmentRoundTrips() {
        Random random = new Random(9293);
        byte[][] seeds = {Arrays.copyOfRange(hex(LINUX_SYN), 34, 74), hex(SACK_ACK),
            Arrays.copyOfRange(hex(LINUX_SYN_ACK), 34, 74)};
        for (int i = 0; i < 30_000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = new byte[random.nextInt(70)];
                random.nextBytes(b);
                if (b.length > 12 && random.nextBoolean()) {
                    b[12] = (byte) ((5 + random.nextInt(Math.max(1, Math.min(11, (b.length - 20) / 4 + 1)))) << 4);
                }
            } else {
                b = seeds[random.nextInt(seeds.length)].clone();
                for (int k = random.nextInt(5); k >= 0; k--) {
                    b[12 + random.nextInt(b.length - 12)] = (byte) random.nextInt(256);
                }
            }
            int length = random.nextInt(10) == 0 ? random.nextInt(b.length + 1) : b.length;
            ParseResult<TcpPacket> p = TcpPacket.checked(buf(b), 0, length);
            if (p instanceof ParseResult.Ok<TcpPacket> ok) {
                TcpPacket packet = ok.value();
                packet.toString();
                ParseResult<TcpRepr> r = TcpRepr.parse(packet, CLIENT, SERVER, random.nextBoolean());
                if (r instanceof ParseResult.Ok<TcpRepr> repr) {
                    byte[] payload = bytes(packet.payload());
                    byte[] again = emit(repr.value(), payload, CLIENT, SERVER);
                    TcpPacket reparsed = TcpUdpTestFrames.ok(TcpPacket.checked(buf(again)));
                    assertEquals(repr.value(), TcpUdpTestFrames.ok(TcpRepr.parse(reparsed, CLIENT, SERVER, true)));
                    repr.value().toString();
                }
            }
        }
    }

    private static SackBlock block(int n) {
        return new SackBlock(SeqNumber.of(n * 100), SeqNumber.of(n * 100 + 50));
    }

    /** Emits {@code r} with {@code payload} into a fresh buffer and returns the segment bytes. */
    static byte[] emit(TcpRepr r, byte[] payload, int src, int dst) {
        ByteBuf out = Unpooled.buffer(r.totalLength());
        out.setBytes(r.headerLength(), payload);
        r.emit(out, 0, src, dst);
        out.writerIndex(r.totalLength());
        return bytes(out);
    }

    private static org.pcap4j.packet.TcpPacket assertValidForPcap4j(byte[] segment, int src, int dst)
            throws IllegalRawDataException {
        org.pcap4j.packet.TcpPacket tcp = org.pcap4j.packet.TcpPacket.newPacket(segment, 0, segment.length);
        assertTrue(tcp.hasValidChecksum(inet(src), inet(dst), false), "pcap4j verifies our checksum");
        return tcp;
    }

    /** A 20-byte header (50024 > 5001, seq 1, ack 2, window 1000) with {@code flags}, plus option bytes. */
    private static byte[] segment(int flags, String optionsHex) {
        byte[] options = hex(optionsHex);
        byte[] b = new byte[20 + options.length];
        ByteBuf w = Unpooled.wrappedBuffer(b);
        w.setShort(0, 50024);
        w.setShort(2, 5001);
        w.setInt(4, 1);
        w.setInt(8, 2);
        w.setByte(12, ((20 + options.length) / 4) << 4);
        w.setByte(13, flags);
        w.setShort(14, 1000);
        w.setBytes(20, options);
        return b;
    }

    private static TcpControl control(int flags) {
        return ok(TcpRepr.parse(ok(TcpPacket.checked(buf(segment(flags, "")))), CLIENT, SERVER, false)).control();
    }

    private static TcpOptions options(String optionsHex) {
        return ok(TcpRepr.parse(ok(TcpPacket.checked(buf(segment(0x10, optionsHex)))), CLIENT, SERVER, false))
                .options();
    }

    private static void assertMalformedOptions(String optionsHex, String what) {
        TcpPacket p = ok(TcpPacket.checked(buf(segment(0x10, optionsHex))));
        assertEquals(ParseError.MALFORMED, TcpRepr.parse(p, CLIENT, SERVER, false).error(), what);
        assertEquals(ParseError.MALFORMED, p.options().error(), what);
    }
}
