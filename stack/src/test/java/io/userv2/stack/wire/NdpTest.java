package io.userv2.stack.wire;

import static io.userv2.stack.wire.Icmpv6PacketTest.packetOf;
import static io.userv2.stack.wire.Ipv6TestPackets.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6NeighborAdvertisementPacket;
import org.pcap4j.packet.IcmpV6NeighborSolicitationPacket;
import org.pcap4j.packet.IcmpV6RouterAdvertisementPacket;
import org.pcap4j.packet.IpV6NeighborDiscoveryMtuOption;
import org.pcap4j.packet.IpV6NeighborDiscoveryPrefixInformationOption;
import org.pcap4j.packet.IpV6NeighborDiscoverySourceLinkLayerAddressOption;
import org.pcap4j.packet.IpV6NeighborDiscoveryTargetLinkLayerAddressOption;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.IpV6SimpleFlowLabel;
import org.pcap4j.packet.IpV6SimpleTrafficClass;
import org.pcap4j.packet.UnknownIpV6NeighborDiscoveryOption;
import org.pcap4j.packet.namednumber.IcmpV6Code;
import org.pcap4j.packet.namednumber.IcmpV6Type;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;

class NdpTest {
    private static final Ipv6Address GUEST_LL = Ipv6Address.parse("fe80::5054:ff:fe12:3456");
    private static final Ipv6Address ROUTER_LL = Ipv6Address.parse("fe80::1");
    private static final MacAddress GUEST_MAC = MacAddress.parse("52:54:00:12:34:56");
    private static final MacAddress ROUTER_MAC = MacAddress.parse("52:55:55:12:34:56");

    /**
     * A Neighbor Solicitation from the guest's link-local address for fe80::1, to its solicited-node address, with a
     * source link-layer address option. Checksum computed by a separate Python script over the pseudo header.
     */
    static final String NEIGHBOR_SOLICITATION = """
            87 00 72 22        # type 135, code 0, checksum
            00 00 00 00        # reserved
            fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01    # target fe80::1
            01 01 52 54 00 12 34 56                            # source link-layer address 52:54:00:12:34:56
            """;

    /**
     * A Router Advertisement from fe80::1 to ff02::1 with every option this stack writes, in its order. Bytes and
     * checksum computed by a separate Python script.
     */
    static final String ROUTER_ADVERTISEMENT = """
            86 00 b5 73        # type 134, code 0, checksum
            40 00 07 08        # cur hop limit 64, flags none, router lifetime 1800 s
            00 00 00 00        # reachable time 0
            00 00 00 00        # retrans timer 0
            01 01 52 55 55 12 34 56                            # source link-layer address
            05 01 00 00 00 00 05 dc                            # MTU 1500
            03 04 40 c0 00 01 51 80 00 00 38 40 00 00 00 00    # prefix info /64 L A, valid 86400, preferred 14400
            fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00    #   fd00:1::
            19 03 00 00 00 00 0e 10                            # RDNSS, lifetime 3600
            fd 00 00 01 00 00 00 00 00 00 00 00 00 00 00 01    #   fd00:1::1
            1f 04 00 00 00 00 0e 10                            # DNSSL, length 4 (32 bytes), lifetime 3600
            03 6c 61 6e 00                                     #   lan
            06 6f 66 66 69 63 65 04 74 65 73 74 00             #   office.test
            00 00 00 00 00 00                                  #   padding
            """;

    static Icmpv6Repr.RouterAdvertisement routerAdvertisement() {
        return new Icmpv6Repr.RouterAdvertisement(64, 0, 1800, 0, 0, new NdpOptions(ROUTER_MAC, null, 1500,
                List.of(NdpPrefixInformation.slaac(Ipv6Prefix.parse("fd00:1::/64"), 86400, 14400)),
                List.of(new NdpRdnss(3600, List.of(Ipv6Address.parse("fd00:1::1")))),
                List.of(new NdpDnssl(3600, List.of("lan", "office.test.")))));
    }

    private static byte[] emit(Icmpv6Repr repr, Ipv6Address src, Ipv6Address dst) {
        ByteBuf out = Unpooled.buffer(repr.bufferLength());
        out.writerIndex(repr.emit(out, 0, src, dst));
        return HexLiteral.toArray(out);
    }

