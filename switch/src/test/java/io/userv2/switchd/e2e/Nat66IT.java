package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NAT66 with a namespace guest that takes its IPv6 address by SLAAC (Linux's own RA handling, set in its namespace
 * only): UDP to the gateway's IPv6 address reaches the host's {@code [::1]} (the IPv6 host alias) and the echo comes
 * back; a closed {@code [::1]} port makes the guest's {@code recv} fail with ECONNREFUSED (the host's ICMPv6 port
 * unreachable, relayed); with {@code --no-outside} another IPv6 destination is refused (counted in /stats) and
 * nothing leaves the switch. TCP: {@code curl -6} moves a few MiB each way, SHA-256 checked at both ends, to an HTTP
 * server on {@code [::1]} through the gateway's IPv6 address and through {@code 2001:db8::10}, which a {@code --nat}
 * rule maps to {@code ::1}; a closed {@code [::1]} port is refused at once (curl exit 7); DNS over TCP answers on the
 * gateway's IPv6 address. Ping: the gateway answers its own IPv6 address itself (as it does its IPv4 address), while
 * {@code ping -6 2001:db8::10} goes through an ICMPv6 ping socket of the switch to {@code ::1} (the class widens
 * {@code net.ipv4.ping_group_range} for that test and puts it back); a 3000-byte ping and a 3000-byte UDP datagram,
 * which the guest's kernel fragments, are reassembled by the gateway and their replies fragmented back; with ping
 * sockets refused, {@code ping -6} is told "administratively prohibited" at once.
 *
 * <p>Network safety: the host side is only {@code ::1}; the guest only addresses the gateway's ULA address and, with
 * {@code --no-outside}, the documentation address {@code 2001:db8::1}, which the switch refuses to dial, and
 * {@code 2001:db8::10}, which the rule maps to {@code ::1}; DNS is kept off the machine's resolver.
 */
