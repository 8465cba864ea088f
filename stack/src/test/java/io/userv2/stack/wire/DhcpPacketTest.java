package io.userv2.stack.wire;

import static io.userv2.stack.wire.TcpUdpTestFrames.buf;
import static io.userv2.stack.wire.TcpUdpTestFrames.bytes;
import static io.userv2.stack.wire.TcpUdpTestFrames.hex;
import static io.userv2.stack.wire.TcpUdpTestFrames.inet;
import static io.userv2.stack.wire.TcpUdpTestFrames.ipv4Frame;
import static io.userv2.stack.wire.TcpUdpTestFrames.ok;
import static io.userv2.stack.wire.TcpUdpTestFrames.zeros;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;

class DhcpPacketTest {
    private static final MacAddress CLIENT = MacAddress.parse("52:55:55:12:34:56");
    private static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");

    /**
     * The DHCP payload of a real DHCPDISCOVER, captured with tshark from busybox 1.35.0 (Debian 12)
     * {@code udhcpc -i eth0 -x hostname:lima-test} on a veth whose MAC is 52:55:55:12:34:56. It was sent in an
     * Ethernet broadcast 52:55:55:12:34:56 > ff:ff:ff:ff:ff:ff, IPv4 0.0.0.0 > 255.255.255.255, UDP 68 > 67,
     * UDP checksum 0xcd69 (see UdpPacketTest). 300 bytes: udhcpc pads to the BOOTP minimum.
     */
    static byte[] udhcpcDiscover() {
        return hex("""
                01 01 06 00                   # op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
                a3 29 f1 3e                   # xid
                00 00 00 00                   # secs 0, flags 0 (unicast replies are fine)
                00 00 00 00 00 00 00 00       # ciaddr, yiaddr
                00 00 00 00 00 00 00 00       # siaddr, giaddr
                52 55 55 12 34 56             # chaddr (6 of 16 octets)
                """ + zeros(10) + "\n" + zeros(64) + " # sname\n" + zeros(128) + """
                 # file
                63 82 53 63                   # magic cookie
                35 01 01                      # 53 DHCP message type: DISCOVER
                39 02 02 40                   # 57 max message size: 576
                37 07 01 03 06 0c 0f 1c 2a    # 55 parameter request list: 1 3 6 12 15 28 42
                0c 09 6c 69 6d 61 2d 74 65 73 74             # 12 hostname "lima-test"
                3c 0c 75 64 68 63 70 20 31 2e 33 35 2e 30    # 60 vendor class "udhcp 1.35.0" (not parsed)
                3d 07 01 52 55 55 12 34 56    # 61 client identifier: type 1 + MAC
                ff                            # end
                00 00 00 00 00 00 00 00 00    # padding to 300
                """);
    }

    @Test
    void parsesRealUdhcpcDiscover() {
        byte[] wire = udhcpcDiscover();
        assertEquals(300, wire.length);
        DhcpPacket packet = ok(DhcpPacket.checked(buf(wire)));
        assertEquals(DhcpPacket.BOOTREQUEST, packet.op());
        assertEquals(0xa329f13e, packet.xid());
        DhcpRepr r = ok(DhcpRepr.parse(packet));
        assertEquals(DhcpRepr.Op.BOOTREQUEST, r.op());
        assertEquals(DhcpMessageType.DISCOVER, r.messageType());
        assertEquals(CLIENT, r.chaddr());
        assertEquals(false, r.broadcast());
        assertEquals(Ipv4Address.ANY, r.ciaddr());
        assertEquals(576, r.maxMessageSize());
        assertEquals(List.of(1, 3, 6, 12, 15, 28, 42), r.parameterRequestList());
        assertEquals("lima-test", r.hostname());
        assertEquals(DhcpClientId.ofMac(CLIENT), r.clientId());
        assertNull(r.requestedIp());
        assertNull(r.leaseTime());
        assertNull(r.routers());
        assertEquals("", r.sname());
        assertEquals("BOOTP/DHCP, Request from 52:55:55:12:34:56, xid 0xa329f13e, Flags [none], DHCP-Message Discover, "
                + "Hostname \"lima-test\", Parameter-Request [Subnet-Mask,Default-Gateway,Domain-Name-Server,"
                + "Hostname,Domain-Name,BR,NTP], MSZ 576, Client-ID 01:52:55:55:12:34:56", r.toString());
    }