    /** Parses an ICMPv6 message given as bytes, sent from {@code src} to {@code dst}. */
    private static ParseResult<Icmpv6Repr> parse(byte[] message, Ipv6Address src, Ipv6Address dst) {
        return Icmpv6Repr.parse(ok(Icmpv6Packet.checked(Unpooled.wrappedBuffer(message), 0, message.length)), src,
                dst);
    }

    /** {@code message} with its checksum recomputed for {@code src} to {@code dst} by the reference loop. */
    private static byte[] withChecksum(byte[] message, Ipv6Address src, Ipv6Address dst) {
        message[2] = 0;
        message[3] = 0;
        int c = Ipv6TestPackets.referenceChecksum(src, dst, 58, message);
        message[2] = (byte) (c >>> 8);
        message[3] = (byte) c;
        return message;
    }

    @Test
    void neighborSolicitationMatchesTheKnownAnswer() {
        Icmpv6Repr.NeighborSolicitation ns = new Icmpv6Repr.NeighborSolicitation(ROUTER_LL,
                NdpOptions.sourceLinkLayer(GUEST_MAC));
        Ipv6Address dst = ROUTER_LL.solicitedNodeMulticast();
        assertEquals("ff02::1:ff00:1", dst.toString());
        byte[] expected = HexLiteral.bytes(NEIGHBOR_SOLICITATION);
        assertArrayEquals(expected, emit(ns, GUEST_LL, dst), HexLiteral.hex(emit(ns, GUEST_LL, dst)));
        assertEquals(ns, ok(parse(expected, GUEST_LL, dst)));
        assertEquals("ICMP6, neighbor solicitation, who has fe80::1, length 32, source link-address 52:54:00:12:34:56",
                ns.toString());
    }

    @Test
    void routerAdvertisementMatchesTheKnownAnswerAndPcap4jReadsIt() throws Exception {
        Icmpv6Repr.RouterAdvertisement ra = routerAdvertisement();
        byte[] expected = HexLiteral.bytes(ROUTER_ADVERTISEMENT);
        assertEquals(120, ra.bufferLength());
        assertArrayEquals(expected, emit(ra, ROUTER_LL, Ipv6Address.ALL_NODES),
                HexLiteral.hex(emit(ra, ROUTER_LL, Ipv6Address.ALL_NODES)));
        Icmpv6Repr.RouterAdvertisement parsed = assertInstanceOf(Icmpv6Repr.RouterAdvertisement.class,
                ok(parse(expected, ROUTER_LL, Ipv6Address.ALL_NODES)));
        assertEquals(ra, parsed);
        assertEquals(List.of("lan", "office.test"), parsed.options().dnssl().get(0).domains());
        assertFalse(parsed.managed());
        assertTrue(parsed.options().prefixes().get(0).autonomous());
        assertEquals("ICMP6, router advertisement, length 120, hop limit 64, Flags [none], router lifetime 1800s, "
                + "reachable time 0ms, retrans timer 0ms, source link-address 52:55:55:12:34:56, mtu 1500, "
                + "prefix info: LA valid time 86400s, pref. time 14400s, prefix fd00:1::/64, "
                + "rdnss option: lifetime 3600s, addr: fd00:1::1, dnssl option: lifetime 3600s, domain(s): lan, "
                + "office.test", ra.toString());

        byte[] frame = Ipv6TestPackets.frame(packetOf(ra, ROUTER_LL, Ipv6Address.ALL_NODES, 255));
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        assertTrue(eth.get(IcmpV6CommonPacket.class).hasValidChecksum(ROUTER_LL.toInetAddress(),
                Ipv6Address.ALL_NODES.toInetAddress(), false));
        IcmpV6RouterAdvertisementPacket.IcmpV6RouterAdvertisementHeader h =
                eth.get(IcmpV6RouterAdvertisementPacket.class).getHeader();
        assertEquals(64, h.getCurHopLimitAsInt());
        assertEquals(1800, h.getRouterLifetimeAsInt());
        assertFalse(h.getManagedAddressConfigurationFlag());
        List<?> options = h.getOptions();
        assertEquals(5, options.size());
        assertArrayEquals(ROUTER_MAC.toBytes(),
                ((IpV6NeighborDiscoverySourceLinkLayerAddressOption) options.get(0)).getLinkLayerAddress());
        assertEquals(1500, ((IpV6NeighborDiscoveryMtuOption) options.get(1)).getMtu());
        IpV6NeighborDiscoveryPrefixInformationOption prefix =
                (IpV6NeighborDiscoveryPrefixInformationOption) options.get(2);
        assertEquals(64, prefix.getPrefixLengthAsInt());
        assertTrue(prefix.getOnLinkFlag());
        assertTrue(prefix.getAddressConfigurationFlag());
        assertEquals(86400, prefix.getValidLifetime());
        assertEquals(14400, prefix.getPreferredLifetime());
        assertEquals(Ipv6Address.parse("fd00:1::").toInetAddress(), prefix.getPrefix());
        // pcap4j 1.8.2 knows neither RDNSS nor DNSSL; its raw view of them must still be ours.
        UnknownIpV6NeighborDiscoveryOption rdnss = (UnknownIpV6NeighborDiscoveryOption) options.get(3);
        assertEquals(25, rdnss.getType().value() & 0xFF);
        assertEquals(3, rdnss.getLengthAsInt());
        assertEquals(32, ((UnknownIpV6NeighborDiscoveryOption) options.get(4)).getRawData().length);
    }