class Nat66IT {
    private static final String GATEWAY6 = Ipv6LanIT.GATEWAY6;
    /** A documentation address the TCP test maps to the host's {@code ::1} with {@code --nat}. */
    private static final String NAT_RULE_VIRTUAL = "2001:db8::10";
    /** MiB moved each way per path (a few: the 100 MiB runs are NatIT's, over IPv4). */
    private static final int BLOB_MIB = 4;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void udpThroughTheGatewaysIpv6AddressReachesTheHostsIpv6Loopback() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            NatHostServices host = c.add(new NatHostServices());
            String natprobe = NatTools.natprobe().toString();
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"),
                    List.of("--no-outside", "--api", dir.resolve("api.sock").toString())));
            c.add(sw::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(
                    "unix:" + dir.resolve("net.sock"), "192.168.104.3/24").withSlaac()));
            List<String> v6 = g.awaitIpv6Address(Ipv6LanIT.prefixText(), Duration.ofSeconds(30));
            assertTrue(!v6.isEmpty(), "a SLAAC address");

            // The echo from [::1], through the gateway's IPv6 address.
            NatHostServices.UdpEcho echo = host.udpEcho6();
            String payload = "u2t-udp6-" + E2e.randomHex(8);
            Map<String, String> r = probe(g, natprobe, "udp", GATEWAY6, Integer.toString(echo.port), payload, "2000",
                    "3");
            assertEquals("reply", r.get("result"), "no echo from [::1]: " + r);
            assertEquals(payload, r.get("reply"));
            assertTrue(echo.datagrams.get() >= 1, "the echo server on ::1 heard the guest");

            // A datagram that fills a 1500-byte frame, and back.
            String big = "B".repeat(1452); // 1500 - 40 (IPv6) - 8 (UDP)
            r = probe(g, natprobe, "udp", GATEWAY6, Integer.toString(echo.port), big, "2000", "3");
            assertEquals("reply", r.get("result"), "no echo of 1452 bytes: " + r);
            assertEquals("1452", r.get("bytes"));

            // A closed [::1] port: ECONNREFUSED in the guest.
            int closed;
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(NatHostServices.LOOPBACK6, 0))) {
                closed = s.getLocalPort();
            }
            r = probe(g, natprobe, "udp", GATEWAY6, Integer.toString(closed), "anyone", "2000", "2");
            assertEquals("error", r.get("result"), "expected ECONNREFUSED from the guest's recv: " + r);
            assertEquals("111", r.get("errno"), "ECONNREFUSED: " + r);

            // --no-outside: another IPv6 destination (via the default route the Router Advertisement gave) is never
            // dialled; the gateway answers "no route" (RFC 4443 code 0, which Linux's UDP treats as a soft error, so
            // natprobe's recv only times out).
            String routes = g.exec(Duration.ofSeconds(10), "ip", "-6", "route", "show", "default").assertOk()
                    .output();
            assertTrue(routes.contains("via " + Ipv6LanIT.GATEWAY_LL), "default route via the gateway:\n" + routes);
            int heardBefore = echo.datagrams.get();
            r = probe(g, natprobe, "udp", "2001:db8::1", Integer.toString(echo.port), "nowhere", "500", "2");
            assertEquals("timeout", r.get("result"), "nothing answers outside with --no-outside: " + r);
            JsonNode nat = Ipv6LanIT.stats(dir).path("nat");
            assertEquals(2, nat.path("udp6RefusedByPolicy").asLong(), "both datagrams refused:\n" + nat);
            assertEquals(heardBefore, echo.datagrams.get(), "nothing reached the host");
            assertTrue(nat.path("udp6DatagramsToGuest").asLong() >= 2, "echoes counted:\n" + nat);
            assertTrue(nat.path("udp6PortUnreachable").asLong() >= 1, "the closed port counted:\n" + nat);
        }
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void tcpThroughTheGatewaysIpv6AddressAndANatRuleReachesTheHostsIpv6Loopback() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = E2e.workdir().resolve("nat66-www-" + E2e.randomHex(3));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            c.add(() -> E2e.deleteTree(www));
            java.nio.file.Files.createDirectories(www);
            NatHostServices host = c.add(new NatHostServices());
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"),
                    List.of("--no-outside", "--nat", NAT_RULE_VIRTUAL + "=::1", "--dns-host", "tcp6.test=192.0.2.7",
                            "--api", dir.resolve("api.sock").toString())));
            c.add(sw::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(
                    "unix:" + dir.resolve("net.sock"), "192.168.104.3/24").withSlaac()));
            assertTrue(!g.awaitIpv6Address(Ipv6LanIT.prefixText(), Duration.ofSeconds(30)).isEmpty(), "SLAAC");

            String down = NatIT.writeRandomBlob(www.resolve("down.bin"), BLOB_MIB, 61);
            String up = NatIT.writeRandomBlob(www.resolve("up.bin"), BLOB_MIB, 62);
            NatHostServices.Http http = host.http6(www);
            int transfers = 0;
            for (String via : List.of(GATEWAY6, NAT_RULE_VIRTUAL)) {
                String base = "http://[" + via + "]:" + http.port + "/";
                Exec.Result get = g.exec(Duration.ofSeconds(90), "bash", "-o", "pipefail", "-c",
                        "curl -6 -sS --fail --max-time 60 " + base + "down.bin | sha256sum");
                get.assertOk();
                assertTrue(get.output().startsWith(down), via + ": download SHA-256: host " + down + ", guest "
                        + get.output());
                String id = "up-" + (++transfers);
                Exec.Result put = g.exec(Duration.ofSeconds(90), "curl", "-6", "-sS", "--fail", "--max-time", "60",
                        "-T", www.resolve("up.bin").toString(), base + "upload/" + id);
                put.assertOk();
                NatHostServices.Upload got = http.uploads.get(id);
                assertTrue(got != null, via + ": the host never saw the upload: " + put);
                assertEquals(BLOB_MIB * (1L << 20), got.bytes(), via + ": upload size");
                assertEquals(up, got.sha256(), via + ": upload SHA-256 (host end vs guest end)");
            }

            // A closed [::1] port: the host refuses the dial, the guest's SYN gets RST (curl exit 7), not a hang.
            int closed;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1,
                    NatHostServices.LOOPBACK6)) {
                closed = s.getLocalPort();
            }
            long t0 = System.nanoTime();
            Exec.Result refused = g.exec(Duration.ofSeconds(30), "curl", "-6", "-sS", "--max-time", "15",
                    "http://[" + GATEWAY6 + "]:" + closed + "/");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(7, refused.exitCode(), "curl should fail to connect (exit 7): " + refused);
            assertTrue(refused.output().contains("Connection refused")
                    || refused.output().contains("Couldn't connect"), refused.toString());
            assertTrue(ms < 5000, "refusal took " + ms + " ms: " + refused);

            // DNS over TCP on the gateway's IPv6 address.
            Dig tcp = Dig.run6(g, "+tcp", "@" + GATEWAY6, "tcp6.test", "A");
            assertEquals("NOERROR", tcp.reply().status(), tcp.raw().toString());
            assertTrue(tcp.reply().answers().stream().anyMatch(a -> a.endsWith("192.0.2.7")), tcp.raw().toString());
            assertTrue(tcp.raw().output().contains("(TCP)"), "over TCP: " + tcp.raw());

            JsonNode nat = Ipv6LanIT.stats(dir).path("nat");
            assertTrue(nat.path("tcp6ConnectionsOpened").asLong() >= 6, "4 transfers, the refused one, DNS:\n" + nat);
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void pingAndFragmentedDatagramsThroughTheGatewaysIpv6AddressAndANatRule() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            String range = IcmpNatIT.readRange();
            c.add(() -> IcmpNatIT.writeRange(range));
            IcmpNatIT.writeRange(IcmpNatIT.ALLOW_ROOT);
            NatHostServices host = c.add(new NatHostServices());
            String natprobe = NatTools.natprobe().toString();
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"),
                    List.of("--no-outside", "--nat", NAT_RULE_VIRTUAL + "=::1",
                            "--api", dir.resolve("api.sock").toString())));
            c.add(sw::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(
                    "unix:" + dir.resolve("net.sock"), "192.168.104.4/24").withSlaac()));
            assertFalse(g.awaitIpv6Address(Ipv6LanIT.prefixText(), Duration.ofSeconds(30)).isEmpty(), "SLAAC");

            // The gateway's own address: answered by the gateway itself, as its IPv4 address is; no ping socket.
            Guest.PingResult gw = ping(g, GATEWAY6, 3, "");
            assertEquals(3, gw.received(), gw.toString());
            JsonNode stats = Ipv6LanIT.stats(dir);
            assertTrue(stats.path("ipv6").path("echoRepliesSent").asLong() >= 3, stats.path("ipv6").toString());
            assertEquals(0, stats.path("nat").path("icmp6EchoRequestsToHost").asLong(), stats.path("nat").toString());

            // The --nat rule: through an ICMPv6 ping socket to ::1, replies from the address the guest pinged.
            Exec.Result nat = g.sh("ping -6 -n -c 3 -i 0.2 -W 2 -w 10 -p 75327432 " + NAT_RULE_VIRTUAL,
                    Duration.ofSeconds(20));
            Guest.PingResult natPing = Guest.PingResult.parse(g.name() + " -> " + NAT_RULE_VIRTUAL, nat);
            assertEquals(3, natPing.received(), "replies through a ping socket: " + nat.output());
            for (int seq = 1; seq <= 3; seq++) {
                assertTrue(nat.output().contains("from " + NAT_RULE_VIRTUAL + ": icmp_seq=" + seq + " "),
                        "reply " + seq + " from the pinged address: " + nat.output());
            }
            assertFalse(nat.output().contains("DUP!") || nat.output().contains("wrong data"), nat.output());
            JsonNode n = Ipv6LanIT.stats(dir).path("nat");
            assertTrue(n.path("icmp6EchoRequestsToHost").asLong() >= 3, "through the NAT:\n" + n);
            assertTrue(n.path("icmp6EchoRepliesToGuest").asLong() >= 3, n.toString());
            assertTrue(n.path("icmp6EchoFlows").asLong() >= 1, n.toString());

            // 3000 bytes of data: the guest fragments the request, the gateway reassembles it, the 3008-byte reply
            // comes back in fragments.
            Guest.PingResult big = ping(g, NAT_RULE_VIRTUAL, 2, "-s 3000");
            assertEquals(2, big.received(), "large echo: " + big);
            JsonNode v6 = Ipv6LanIT.stats(dir).path("ipv6");
            assertTrue(v6.path("reassembled").asLong() >= 2, "requests reassembled:\n" + v6);
            assertTrue(v6.path("fragmented").asLong() >= 2, "replies fragmented:\n" + v6);

            // A UDP datagram of 3000 bytes to an echo server on [::1] through the gateway's address, and back.
            NatHostServices.UdpEcho echo = host.udpEcho6();
            String payload = "F".repeat(3000);
            long reassembledBefore = v6.path("reassembled").asLong();
            Map<String, String> r = probe(g, natprobe, "udp", GATEWAY6, Integer.toString(echo.port), payload, "2000",
                    "3");
            assertEquals("reply", r.get("result"), "no echo of 3000 bytes: " + r);
            assertEquals("3000", r.get("bytes"));
            assertEquals(payload, r.get("reply"));
            assertTrue(Ipv6LanIT.stats(dir).path("ipv6").path("reassembled").asLong() > reassembledBefore,
                    "the datagram came in fragments and was reassembled");

            // Nobody may open ping sockets: a new flow is answered "administratively prohibited" at once, the switch
            // says why in its log, and the gateway still answers its own address.
            int from = sw.process().lineCount();
            IcmpNatIT.writeRange(IcmpNatIT.NOBODY);
            Exec.Result refused = g.sh("ping -6 -n -c 1 -W 2 -w 4 " + NAT_RULE_VIRTUAL, Duration.ofSeconds(15));
            assertTrue(refused.output().contains("Administratively prohibited"), refused.output());
            sw.process().requireLineIndex(java.util.regex.Pattern.compile(
                    "ICMPv6 echo beyond the gateway is off: .*ping_group_range"), from, Duration.ofSeconds(5));
            assertTrue(Ipv6LanIT.stats(dir).path("nat").path("icmp6EchoDropsNoPingSockets").asLong() >= 1);
            g.assertPings(GATEWAY6, 1);
            assertTrue(sw.isAlive(), sw.output());
        }
    }

    /** iputils {@code ping -6} from the guest: {@code count} requests 0.2 s apart, each waited for 2 s at most. */
    private static Guest.PingResult ping(NamespaceGuest g, String target, int count, String options) {
        Exec.Result r = g.sh("ping -6 -n -c " + count + " -i 0.2 -W 2 -w " + (count + 4) + " " + options + " "
                + target, Duration.ofSeconds(count + 15));
        return Guest.PingResult.parse(g.name() + " -> " + target, r);
    }

    private static Map<String, String> probe(NamespaceGuest g, String natprobe, String... args) {
        List<String> cmd = new ArrayList<>(List.of(natprobe));
        cmd.addAll(List.of(args));
        Exec.Result r = g.exec(Duration.ofSeconds(20), cmd.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new AssertionError("natprobe failed: " + r);
        }
        return NatTools.result(r);
    }
}
