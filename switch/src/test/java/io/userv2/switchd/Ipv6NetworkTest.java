package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.stack.wire.NdpValidation;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.e2e.Frames;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * IPv6 through the whole wiring in-process, a fake VM on a real unix socket: Router Advertisements with the
 * configured prefix, the gateway's DNS address and the search list; DNS over IPv6 at the gateway; AAAA names for
 * the addresses a named VM uses; counters in /stats and /metrics; and with {@code --ipv6=off}, none of it.
 */
class Ipv6NetworkTest {
    static final long WAIT = 5_000;
    static final MacAddress VM_MAC = MacAddress.parse("52:55:55:12:34:56");
    static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd12:3456:789a::/64");
    static final Ipv6Address GW_ULA = Ipv6Address.parse("fd12:3456:789a::2");
    static final Ipv6Address GW_LL = Ipv6Address.linkLocalFromMac(SwitchConfig.DEFAULT_GATEWAY_MAC.bits());
    static final Ipv6Address VM_LL = Ipv6Address.linkLocalFromMac(VM_MAC.bits());
    static final Ipv6Address VM_ULA = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM_MAC.bits()));

    @TempDir
    Path dir;
    VirtualNetwork net;

    void start(Ipv6Settings ipv6) throws Exception {
        Path resolv = Files.writeString(dir.resolve("resolv.conf"), "search corp.test lab.test\n");
        net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(dir.resolve("net.sock"))),
                SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC,
                1500, null, DhcpSettings.EPHEMERAL,
                new DnsSettings(Map.of(), List.of(), false,
                        List.of(new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), 1)),
                        resolv, null, List.of()),
                NatSettings.DEFAULT, ForwardSettings.NONE, null).withIpv6(ipv6));
        net.start();
    }

    @AfterEach
    void stop() {
        if (net != null) {
            net.close();
        }
    }

    <T> T onLoop(Supplier<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        net.loop().execute(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(WAIT, TimeUnit.MILLISECONDS);
    }

    static byte[] frame(long dstMac, Ipv6Address src, Ipv6Address dst, int nextHeader, int hopLimit, ByteBuf body) {
        int length = body.readableBytes();
        ByteBuf out = Unpooled.buffer(54 + length);
        int offset = new EthernetRepr(MacAddress.of(dstMac), VM_MAC, EtherType.IPV6).emit(out, 0);
        offset += new Ipv6Repr(src, dst, IpProtocol.of(nextHeader), length, hopLimit).emit(out, offset);
        out.setBytes(offset, body, body.readerIndex(), length);
        byte[] bytes = new byte[54 + length];
        out.getBytes(0, bytes);
        return bytes;
    }

    static byte[] icmp(Ipv6Address src, Ipv6Address dst, int hopLimit, Icmpv6Repr icmp) {
        ByteBuf body = Unpooled.buffer(icmp.bufferLength());
        icmp.emit(body, 0, src, dst);
        body.writerIndex(icmp.bufferLength());
        long dstMac = dst.isMulticast() ? dst.multicastMac() : SwitchConfig.DEFAULT_GATEWAY_MAC.bits();
        return frame(dstMac, src, dst, IpProtocol.ICMPV6_NUMBER, hopLimit, body);
    }

    static byte[] dnsQuery(String name, int type, Ipv6Address src, Ipv6Address dst) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        byte[] wire = q.toWire();
        UdpRepr udp = new UdpRepr(41000, 53, wire.length);
        ByteBuf body = Unpooled.buffer(udp.totalLength());
        body.setBytes(8, wire);
        udp.emit(body, 0, src, dst);
        body.writerIndex(udp.totalLength());
        return frame(SwitchConfig.DEFAULT_GATEWAY_MAC.bits(), src, dst, IpProtocol.UDP_NUMBER, 64, body);
    }

    /** The IPv6 packet in {@code frame}, or null. */
    static Ipv6Packet ipv6(byte[] frame) {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        EthernetFrame eth = EthernetFrame.checked(buf).orNull();
        return eth == null || eth.payloadEtherTypeValue() != EtherType.IPV6_VALUE ? null
                : Ipv6Packet.checked(eth).orNull();
    }

    /** The ICMPv6 message of {@code frame}, validated, or null. */
    static Icmpv6Repr icmpOf(byte[] frame) {
        Ipv6Packet ip = ipv6(frame);
        if (ip == null || ip.protocolNumber() != IpProtocol.ICMPV6_NUMBER) {
            return null;
        }
        ParseResult<Icmpv6Repr> r = NdpValidation.parse(ip, Icmpv6Packet.checked(ip).orNull());
        return r instanceof ParseResult.Ok<Icmpv6Repr> ok ? ok.value() : null;
    }

    static byte[] awaitFrame(VmClient vm, Predicate<byte[]> wanted) throws Exception {
        long deadline = System.nanoTime() + WAIT * 1_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] f = vm.receive(WAIT);
            if (wanted.test(f)) {
                return f;
            }
        }
        throw new AssertionError("no such frame within " + WAIT + " ms");
    }

    static Message dnsAnswer(VmClient vm) throws Exception {
        byte[] f = awaitFrame(vm, x -> {
            Ipv6Packet ip = ipv6(x);
            return ip != null && ip.protocolNumber() == IpProtocol.UDP_NUMBER;
        });
        Ipv6Packet ip = ipv6(f);
        assertEquals(GW_ULA, ip.source(), "answered from the address asked");
        UdpPacket udp = UdpPacket.checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()).orNull();
        assertTrue(udp.verifyChecksumIpv6(ip.sourceHigh(), ip.sourceLow(), ip.destinationHigh(),
                ip.destinationLow()));
        assertEquals(53, udp.srcPort());
        byte[] dns = new byte[udp.payloadLength()];
        udp.payload().getBytes(0, dns);
        return new Message(dns);
    }

    @Test
    void aSolicitationGetsTheRouterAdvertisementOfTheLan() throws Exception {
        start(new Ipv6Settings(true, PREFIX));
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock"))) {
            vm.send(icmp(VM_LL, Ipv6Address.ALL_ROUTERS, 255, new Icmpv6Repr.RouterSolicitation(
                    NdpOptions.sourceLinkLayer(VM_MAC))));
            byte[] f = awaitFrame(vm, x -> icmpOf(x) instanceof Icmpv6Repr.RouterAdvertisement
                    && VM_LL.equals(ipv6(x).destination()));
            Icmpv6Repr.RouterAdvertisement ra = (Icmpv6Repr.RouterAdvertisement) icmpOf(f);
            assertEquals(GW_LL, ipv6(f).source());
            assertEquals(PREFIX, ra.options().prefixes().get(0).prefix());
            assertTrue(ra.options().prefixes().get(0).autonomous());
            assertEquals(List.of(GW_ULA), ra.options().rdnss().get(0).servers());
            assertEquals(List.of("corp.test", "lab.test"), ra.options().dnssl().get(0).domains());
            assertEquals(1500, ra.options().mtu());
            assertEquals(1800, ra.routerLifetime());
            // The gateway answers for its address, and pings.
            vm.send(icmp(VM_ULA, GW_ULA.solicitedNodeMulticast(), 255, new Icmpv6Repr.NeighborSolicitation(GW_ULA,
                    NdpOptions.sourceLinkLayer(VM_MAC))));
            awaitFrame(vm, x -> icmpOf(x) instanceof Icmpv6Repr.NeighborAdvertisement na
                    && na.target().equals(GW_ULA));
            vm.send(icmp(VM_ULA, GW_ULA, 64, new Icmpv6Repr.EchoRequest(5, 6, Unpooled.EMPTY_BUFFER)));
            awaitFrame(vm, x -> icmpOf(x) instanceof Icmpv6Repr.EchoReply r && r.sequence() == 6);

            Map<String, Object> stats = onLoop(() -> NetworkStats.collect(net));
            @SuppressWarnings("unchecked")
            Map<String, Object> v6 = (Map<String, Object>) stats.get("ipv6");
            assertNotNull(v6, stats.toString());
            assertEquals(PREFIX.toString(), v6.get("prefix"));
            assertEquals(GW_ULA.toString(), v6.get("address"));
            assertTrue((Long) v6.get("routerAdvertisementsSent") >= 1, v6.toString());
            assertEquals(1L, v6.get("echoRepliesSent"));
            String metrics = onLoop(() -> NetworkStats.prometheus(net));
            assertTrue(metrics.contains("userv2_gateway_ipv6_total{kind=\"echo_replies_sent\"} 1"), metrics);
            assertTrue(metrics.contains("userv2_gateway_ipv6_neighbors "), metrics);
        }
    }

    @Test
    void dnsOverIpv6AnswersAndNamedVmsGetTheirAddressesAsAaaa() throws Exception {
        start(new Ipv6Settings(true, PREFIX));
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock"))) {
            vm.send(dnsQuery("host.lima.internal.", Type.A, VM_ULA, GW_ULA));
            Message m = dnsAnswer(vm);
            assertEquals(InetAddress.getByName("192.168.104.2"),
                    ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress());
            // The VM's DHCP lease names it; the address it used above is known from its traffic.
            onLoop(() -> {
                net.services().ipv6Names().onLease(new Lease(VM_MAC, Ipv4Address.parse("192.168.104.3"), "lima-vm",
                        Long.MAX_VALUE, false));
                return null;
            });
            vm.send(dnsQuery("lima-vm.internal.", Type.AAAA, VM_ULA, GW_ULA));
            m = dnsAnswer(vm);
            List<Record> aaaa = m.getSection(Section.ANSWER);
            assertEquals(1, aaaa.size(), m.toString());
            assertEquals(VM_ULA.toInetAddress(), ((AAAARecord) aaaa.get(0)).getAddress());
            // The VM's port closes: its addresses go with it.
        }
        Name n = Name.fromString("lima-vm.internal.");
        long deadline = System.nanoTime() + WAIT * 1_000_000L;
        while (!net.services().dns().zone().lookupAll(n).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(net.services().dns().zone().lookupAll(n).isEmpty(), "AAAA gone with the VM's port");
    }

    @Test
    void withIpv6OffTheGatewayIgnoresNeighborDiscoveryAsBefore() throws Exception {
        start(Ipv6Settings.OFF);
        assertNull(onLoop(() -> net.gateway().ipv6()));
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock"))) {
            vm.send(icmp(VM_LL, Ipv6Address.ALL_ROUTERS, 255, new Icmpv6Repr.RouterSolicitation(
                    NdpOptions.sourceLinkLayer(VM_MAC))));
            vm.send(icmp(VM_LL, GW_LL.solicitedNodeMulticast(), 255, new Icmpv6Repr.NeighborSolicitation(GW_LL,
                    NdpOptions.sourceLinkLayer(VM_MAC))));
            // Frames are handled in order: the ARP reply comes first only if nothing answered the two above.
            vm.send(Frames.arpRequest(VM_MAC.toString(), "192.168.104.3", "192.168.104.2"));
            byte[] first = vm.receive(WAIT);
            assertTrue(Frames.isArp(first, 2), "the first frame back must be the ARP reply");
            Map<String, Object> stats = onLoop(() -> NetworkStats.collect(net));
            assertFalse(stats.containsKey("ipv6"), stats.toString());
            assertFalse(onLoop(() -> NetworkStats.prometheus(net)).contains("ipv6"));
        }
    }
}
