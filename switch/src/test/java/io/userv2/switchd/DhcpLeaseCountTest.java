package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpPacket;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.e2e.Frames;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /stats} and {@code /metrics} count the DHCP leases {@code /services/dhcp/leases} lists, through the real
 * wiring: a fake VM on a unix socket takes a lease and releases it; a static lease is listed and counted throughout.
 */
class DhcpLeaseCountTest {
    static final long WAIT = 5_000;
    static final MacAddress VM = MacAddress.parse("52:55:55:12:34:56");
    static final MacAddress STATIC_MAC = MacAddress.parse("52:55:55:00:00:99");
    static final String GW = "192.168.104.2";
    static final String GW_MAC = SwitchConfig.DEFAULT_GATEWAY_MAC.toString();

    @TempDir
    Path dir;
    VirtualNetwork net;
    int xid = 0x5000;

    @AfterEach
    void stop() {
        if (net != null) {
            net.close();
        }
    }

    void start() throws Exception {
        Path resolv = Files.writeString(dir.resolve("resolv.conf"), "search corp.test\n");
        net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(dir.resolve("net.sock"))),
                SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse(GW), SwitchConfig.DEFAULT_GATEWAY_MAC, 1500, null,
                new DhcpSettings(null, List.of(new StaticLease(Ipv4Address.parse("192.168.104.99"), STATIC_MAC))),
                new DnsSettings(Map.of(), List.of(), false,
                        List.of(new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), 1)),
                        resolv, null, List.of()),
                NatSettings.DEFAULT, ForwardSettings.NONE, null).withIpv6(Ipv6Settings.OFF));
        net.start();
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

    static byte[] encode(DhcpRepr m) {
        ByteBuf b = Unpooled.buffer(m.encodedLength());
        byte[] out = new byte[m.emit(b, 0)];
        b.getBytes(0, out);
        return out;
    }

    DhcpRepr.Builder message(DhcpMessageType type) {
        return DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).xid(++xid).chaddr(VM).messageType(type);
    }

    /** The next DHCP reply to the VM (other frames, such as the gateway's ARP, are skipped). */
    static DhcpRepr awaitReply(VmClient vm) throws Exception {
        long deadline = System.nanoTime() + WAIT * 1_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] f = vm.receive(WAIT);
            if (Frames.isIpv4(f, 17) && ((f[14 + Frames.ipHeaderLength(f) + 2] & 0xff) << 8
                    | (f[14 + Frames.ipHeaderLength(f) + 3] & 0xff)) == 68) {
                int start = 14 + Frames.ipHeaderLength(f) + 8;
                ByteBuf payload = Unpooled.wrappedBuffer(f, start, 14 + Frames.ipTotalLength(f) - start);
                return DhcpRepr.parse(DhcpPacket.checked(payload).orNull()).orNull();
            }
        }
        throw new AssertionError("no DHCP reply within " + WAIT + " ms");
    }

    /** What {@code /stats} says under dhcp.leases. */
    long statsLeases() throws Exception {
        Map<String, Object> stats = new NetworkControlPlane(net).stats();
        return ((Number) ((Map<?, ?>) stats.get("dhcp")).get("leases")).longValue();
    }

    /** The {@code userv2_dhcp_leases} gauge of {@code /metrics}. */
    long metricsLeases() throws Exception {
        for (String line : new NetworkControlPlane(net).metrics().split("\n")) {
            if (line.startsWith("userv2_dhcp_leases ")) {
                return Long.parseLong(line.substring("userv2_dhcp_leases ".length()).trim());
            }
        }
        throw new AssertionError("no userv2_dhcp_leases in /metrics");
    }

    /** Asserts that /stats and /metrics count the leases of the list, less the gateway's own entry. */
    void assertCountsAgree(Map<String, String> expectedList) throws Exception {
        Map<String, String> list = new NetworkControlPlane(net).leases();
        assertEquals(expectedList, list);
        assertEquals(list.size() - 1, statsLeases(), "/stats against " + list);
        assertEquals(list.size() - 1, metricsLeases(), "/metrics against " + list);
    }

    @Test
    void aReleasedLeaseLeavesTheListAndTheCountsAlike() throws Exception {
        start();
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(GW, GW_MAC);
        expected.put("192.168.104.99", STATIC_MAC.toString());
        assertCountsAgree(expected);
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock"))) {
            vm.send(Frames.udp(VM.toString(), "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67,
                    encode(message(DhcpMessageType.DISCOVER).build())));
            DhcpRepr offer = awaitReply(vm);
            assertEquals(DhcpMessageType.OFFER, offer.messageType());
            Ipv4Address ip = offer.yiaddr();
            vm.send(Frames.udp(VM.toString(), "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67,
                    encode(message(DhcpMessageType.REQUEST).serverIdentifier(Ipv4Address.parse(GW))
                            .requestedIp(ip).build())));
            assertEquals(DhcpMessageType.ACK, awaitReply(vm).messageType());
            expected.put(ip.toString(), VM.toString());
            assertCountsAgree(expected);
            Map<?, ?> dhcp = (Map<?, ?>) new NetworkControlPlane(net).stats().get("dhcp");
            assertEquals(1L, ((Number) dhcp.get("offers")).longValue(), dhcp.toString());
            assertEquals(1L, ((Number) dhcp.get("acks")).longValue(), dhcp.toString());
            assertEquals(0L, ((Number) dhcp.get("optionsLeftOut")).longValue(), dhcp.toString());

            // RFC 2131 4.4.6: the client "sends a DHCPRELEASE message to the server" (unicast, from its address).
            vm.send(Frames.udp(VM.toString(), GW_MAC, ip.toString(), GW, 68, 67,
                    encode(message(DhcpMessageType.RELEASE).ciaddr(ip).serverIdentifier(Ipv4Address.parse(GW))
                            .build())));
            long deadline = System.nanoTime() + WAIT * 1_000_000L;
            while (onLoop(() -> net.services().dhcp().counters().releases()) == 0) {
                assertTrue(System.nanoTime() < deadline, "the RELEASE was not handled within " + WAIT + " ms");
                Thread.sleep(5); // between polls of the condition, not instead of it
            }
            expected.remove(ip.toString());
            assertCountsAgree(expected);
            // The server still remembers the association (the VM gets the same address back): it is just not
            // counted, as it is not listed.
            assertEquals(2, onLoop(() -> net.services().dhcp().leases().size()));
        }
    }
}
