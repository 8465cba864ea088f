package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * UDP NAT66 with a namespace guest that takes its IPv6 address by SLAAC (Linux's own RA handling, set in its namespace
 * only): UDP to the gateway's IPv6 address reaches the host's {@code [::1]} (the IPv6 host alias) and the echo comes
 * back; a closed {@code [::1]} port makes the guest's {@code recv} fail with ECONNREFUSED (the host's ICMPv6 port
 * unreachable, relayed); with {@code --no-outside} another IPv6 destination is refused (counted in /stats) and
 * nothing leaves the switch.
 *
 * <p>Network safety: the host side is only {@code ::1}; the guest only addresses the gateway's ULA address and, with
 * {@code --no-outside}, the documentation address {@code 2001:db8::1}, which the switch refuses to dial; DNS is kept
 * off the machine's resolver.
 */
class Nat66IT {
    private static final String GATEWAY6 = Ipv6LanIT.GATEWAY6;

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