    @Test
    void discoverRoundTrips() {
        DhcpRepr r = ok(DhcpRepr.parse(ok(DhcpPacket.checked(buf(udhcpcDiscover())))));
        assertEquals(r, reparse(r));
    }

    @Test
    void offerEmitsEveryOptionAndRoundTrips() throws IllegalRawDataException {
        DhcpRepr offer = fullOffer();
        ByteBuf out = Unpooled.buffer(offer.encodedLength());
        int n = offer.emit(out, 0);
        out.writerIndex(n);
        assertEquals(offer.encodedLength(), n);
        assertTrue(n >= DhcpRepr.BOOTP_MIN_LENGTH);
        assertEquals(0x63825363, out.getInt(236));
        assertEquals(0x350102, out.getMedium(240), "message type first");
        DhcpRepr back = ok(DhcpRepr.parse(ok(DhcpPacket.checked(out))));
        assertEquals(offer, back);

        // Carried in UDP 67 > 68 and decoded by pcap4j: length and checksum agree with an independent decoder.
        UdpRepr udp = new UdpRepr(67, 68, n);
        ByteBuf datagram = Unpooled.buffer(udp.totalLength());
        datagram.setBytes(8, out, 0, n);
        udp.emit(datagram, 0, GATEWAY.bits(), -1);
        datagram.writerIndex(udp.totalLength());
        byte[] frame = ipv4Frame(GATEWAY.bits(), -1, 17, bytes(datagram));
        org.pcap4j.packet.UdpPacket p = EthernetPacket.newPacket(frame, 0, frame.length)
                .get(org.pcap4j.packet.UdpPacket.class);
        assertEquals(8 + n, p.getHeader().getLengthAsInt());
        assertTrue(p.hasValidChecksum(inet(GATEWAY.bits()), inet(-1), false));
        assertArrayEquals(bytes(out), p.getPayload().getRawData());
    }

    @Test
    void shortMessagesArePaddedToBootpMinimum() {
        DhcpRepr nak = DhcpRepr.builder().op(DhcpRepr.Op.BOOTREPLY).xid(7).chaddr(CLIENT)
                .messageType(DhcpMessageType.NAK).serverIdentifier(GATEWAY).build();
        assertEquals(300, nak.encodedLength());
        assertEquals(nak, reparse(nak));
    }

    @Test
    void domainSearchFromRfc3397ExampleWithCompressionAndSplitOption() {
        // RFC 3397 section 3 example: "eng.apple.com." and "marketing.apple.com.", split over three instances
        // of option 119 (RFC 3396), the second name compressed with a pointer to offset 4 ("apple.com").
        byte[] message = withOptions("""
                77 09 03 65 6e 67 05 61 70 70 6c
                77 09 65 03 63 6f 6d 00 09 6d 61
                77 09 72 6b 65 74 69 6e 67 c0 04
                ff
                """);
        DhcpRepr r = ok(DhcpRepr.parse(ok(DhcpPacket.checked(buf(message)))));
        assertEquals(List.of("eng.apple.com", "marketing.apple.com"), r.domainSearch());
        assertEquals(r, reparse(r));
    }

