package io.userv2.stack.dhcp6;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.ParseError;
import io.userv2.stack.wire.ParseResult;
import java.net.Inet6Address;
import java.util.List;
import org.junit.jupiter.api.Test;

class Dhcp6ReprTest {
    static Inet6Address a(String text) {
        return Dhcp6Repr.address(io.netty.util.NetUtil.createByteArrayFromIpAddressString(text));
    }

    static ParseResult<Dhcp6Repr> parse(byte[] bytes) {
        ParseResult<Dhcp6Packet> p = Dhcp6Packet.checked(Unpooled.wrappedBuffer(bytes));
        return p instanceof ParseResult.Ok<Dhcp6Packet> ok ? Dhcp6Repr.parse(ok.value()) : p.castFailure();
    }

    static Dhcp6Repr parseOk(byte[] bytes) {
        ParseResult<Dhcp6Repr> r = parse(bytes);
        assertTrue(r.isOk(), () -> r.toString());
        return r.orNull();
    }

    static byte[] encode(Dhcp6Repr r) {
        ByteBuf b = Unpooled.buffer(r.encodedLength());
        int n = r.emit(b, 0);
        assertEquals(r.encodedLength(), n, "emit writes encodedLength bytes");
        b.writerIndex(n);
        return HexLiteral.toArray(b);
    }

    @Test
    void dhcpcdSolicitIsReadAsTsharkDecodedIt() {
        Dhcp6Repr r = parseOk(Dhcp6Captures.dhcpcdSolicit());
        assertEquals(Dhcp6MessageType.SOLICIT, r.msgType());
        assertEquals(0x40b2b7, r.transactionId());
        assertEquals(Duid.parse("00:01:00:01:32:a5:f5:ab:52:55:55:12:34:56"), r.clientId());
        assertEquals(Duid.TYPE_LLT, r.clientId().type());
        assertNull(r.serverId());
        assertEquals(List.of(IaNa.of(1, 0, 0, List.of())), r.iaNas());
        assertEquals(List.of(23, 24, 82, 83), r.optionRequest());
        assertTrue(r.requests(Dhcp6Option.DNS_SERVERS));
        assertEquals(0, r.elapsedTime());
        assertTrue(r.rapidCommit());
        assertNull(r.dnsServers(), "Vendor Class is skipped, nothing else appears");
        assertEquals("dhcp6 solicit (xid=40b2b7 (client-ID 00:01:00:01:32:a5:f5:ab:52:55:55:12:34:56)"
                + " (IA_NA IAID:1 T1:0 T2:0) (rapid-commit) (elapsed-time 0)"
                + " (option-request DNS_SERVERS DOMAIN_LIST SOL_MAX_RT INF_MAX_RT))", r.toString());
    }

    @Test
    void dhcpcdInformationRequest() {
        Dhcp6Repr r = parseOk(Dhcp6Captures.dhcpcdInformationRequest());
        assertEquals(Dhcp6MessageType.INFORMATION_REQUEST, r.msgType());
        assertEquals(0x164007, r.transactionId());
        assertTrue(r.iaNas().isEmpty());
        assertEquals(List.of(32, 82, 83), r.optionRequest());
        assertFalse(r.rapidCommit());
    }

    @Test
    void knownOptionsRoundTrip() {
        Dhcp6Repr reply = Dhcp6Repr.builder().msgType(Dhcp6MessageType.REPLY).transactionId(0xabcdef)
                .clientId(Duid.parse("00:01:00:01:32:a5:f5:ab:52:55:55:12:34:56"))
                .serverId(Duid.linkLayer(MacAddress.parse("5a:94:ef:e4:0c:dd")))
                .addIaNa(new IaNa(1, 1800, 2880, List.of(IaAddress.of(a("fd00::1234"), 3600, 3600),
                        new IaAddress(a("2001:db8::1"), 0, 0, Dhcp6Status.of(Dhcp6Status.NOT_ON_LINK, "x"))), null))
                .addIaNa(IaNa.failed(7, Dhcp6Status.of(Dhcp6Status.NO_ADDRS_AVAIL, "none left")))
                .addIaPd(new IaPd(9, 0, 0, Dhcp6Status.of(Dhcp6Status.NO_PREFIX_AVAIL, "")))
                .status(Dhcp6Status.of(Dhcp6Status.SUCCESS, "ok ✓")).preference(255).rapidCommit(true)
                .elapsedTime(65535).optionRequest(List.of(23, 24))
                .dnsServers(List.of(a("fd00::2"), a("fe80::5894:efff:fee4:cdd")))
                .domainList(List.of("lima.test", "corp.example")).informationRefreshTime(86400L)
                .solMaxRt(Dhcp6Repr.INFINITY).build();
        byte[] wire = encode(reply);
        assertEquals(reply, parseOk(wire));
    }

