package io.userv2.stack.wire;

import static io.userv2.stack.wire.Ipv6TestPackets.GATEWAY;
import static io.userv2.stack.wire.Ipv6TestPackets.GUEST;
import static io.userv2.stack.wire.Ipv6TestPackets.concat;
import static io.userv2.stack.wire.Ipv6TestPackets.frame;
import static io.userv2.stack.wire.Ipv6TestPackets.ipv6;
import static io.userv2.stack.wire.Ipv6TestPackets.optionsHeader;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Random and mutated IPv6 input through every IPv6 view and parser: results, never exceptions. */
class Ipv6WireFuzzTest {
    private final Random random = new Random(8200);
    private final Ipv6Packet reusable = Ipv6Packet.reusable();
    private final ByteBuf scratch = Unpooled.buffer(2048);
    private int parsedOk;

    private static byte[][] seeds() {
        Ipv6Address ll = Ipv6Address.parse("fe80::1");
        Icmpv6Repr ra = NdpTest.routerAdvertisement();
        Icmpv6Repr ns = new Icmpv6Repr.NeighborSolicitation(ll, NdpOptions.sourceLinkLayer(
                MacAddress.parse("52:54:00:12:34:56")));
        byte[] udp = HexLiteral.bytes("9c 40 00 35 00 0c 00 00 61 62 63 64");
        ByteBuf tcp = Unpooled.buffer(44);
        new TcpRepr(50024, 443, TcpControl.SYN, SeqNumber.of(1), null, 65535,
                new TcpOptions(1440, 7, true, List.of(), new TcpTimestamps(1, 0)), 0).emit(tcp, 0, GUEST, GATEWAY);
        tcp.writerIndex(40);
        byte[] echo = HexLiteral.bytes("80 00 00 00 00 01 00 01 aa bb");
        return new byte[][] {
            HexLiteral.bytes(Ipv6PacketTest.ECHO_WITH_EXTENSIONS_FRAME),
            frame(Icmpv6PacketTest.packetOf(ra, ll, Ipv6Address.ALL_NODES, 255)),
            frame(Icmpv6PacketTest.packetOf(ns, GUEST, ll.solicitedNodeMulticast(), 255)),
            frame(ipv6(17, 64, GUEST, GATEWAY, udp)),
            frame(ipv6(6, 64, GUEST, GATEWAY, HexLiteral.toArray(tcp))),
            frame(ipv6(44, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("3a 00 00 01 12 34 56 78"), new byte[8]))),
            frame(ipv6(43, 64, GUEST, GATEWAY, concat(HexLiteral.bytes("3c 02 00 00 00 00 00 00"), GATEWAY.toBytes(),
                    optionsHeader(58, "01 04 00 00 00 00"), echo))),
            frame(ipv6(0, 64, GUEST, GATEWAY, concat(optionsHeader(44, "05 02 00 00 c2 04 00 01 00 00 00 00 00 00"),
                    HexLiteral.bytes("3a 00 00 00 00 00 00 09"), echo))),
            frame(Icmpv6PacketTest.packetOf(Icmpv6Repr.ParameterProblem.quoting(1, 40,
                    Ipv6PacketTest.ipv6Of(HexLiteral.bytes(Ipv6PacketTest.ECHO_WITH_EXTENSIONS_FRAME))),
                    GATEWAY, GUEST, 64)),
        };
    }

    @Test
    void mutatedFramesNeverThrow() {
        byte[][] seeds = seeds();
        for (int i = 0; i < 30_000; i++) {
            byte[] seed = seeds[i % seeds.length];
            byte[] frame = Arrays.copyOf(seed, random.nextBoolean() ? seed.length : random.nextInt(seed.length + 8));
            for (int m = random.nextInt(4); m >= 0; m--) {
                if (frame.length > 0) {
                    // Mostly the headers, where the lengths and next-header values are.
                    int at = random.nextInt(4) > 0 ? 14 + random.nextInt(Math.min(frame.length, 100))
                            : random.nextInt(frame.length);
                    if (at < frame.length) {
                        frame[at] = (byte) (random.nextBoolean() ? random.nextInt(256)
                                : frame[at] ^ (1 << random.nextInt(8)));
                    }
                }
            }
            parseEverything(Unpooled.wrappedBuffer(frame));
        }
        assertTrue(parsedOk > 1_000, "enough mutations stay parseable to reach the upper layers: " + parsedOk);
    }

    @Test
    void randomBytesNeverThrow() {
        for (int i = 0; i < 10_000; i++) {
            byte[] frame = new byte[random.nextInt(200)];
            random.nextBytes(frame);
            if (frame.length > 20) {
                frame[12] = (byte) 0x86;
                frame[13] = (byte) 0xdd;
                frame[14] = (byte) (0x60 | random.nextInt(16));
                frame[18] = 0;
                frame[19] = (byte) random.nextInt(frame.length);
                frame[20] = (byte) new int[] {0, 6, 17, 43, 44, 58, 59, 60}[random.nextInt(8)];
            }
            parseEverything(Unpooled.wrappedBuffer(frame));
        }
    }

    @Test
    void randomNdpOptionsAndAddressTextNeverThrow() {
        for (int i = 0; i < 10_000; i++) {
            byte[] options = new byte[random.nextInt(64)];
            random.nextBytes(options);
            if (options.length > 1) {
                options[0] = (byte) new int[] {1, 2, 3, 5, 25, 31, 14}[random.nextInt(7)];
                options[1] = (byte) random.nextInt(6);
            }
            ParseResult<NdpOptions> r = NdpOptions.parse(Unpooled.wrappedBuffer(options), 0, options.length);
            assertNotNull(r);
            if (r.isOk()) {
                assertNotNull(r.orNull().toString());
            }
        }
        String alphabet = "0123456789abcdefABCDEF:::...%[]/ g";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int n = random.nextInt(45); n > 0; n--) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            Ipv6Address a = Ipv6Address.parseOrNull(sb.toString());
            if (a != null) {
                assertEquals(a, Ipv6Address.parse(a.toString()), sb.toString());
            }
        }
    }

    private void parseEverything(ByteBuf buf) {
        EthernetFrame frame = EthernetFrame.checked(buf).orNull();
        if (frame == null) {
            return;
        }
        ParseResult<Ipv6Packet> checked = Ipv6Packet.checked(frame);
        assertNotNull(checked);
        ParseError error = reusable.wrap(frame);
        assertEquals(checked.error(), error, "checked and wrap agree");
        if (error != null) {
            assertNotNull(reusable.failure());
            if (reusable.parameterProblemCode() >= 0) {
                assertNotNull(reusable.toString());
                Icmpv6Repr.ParameterProblem problem = Icmpv6Repr.ParameterProblem.quoting(reusable);
                assertTrue(problem.pointer() < reusable.length());
                problem.emit(scratch, 0, GATEWAY, GUEST);
            }
            return;
        }
        Ipv6Packet ip = reusable;
        assertNotNull(ip.toString());
        assertTrue(ip.payloadOffset() + ip.payloadLength() <= buf.capacity());
        assertNotNull(Ipv6Repr.parse(ip));
        parsedOk++;
        if (ip.isFragment()) {
            return;
        }
        switch (ip.protocolNumber()) {
            case IpProtocol.ICMPV6_NUMBER -> {
                Icmpv6Packet icmp = Icmpv6Packet.checked(ip).orNull();
                if (icmp != null) {
                    assertNotNull(icmp.toString());
                    ParseResult<Icmpv6Repr> r = NdpValidation.parse(ip, icmp);
                    assertNotNull(r);
                    ParseResult<Icmpv6Repr> unchecked = parseIgnoringChecksum(ip, icmp);
                    Icmpv6Repr repr = unchecked.orNull();
                    if (repr != null) {
                        assertNotNull(repr.toString());
                        NdpValidation.violation(ip, icmp, repr); // a detail or null, never an exception
                        if (repr.bufferLength() <= scratch.capacity()) {
                            assertEquals(repr.bufferLength(), repr.emit(scratch, 0, GUEST, GATEWAY));
                        }
                    }
                }
            }
            case IpProtocol.UDP_NUMBER -> {
                UdpPacket udp = UdpPacket.checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()).orNull();
                if (udp != null) {
                    assertNotNull(UdpRepr.parse(udp, ip.source(), ip.destination(), true));
                    assertNotNull(udp.toString());
                }
            }
            case IpProtocol.TCP_NUMBER -> {
                TcpPacket tcp = TcpPacket.checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()).orNull();
                if (tcp != null) {
                    assertNotNull(TcpRepr.parse(tcp, ip.source(), ip.destination(), true));
                    assertNotNull(TcpRepr.parse(tcp, ip.source(), ip.destination(), false));
                    assertNotNull(tcp.toString());
                }
            }
            default -> {
                assertTrue(ip.protocolPointer() < ip.headerLength());
            }
        }
    }

    /**
     * The message parsed as if its checksum were right (it is recomputed in a copy), so that mutations reach the
     * type-specific parsing that a bad checksum would otherwise stop.
     */
    private static ParseResult<Icmpv6Repr> parseIgnoringChecksum(Ipv6Packet ip, Icmpv6Packet icmp) {
        ByteBuf copy = Unpooled.copiedBuffer(icmp.buffer().slice(icmp.offset(), icmp.length()));
        copy.setShort(2, 0);
        int seed = Checksum.pseudoHeaderIpv6(ip.sourceHigh(), ip.sourceLow(), ip.destinationHigh(),
                ip.destinationLow(), IpProtocol.ICMPV6_NUMBER, icmp.length());
        copy.setShort(2, Checksum.finish(Checksum.partial(copy, 0, icmp.length(), seed)));
        return Icmpv6Repr.parse(Icmpv6Packet.checked(copy, 0, icmp.length()).orNull(), ip);
    }
}