    @Test
    void neighborAdvertisementReadByPcap4j() throws Exception {
        Icmpv6Repr.NeighborAdvertisement na = new Icmpv6Repr.NeighborAdvertisement(true, true, true, ROUTER_LL,
                NdpOptions.targetLinkLayer(ROUTER_MAC));
        assertEquals("ICMP6, neighbor advertisement, tgt is fe80::1, length 32, Flags [router, solicited, override], "
                + "destination link-address 52:55:55:12:34:56", na.toString());
        byte[] frame = Ipv6TestPackets.frame(packetOf(na, ROUTER_LL, GUEST_LL, 255));
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        assertTrue(eth.get(IcmpV6CommonPacket.class).hasValidChecksum(ROUTER_LL.toInetAddress(),
                GUEST_LL.toInetAddress(), false));
        IcmpV6NeighborAdvertisementPacket.IcmpV6NeighborAdvertisementHeader h =
                eth.get(IcmpV6NeighborAdvertisementPacket.class).getHeader();
        assertTrue(h.getRouterFlag());
        assertTrue(h.getSolicitedFlag());
        assertTrue(h.getOverrideFlag());
        assertEquals(ROUTER_LL.toInetAddress(), h.getTargetAddress());
        assertArrayEquals(ROUTER_MAC.toBytes(),
                ((IpV6NeighborDiscoveryTargetLinkLayerAddressOption) h.getOptions().get(0)).getLinkLayerAddress());
    }

    @Test
    void parsesANeighborSolicitationPcap4jBuilt() throws Exception {
        IpV6NeighborDiscoverySourceLinkLayerAddressOption slla =
                new IpV6NeighborDiscoverySourceLinkLayerAddressOption.Builder()
                        .linkLayerAddress(GUEST_MAC.toBytes()).correctLengthAtBuild(true).build();
        IcmpV6NeighborSolicitationPacket.Builder ns = new IcmpV6NeighborSolicitationPacket.Builder()
                .reserved(0).targetAddress(ROUTER_LL.toInetAddress()).options(List.of(slla));
        Ipv6Address dst = ROUTER_LL.solicitedNodeMulticast();
        IcmpV6CommonPacket.Builder icmp = new IcmpV6CommonPacket.Builder()
                .srcAddr(GUEST_LL.toInetAddress()).dstAddr(dst.toInetAddress())
                .type(IcmpV6Type.NEIGHBOR_SOLICITATION).code(IcmpV6Code.NO_CODE)
                .payloadBuilder(ns).correctChecksumAtBuild(true);
        byte[] packet = new IpV6Packet.Builder().version(IpVersion.IPV6)
                .trafficClass(IpV6SimpleTrafficClass.newInstance((byte) 0))
                .flowLabel(IpV6SimpleFlowLabel.newInstance(0)).nextHeader(IpNumber.ICMPV6).hopLimit((byte) 255)
                .srcAddr(GUEST_LL.toInetAddress()).dstAddr(dst.toInetAddress()).correctLengthAtBuild(true)
                .payloadBuilder(icmp).build().getRawData();
        assertArrayEquals(HexLiteral.bytes(NEIGHBOR_SOLICITATION), Arrays.copyOfRange(packet, 40, packet.length),
                "pcap4j writes the same bytes as the known answer");
        Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
        Icmpv6Repr parsed = ok(NdpValidation.parse(ip, ok(Icmpv6Packet.checked(ip))));
        assertEquals(new Icmpv6Repr.NeighborSolicitation(ROUTER_LL, NdpOptions.sourceLinkLayer(GUEST_MAC)), parsed);
    }