    @Test
    void emitsTheExactLayout() {
        Dhcp6Repr advertise = Dhcp6Repr.builder().msgType(Dhcp6MessageType.ADVERTISE).transactionId(0x40b2b7)
                .clientId(Duid.parse("0003000152555512 3456".replace(" ", "")))
                .serverId(Duid.linkLayer(MacAddress.parse("5a:94:ef:e4:0c:dd")))
                .addIaNa(IaNa.of(1, 1800, 2880, List.of(IaAddress.of(a("fd00::1234"), 3600, 3600))))
                .dnsServers(List.of(a("fd00::2"))).domainList(List.of("lima.test")).build();
        assertArrayEquals(HexLiteral.bytes("""
                02 40b2b7
                0001 000a 0003 0001 525555123456
                0002 000a 0003 0001 5a94efe40cdd
                0003 0028 00000001 00000708 00000b40
                  0005 0018 fd000000000000000000000000001234 00000e10 00000e10
                0017 0010 fd000000000000000000000000000002
                0018 000b 04 6c696d61 04 74657374 00
                """), encode(advertise));
    }

    @Test
    void unknownOptionsAndNestedUnknownsAreSkipped() {
        Dhcp6Repr r = parseOk(HexLiteral.bytes("""
                03 000001
                1234 0003 aabbcc                         # unknown option
                0001 0003 000401                         # shortest DUID
                0003 0014 00000005 00000000 00000000
                  7777 0004 01020304                     # unknown option inside the IA_NA
                """));
        assertEquals(Dhcp6MessageType.REQUEST, r.msgType());
        assertEquals(3, r.clientId().length());
        assertEquals(List.of(IaNa.of(5, 0, 0, List.of())), r.iaNas());
    }

    @Test
    void firstOfARepeatedSingleOptionCounts() {
        Dhcp6Repr r = parseOk(HexLiteral.bytes("""
                01 000001
                0001 0003 000401
                0001 0003 000402
                0007 0001 05
                0007 0001 06
                """));
        assertEquals(Duid.parse("00:04:01"), r.clientId());
        assertEquals(5, r.preference());
    }

    @Test
    void truncatedAndOverlongInputFails() {
        assertEquals(ParseError.TRUNCATED, parse(HexLiteral.bytes("01 0000")).error(), "header cut");
        assertEquals(ParseError.TRUNCATED, parse(HexLiteral.bytes("01 000001 0001 00")).error(), "option header cut");
        assertEquals(ParseError.TRUNCATED, parse(HexLiteral.bytes("01 000001 0001 0010 000401")).error(),
                "option length past the end");
        assertEquals(ParseError.TRUNCATED, parse(HexLiteral.bytes("01 000001 0001 0003 000401 00")).error(),
                "a stray octet after the last option");
        assertEquals(ParseError.UNSUPPORTED, parse(HexLiteral.bytes("0c 00 " + "00".repeat(32))).error(),
                "relay-forward");
        assertTrue(parse(HexLiteral.bytes("01 000001")).isOk(), "no options at all is well formed");
    }