    @Test
    void longOptionsAreSplitPerRfc3396() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            names.add("department-" + i + ".example-corporation.internal");
        }
        DhcpRepr r = fullOffer().toBuilder().domainSearch(names).build();
        ByteBuf out = Unpooled.buffer(r.encodedLength());
        out.writerIndex(r.emit(out, 0));
        int instances = 0;
        int i = 240;
        while (out.getUnsignedByte(i) != 255) {
            int code = out.getUnsignedByte(i);
            if (code == 119) {
                instances++;
            }
            i += code == 0 ? 1 : 2 + out.getUnsignedByte(i + 1);
        }
        assertTrue(instances >= 2, "the 400+ byte search list needs several option instances, got " + instances);
        assertEquals(r, ok(DhcpRepr.parse(ok(DhcpPacket.checked(out)))));
    }

    @Test
    void overloadedFileFieldIsReadAsOptions() {
        byte[] message = withOptions("34 01 01 35 01 03 ff"); // overload: file holds options; REQUEST
        byte[] fileOptions = hex("0c 04 6e 6f 64 65 32 04 c0 a8 68 05 ff"); // hostname "node", requested IP
        System.arraycopy(fileOptions, 0, message, 108, fileOptions.length);
        DhcpRepr r = ok(DhcpRepr.parse(ok(DhcpPacket.checked(buf(message)))));
        assertEquals(DhcpMessageType.REQUEST, r.messageType());
        assertEquals("node", r.hostname());
        assertEquals(Ipv4Address.parse("192.168.104.5"), r.requestedIp());
        assertEquals("", r.file(), "an overloaded file field is not a file name");
    }

    @Test
    void unknownMessageTypeIsKept() {
        DhcpRepr r = ok(DhcpRepr.parse(ok(DhcpPacket.checked(buf(withOptions("35 01 2a ff"))))));
        assertEquals(42, r.messageType().value());
        assertEquals("unknown-42", r.messageType().toString());
        assertEquals(r, reparse(r));
    }

    @Test
    void nulTerminatedHostnameAndMissingEndAreTolerated() {
        DhcpRepr r = ok(DhcpRepr.parse(ok(DhcpPacket.checked(buf(withOptions("0c 04 61 62 63 00 00 00"))))));
        assertEquals("abc", r.hostname());
    }

    @Test
    void truncatedAtEveryLength() {
        byte[] wire = udhcpcDiscover();
        for (int n = 0; n < wire.length; n++) {
            ParseResult<DhcpPacket> r = DhcpPacket.checked(buf(wire), 0, n);
            if (n < 240) {
                assertEquals(ParseError.TRUNCATED, r.error(), "length " + n);
            } else {
                // Cut inside the options: an option's length running past the end is malformed, a cut at an
                // option boundary leaves a shorter but valid message.
                ParseResult<DhcpRepr> repr = DhcpRepr.parse(ok(r));
                assertTrue(repr.isOk() || repr.error() == ParseError.MALFORMED, "length " + n + ": " + repr);
            }
        }
        assertEquals(ParseError.MALFORMED, DhcpRepr.parse(ok(DhcpPacket.checked(buf(wire), 0, 250))).error(),
                "cut inside the parameter request list");
    }

    @Test
    void malformedMessages() {
        byte[] noCookie = udhcpcDiscover();
        noCookie[236] = 0;
        assertEquals(ParseError.MALFORMED, DhcpPacket.checked(buf(noCookie)).error(), "missing magic cookie");

        assertMalformed("0c 05 61 62 ff", "option length past end");
        assertMalformed("0c", "length octet missing");
        assertMalformed("01 03 ff ff ff ff", "subnet mask of 3 octets");
        assertMalformed("03 06 c0 a8 68 02 00 00 ff", "router list not a multiple of 4");
        assertMalformed("1a 02 00 43 ff", "MTU 67");
        assertMalformed("39 02 02 3f ff", "max message size 575");
        assertMalformed("35 00 ff", "empty message type");
        assertMalformed("3d 01 01 ff", "client identifier of one octet");
        assertMalformed("34 01 04 ff", "overload value 4");
        assertMalformed("77 04 01 61 c0 02 ff", "compression pointer to itself");
        assertMalformed("77 04 01 61 c0 08 ff", "compression pointer forwards");
        assertMalformed("77 03 41 61 00 ff", "label type 01");
        assertMalformed("77 03 02 61 62 ff", "name without terminating zero");
        assertMalformed("0c 01 00 ff", "hostname of only NUL");

        byte[] badOp = udhcpcDiscover();
        badOp[0] = 3;
        assertEquals(ParseError.MALFORMED, DhcpRepr.parse(ok(DhcpPacket.checked(buf(badOp)))).error());
        byte[] tokenRing = udhcpcDiscover();
        tokenRing[1] = 6;
        assertEquals(ParseError.UNSUPPORTED, DhcpRepr.parse(ok(DhcpPacket.checked(buf(tokenRing)))).error());
    }

    @Test
    void compressionLoopTerminates() {
        // "a" then a pointer back to 0: each pass adds a label, so the 255-octet name limit ends the loop.
        assertMalformed("77 04 01 61 c0 00 ff", "pointer loop");
    }

    @Test
    void illegalReprsCannotBeBuilt() {
        assertThrows(IllegalArgumentException.class, () -> fullOffer().toBuilder().interfaceMtu(67).build());
        assertThrows(IllegalArgumentException.class, () -> fullOffer().toBuilder().leaseTime(1L << 32).build());
        assertThrows(IllegalArgumentException.class,
                () -> fullOffer().toBuilder().domainSearch(List.of("a..b")).build());
        assertThrows(IllegalArgumentException.class,
                () -> fullOffer().toBuilder().domainSearch(List.of("x".repeat(64) + ".com")).build());
        assertNull(fullOffer().toBuilder().routers(List.of()).build().routers(), "an empty list is absent");
    }

    @Test
    void fuzzNeverThrowsAndEveryParsedMessageRoundTrips() {
        Random random = new Random(2131);
        byte[] seed = udhcpcDiscover();
        byte[] offer = encode(fullOffer());
        for (int i = 0; i < 20_000; i++) {
            byte[] b;
            switch (i % 3) {
                case 0 -> { // random bytes behind a valid fixed header and cookie
                    b = new byte[240 + random.nextInt(120)];
                    random.nextBytes(b);
                    System.arraycopy(seed, 0, b, 0, 240);
                }
                case 1 -> { // mutations of the real DISCOVER
                    b = seed.clone();
                    for (int k = random.nextInt(6); k >= 0; k--) {
                        b[240 + random.nextInt(b.length - 240)] = (byte) random.nextInt(256);
                    }
                }
                default -> { // mutations of a full OFFER, including its fixed part
                    b = offer.clone();
                    for (int k = random.nextInt(6); k >= 0; k--) {
                        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                    }
                }
            }
            ParseResult<DhcpPacket> packet = DhcpPacket.checked(buf(b), 0, random.nextInt(8) == 0
                    ? random.nextInt(b.length + 1) : b.length);
            if (packet instanceof ParseResult.Ok<DhcpPacket> p) {
                p.value().toString();
                ParseResult<DhcpRepr> r = DhcpRepr.parse(p.value());
                if (r instanceof ParseResult.Ok<DhcpRepr> ok) {
                    DhcpRepr repr = ok.value();
                    assertEquals(repr, reparse(repr), () -> "round trip of " + repr);
                    repr.toString();
                }
            }
        }
    }

    private static DhcpRepr fullOffer() {
        return DhcpRepr.builder()
                .op(DhcpRepr.Op.BOOTREPLY).xid(0xa329f13e).secs(3).broadcast(true).hops(1)
                .yiaddr(Ipv4Address.parse("192.168.104.3")).siaddr(GATEWAY).giaddr(Ipv4Address.parse("10.0.0.1"))
                .ciaddr(Ipv4Address.ANY).chaddr(CLIENT).sname("gateway").file("pxelinux.0")
                .messageType(DhcpMessageType.OFFER)
                .subnetMask(Ipv4Address.parse("255.255.255.0"))
                .routers(List.of(GATEWAY))
                .dnsServers(List.of(GATEWAY, Ipv4Address.parse("198.51.100.1")))
                .hostname("lima-test").domainName("lima.internal").interfaceMtu(1500)
                .broadcastAddress(Ipv4Address.parse("192.168.104.255"))
                .requestedIp(Ipv4Address.parse("192.168.104.3"))
                .leaseTime(3600L).renewalTime(1800L).rebindingTime(3150L)
                .serverIdentifier(GATEWAY)
                .parameterRequestList(List.of(1, 3, 6, 119))
                .message("welcome").maxMessageSize(1500)
                .clientId(DhcpClientId.ofMac(CLIENT))
                .domainSearch(List.of("corp.lima.test", "lima.test"))
                .build();
    }

    private static byte[] encode(DhcpRepr r) {
        ByteBuf out = Unpooled.buffer(r.encodedLength());
        out.writerIndex(r.emit(out, 0));
        return bytes(out);
    }

    private static DhcpRepr reparse(DhcpRepr r) {
        return ok(DhcpRepr.parse(ok(DhcpPacket.checked(buf(encode(r))))));
    }

    /** A BOOTREQUEST from {@link #CLIENT} with the given options (hex) after the magic cookie, no padding. */
    private static byte[] withOptions(String optionsHex) {
        byte[] fixed = udhcpcDiscover();
        byte[] options = hex(optionsHex);
        byte[] b = new byte[240 + options.length];
        System.arraycopy(fixed, 0, b, 0, 240);
        System.arraycopy(options, 0, b, 240, options.length);
        return b;
    }

    private static void assertMalformed(String optionsHex, String what) {
        ParseResult<DhcpPacket> packet = DhcpPacket.checked(buf(withOptions(optionsHex)));
        assertEquals(ParseError.MALFORMED, DhcpRepr.parse(ok(packet)).error(), what);
    }
}