    @Test
    void optionsWithZeroOrOverlongLengthAreRefused() {
        byte[] ns = HexLiteral.bytes(NEIGHBOR_SOLICITATION);
        Ipv6Address dst = ROUTER_LL.solicitedNodeMulticast();
        String[][] cases = {
            // option bytes replacing the source link-layer address option, expected detail
            {"01 00 52 54 00 12 34 56", "ndp option length 0"},
            {"01 02 52 54 00 12 34 56", "ndp option past end of message"},
            {"01 01 52 54 00 12 34 56 0e", "ndp option past end of message"},
            {"01 01 52 54 00 12 34 56 0e 00 00 00 00 00 00 00", "ndp option length 0"},
            {"01 02 52 54 00 12 34 56 00 00 00 00 00 00 00 00", "ndp link-layer address option length not 1"},
            {"05 02 00 00 00 00 05 dc 00 00 00 00 00 00 00 00", "ndp mtu option length not 1"},
            {"19 02 00 00 00 00 0e 10 fd 00 00 01 00 00 00 00", "ndp rdnss option length not 3, 5, 7, ..."},
            {"19 04 00 00 00 00 0e 10" + " 00".repeat(24), "ndp rdnss option length not 3, 5, 7, ..."},
            {"03 04 81 c0" + " 00".repeat(28), "ndp prefix information option length not 4 or prefix > 128"},
            {"03 03 40 c0" + " 00".repeat(20), "ndp prefix information option length not 4 or prefix > 128"},
            {"1f 01 00 00 00 00 0e 10", "ndp dnssl option not a list of domain names"},
            {"1f 02 00 00 00 00 0e 10 03 6c 61 6e 00 00 00 01", "ndp dnssl option not a list of domain names"},
            {"1f 02 00 00 00 00 0e 10 03 6c 61 6e 03 6c 61 6e", "ndp dnssl option not a list of domain names"},
            {"1f 02 00 00 00 00 0e 10 c0 0c 00 00 00 00 00 00", "ndp dnssl option not a list of domain names"},
            {"1f 02 00 00 00 00 0e 10 03 6c 2e 6e 00 00 00 00", "ndp dnssl option not a list of domain names"},
            {"1f 02 00 00 00 00 0e 10 00 00 00 00 00 00 00 00", "ndp dnssl option not a list of domain names"},
            {"1f 02 00 00 00 00 0e 10 07 6c 61 6e 00 00 00 00", "ndp dnssl option not a list of domain names"},
        };
        for (String[] c : cases) {
            byte[] message = withChecksum(Ipv6TestPackets.concat(Arrays.copyOf(ns, 24), HexLiteral.bytes(c[0])),
                    GUEST_LL, dst);
            ParseResult<Icmpv6Repr> r = parse(message, GUEST_LL, dst);
            assertEquals(ParseError.MALFORMED, r.error(), c[0]);
            assertEquals(c[1], ((ParseResult.Failed<Icmpv6Repr>) r).detail(), c[0]);
        }
    }

    @Test
    void unknownOptionsAreSkippedAndDuplicatesKeepTheFirst() {
        byte[] ns = HexLiteral.bytes(NEIGHBOR_SOLICITATION);
        Ipv6Address dst = ROUTER_LL.solicitedNodeMulticast();
        byte[] message = withChecksum(Ipv6TestPackets.concat(ns,
                HexLiteral.bytes("0e 01 01 02 03 04 05 06"),          // Nonce (RFC 3971), not kept
                HexLiteral.bytes("01 01 02 00 00 00 00 01"),          // a second source link-layer address
                HexLiteral.bytes("05 01 00 00 00 00 05 dc"),          // MTU 1500
                HexLiteral.bytes("05 01 00 00 00 00 05 00"),          // a second MTU
                HexLiteral.bytes("18 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00")), // Route Information
                GUEST_LL, dst);
        Icmpv6Repr.NeighborSolicitation parsed = assertInstanceOf(Icmpv6Repr.NeighborSolicitation.class,
                ok(parse(message, GUEST_LL, dst)));
        assertEquals(GUEST_MAC, parsed.options().sourceLinkLayerAddress());
        assertEquals(1500, parsed.options().mtu());
        assertTrue(parsed.options().prefixes().isEmpty());
    }