    @Test
    void nestedIaGarbageIsMalformed() {
        String[] bad = {
            "0003 0008 00000001 00000000",                                  // IA_NA shorter than 12
            "0003 000e 00000001 00000000 00000000 0005",                    // nested header cut
            "0003 0010 00000001 00000000 00000000 0005 0000",               // IAADDR shorter than 24
            "0003 0014 00000001 00000000 00000000 0005 0010 00000000",      // IAADDR length past the IA
            "0003 0010 00000001 00000000 00000000 000d 0000",               // status code shorter than 2
            "0003 002c 00000001 00000000 00000000 0005 0018 " + "00".repeat(16) + "0000000000000000 ff", // extra octet
            "0019 000e 00000001 00000000 00000000 000d",                    // IA_PD nested header cut
        };
        for (String option : bad) {
            byte[] m = HexLiteral.bytes("03 000001 0001 0003 000401 " + option);
            ParseResult<Dhcp6Repr> r = parse(m);
            assertFalse(r.isOk(), option);
        }
    }

    @Test
    void knownOptionsWithWrongLengthsAreMalformed() {
        String[] bad = {
            "0001 0002 0001",               // DUID of 2 octets
            "0001 0083 " + "00".repeat(131), // DUID of 131 octets
            "0006 0003 001700",             // ORO odd
            "0007 0000",                    // preference empty
            "0008 0001 00",                 // elapsed time short
            "000e 0001 00",                 // rapid commit not empty
            "0017 000f " + "00".repeat(15), // DNS not a multiple of 16
            "0018 0004 c00c 0000",          // compressed name
            "0018 0004 036c696d",           // name without its zero octet
            "0018 0001 00",                 // the root name
            "0018 0003 01 0a 00",           // non-printable label
            "0020 0002 0000",               // refresh time short
            "000d 0003 0000 ff",            // status message not UTF-8
        };
        for (String option : bad) {
            ParseResult<Dhcp6Repr> r = parse(HexLiteral.bytes("0b 000001 " + option));
            assertEquals(ParseError.MALFORMED, r.error(), option);
        }
    }

    @Test
    void valuesThatCannotBeEncodedAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> Dhcp6Repr.builder().transactionId(0x1000000).build());
        assertThrows(IllegalArgumentException.class,
                () -> Dhcp6Repr.builder().domainList(List.of("bad..name")).build());
        assertThrows(IllegalArgumentException.class,
                () -> Dhcp6Repr.builder().domainList(List.of("x".repeat(64) + ".test")).build());
        assertThrows(IllegalArgumentException.class, () -> IaAddress.of(a("::1"), -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Duid.of(new byte[2]));
    }

    @Test
    void whateverParsesEncodesBackToTheSameValues() {
        java.util.Random random = new java.util.Random(7);
        byte[][] seeds = {Dhcp6Captures.dhcpcdSolicit(), Dhcp6Captures.dhcpcdRenew(), Dhcp6Captures.dhclientRequest(),
            Dhcp6Captures.dhcpcdInformationRequest()};
        int parsed = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] m = seeds[random.nextInt(seeds.length)].clone();
            m[random.nextInt(m.length)] = (byte) random.nextInt(256);
            ParseResult<Dhcp6Repr> r = parse(m);
            if (r.isOk()) {
                parsed++;
                assertEquals(r.orNull(), parseOk(encode(r.orNull())), () -> HexLiteral.hex(m));
            }
        }
        assertTrue(parsed > 1000, "most single-octet changes still parse: " + parsed);
    }

    @Test
    void serverDuidIsDuidLlOfTheMac() {
        Duid d = Duid.linkLayer(MacAddress.parse("5a:94:ef:e4:0c:dd"));
        assertEquals("00:03:00:01:5a:94:ef:e4:0c:dd", d.toString());
        assertEquals(Duid.TYPE_LL, d.type());
        assertEquals(d, Duid.parse(d.toString()));
        assertEquals(d.hashCode(), Duid.parse("000300015a94efe40cdd").hashCode());
    }

    @Test
    void ipv4MappedAddressesStayIpv6() {
        Inet6Address mapped = a("::ffff:192.0.2.1");
        assertEquals("::ffff:c000:201", Dhcp6Repr.format(mapped));
        Dhcp6Repr r = Dhcp6Repr.builder().msgType(Dhcp6MessageType.REPLY).dnsServers(List.of(mapped)).build();
        assertEquals(r, parseOk(encode(r)));
    }
}