    @Test
    void ndpMessagesShorterThanTheirFixedPart() {
        Ipv6Address dst = Ipv6Address.ALL_ROUTERS;
        int[][] types = {{135, 24}, {136, 24}, {134, 16}, {137, 40}};
        for (int[] t : types) {
            for (int n = 8; n < t[1]; n += 4) {
                byte[] message = new byte[n];
                message[0] = (byte) t[0];
                withChecksum(message, GUEST_LL, dst);
                ParseResult<Icmpv6Repr> r = parse(message, GUEST_LL, dst);
                assertEquals(ParseError.TRUNCATED, r.error(), "type " + t[0] + " length " + n);
            }
        }
        byte[] rs = withChecksum(HexLiteral.bytes("85 00 00 00 00 00 00 00"), GUEST_LL, dst);
        assertEquals(new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE), ok(parse(rs, GUEST_LL, dst)));
    }

    @Test
    void dnsslNamesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1, List.of(".")));
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1, List.of("a..b")));
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1, List.of("a".repeat(64))));
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1, List.of("sp ace")));
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1, List.of("\u00e9t\u00e9")));
        assertThrows(IllegalArgumentException.class,
                () -> new NdpDnssl(1, List.of(("a".repeat(63) + ".").repeat(4) + "a")));
        assertThrows(IllegalArgumentException.class, () -> new NdpDnssl(1L << 32, List.of("lan")));
        assertEquals(List.of("lan"), new NdpDnssl(1, List.of("lan.")).domains());
        // Exactly 8 bytes of names: no padding.
        NdpDnssl exact = new NdpDnssl(7, List.of("abcdef"));
        assertEquals(16, exact.encodedLength());
        ByteBuf out = Unpooled.buffer(16);
        exact.emit(out, 0);
        out.writerIndex(16);
        assertEquals(exact, NdpDnssl.read(out, 0, 16));
        assertThrows(IllegalArgumentException.class, () -> new NdpRdnss(1, List.of()));
    }

    @Test
    void validationOfRfc4861() {
        Ipv6Address solicited = ROUTER_LL.solicitedNodeMulticast();
        MacAddress mac = GUEST_MAC;
        Object[][] cases = {
            // message, source, destination, hop limit, violation (null = valid)
            {new Icmpv6Repr.NeighborSolicitation(ROUTER_LL, NdpOptions.sourceLinkLayer(mac)), GUEST_LL, solicited,
                255, null},
            {new Icmpv6Repr.NeighborSolicitation(ROUTER_LL, NdpOptions.sourceLinkLayer(mac)), GUEST_LL, solicited,
                64, "ndp hop limit not 255"},
            {new Icmpv6Repr.NeighborSolicitation(Ipv6Address.ALL_NODES, NdpOptions.NONE), GUEST_LL, solicited, 255,
                "ndp neighbor solicitation target multicast"},
            {new Icmpv6Repr.NeighborSolicitation(GUEST_LL, NdpOptions.NONE), Ipv6Address.UNSPECIFIED,
                GUEST_LL.solicitedNodeMulticast(), 255, null},
            {new Icmpv6Repr.NeighborSolicitation(GUEST_LL, NdpOptions.NONE), Ipv6Address.UNSPECIFIED, GUEST_LL, 255,
                "ndp neighbor solicitation from :: not to a solicited-node address"},
            {new Icmpv6Repr.NeighborSolicitation(GUEST_LL, NdpOptions.sourceLinkLayer(mac)), Ipv6Address.UNSPECIFIED,
                GUEST_LL.solicitedNodeMulticast(), 255,
                "ndp neighbor solicitation from :: with a source link-layer address"},
            {new Icmpv6Repr.NeighborAdvertisement(false, true, true, GUEST_LL, NdpOptions.NONE), GUEST_LL, ROUTER_LL,
                255, null},
            {new Icmpv6Repr.NeighborAdvertisement(false, true, true, GUEST_LL, NdpOptions.NONE), GUEST_LL,
                Ipv6Address.ALL_NODES, 255, "ndp neighbor advertisement to multicast with the solicited flag"},
            {new Icmpv6Repr.NeighborAdvertisement(false, false, true, GUEST_LL, NdpOptions.NONE), GUEST_LL,
                Ipv6Address.ALL_NODES, 255, null},
            {new Icmpv6Repr.NeighborAdvertisement(false, false, true, Ipv6Address.ALL_NODES, NdpOptions.NONE),
                GUEST_LL, ROUTER_LL, 255, "ndp neighbor advertisement target multicast"},
            {new Icmpv6Repr.RouterSolicitation(NdpOptions.sourceLinkLayer(mac)), GUEST_LL, Ipv6Address.ALL_ROUTERS,
                255, null},
            {new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE), Ipv6Address.UNSPECIFIED, Ipv6Address.ALL_ROUTERS,
                255, null},
            {new Icmpv6Repr.RouterSolicitation(NdpOptions.sourceLinkLayer(mac)), Ipv6Address.UNSPECIFIED,
                Ipv6Address.ALL_ROUTERS, 255, "ndp router solicitation from :: with a source link-layer address"},
            {routerAdvertisement(), ROUTER_LL, Ipv6Address.ALL_NODES, 255, null},
            {routerAdvertisement(), Ipv6Address.parse("fd00:1::1"), Ipv6Address.ALL_NODES, 255,
                "ndp router advertisement source not link-local"},
            {new Icmpv6Repr.Redirect(ROUTER_LL, GUEST_LL, NdpOptions.NONE), ROUTER_LL, GUEST_LL, 255, null},
            {new Icmpv6Repr.Redirect(Ipv6Address.parse("fd00::5"), Ipv6Address.parse("fd00::5"), NdpOptions.NONE),
                ROUTER_LL, GUEST_LL, 255, null},
            {new Icmpv6Repr.Redirect(Ipv6Address.parse("fd00::5"), Ipv6Address.parse("fd00::6"), NdpOptions.NONE),
                ROUTER_LL, GUEST_LL, 255, "ndp redirect target neither link-local nor the destination"},
            {new Icmpv6Repr.Redirect(ROUTER_LL, Ipv6Address.ALL_NODES, NdpOptions.NONE), ROUTER_LL, GUEST_LL, 255,
                "ndp redirect destination multicast"},
            {new Icmpv6Repr.Redirect(ROUTER_LL, GUEST_LL, NdpOptions.NONE), Ipv6Address.parse("fd00::1"), GUEST_LL,
                255, "ndp redirect source not link-local"},
            {new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER), GUEST_LL, ROUTER_LL, 1, null},
        };
        for (Object[] c : cases) {
            Icmpv6Repr repr = (Icmpv6Repr) c[0];
            byte[] packet = packetOf(repr, (Ipv6Address) c[1], (Ipv6Address) c[2], (int) c[3]);
            Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
            Icmpv6Packet icmp = ok(Icmpv6Packet.checked(ip));
            assertEquals(c[4], NdpValidation.violation(ip, icmp, ok(Icmpv6Repr.parse(icmp, ip))), repr.toString());
            ParseResult<Icmpv6Repr> r = NdpValidation.parse(ip, icmp);
            if (c[4] == null) {
                assertEquals(repr, ok(r));
            } else {
                assertEquals(ParseError.MALFORMED, r.error());
                assertEquals(c[4], ((ParseResult.Failed<Icmpv6Repr>) r).detail());
            }
        }

        // Code not 0.
        byte[] packet = packetOf(new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE), GUEST_LL,
                Ipv6Address.ALL_ROUTERS, 255);
        packet[41] = 1;
        withChecksumAt(packet, GUEST_LL, Ipv6Address.ALL_ROUTERS);
        Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
        assertEquals(ParseError.MALFORMED, NdpValidation.parse(ip, ok(Icmpv6Packet.checked(ip))).error());
        assertEquals("ndp code not 0", NdpValidation.violation(ip, ok(Icmpv6Packet.checked(ip)),
                ok(Icmpv6Repr.parse(ok(Icmpv6Packet.checked(ip)), ip))));
        // A bad checksum is the parse's failure, passed on.
        packet[44] ^= 1;
        assertEquals(ParseError.BAD_CHECKSUM, NdpValidation.parse(ip, ok(Icmpv6Packet.checked(ip))).error());
        assertTrue(NdpValidation.isNdp(133));
        assertFalse(NdpValidation.isNdp(138));
        assertNull(NdpValidation.violation(ip, ok(Icmpv6Packet.checked(ip)),
                new Icmpv6Repr.EchoReply(1, 1, Unpooled.EMPTY_BUFFER)));
    }

    /** Recomputes the checksum of the ICMPv6 message after the 40-byte header of {@code packet}. */
    private static void withChecksumAt(byte[] packet, Ipv6Address src, Ipv6Address dst) {
        byte[] message = withChecksum(Arrays.copyOfRange(packet, 40, packet.length), src, dst);
        System.arraycopy(message, 0, packet, 40, message.length);
    }
}
