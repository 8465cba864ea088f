package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NAT64 and DNS64 with an IPv6-only namespace guest (a SLAAC address from the switch's Router Advertisements, no IPv4
 * address, no DHCP): with {@code --nat64 --nat 203.0.113.5=127.0.0.1} and a hosts file naming {@code v4only.test}
 * 203.0.113.5, {@code dig AAAA v4only.test @GATEWAY6} answers {@code 64:ff9b::cb00:7105}; {@code curl -6} to that
 * name (the guest's resolver is the gateway's IPv6 address) and to the literal {@code [64:ff9b::203.0.113.5]} fetches
 * a file from an HTTP server on the host's 127.0.0.1, SHA-256 checked, and uploads one; UDP to the literal comes back
 * from a UDP echo on 127.0.0.1; a non-global address under the Well-Known Prefix ({@code 64:ff9b::10.1.2.3}) is
 * refused (RST: curl exit 7) and nothing is dialled; {@code /stats} counts all of it under {@code nat64*}.
 *
 * <p>Network safety: the host side is only 127.0.0.1 (through the {@code --nat} rule); the refused destination is
 * never dialled; DNS uses a hosts file and an upstream port on 127.0.0.1 that nothing serves.
 */
class Nat64IT {
    private static final String GATEWAY6 = Ipv6LanIT.GATEWAY6;
    private static final String DOC = "203.0.113.5";
    private static final String DOC64 = "64:ff9b::cb00:7105";

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void anIpv6OnlyGuestReachesAnIpv4HostServiceByNameAndByLiteral() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = E2e.workdir().resolve("nat64-www-" + E2e.randomHex(3));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            c.add(() -> E2e.deleteTree(www));
            Files.createDirectories(www);
            Path hosts = dir.resolve("hosts");
            Files.writeString(hosts, DOC + " v4only.test\n");
            NatHostServices host = c.add(new NatHostServices());
            String natprobe = NatTools.natprobe().toString();
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"),
                    List.of("--nat64", "--nat", DOC + "=127.0.0.1", "--hosts-file", hosts.toString(),
                            "--api", dir.resolve("api.sock").toString())));
            c.add(sw::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(
                    "unix:" + dir.resolve("net.sock")).withSlaac()));
            assertFalse(g.awaitIpv6Address(Ipv6LanIT.prefixText(), Duration.ofSeconds(30)).isEmpty(), "SLAAC");
            String v4 = g.exec(Duration.ofSeconds(10), "ip", "-4", "addr", "show", "dev", "tap0").assertOk().output();
            assertFalse(v4.contains("inet "), "the guest is IPv6-only:\n" + v4);
            Files.createDirectories(g.resolvConf().getParent());
            Files.writeString(g.resolvConf(), "nameserver " + GATEWAY6 + "\n");

            // DNS64: the hosts file's IPv4-only name gets an AAAA in the Well-Known Prefix; its A is unchanged.
            Dig aaaa = Dig.run6(g, "@" + GATEWAY6, "v4only.test", "AAAA");
            assertEquals("NOERROR", aaaa.reply().status(), aaaa.raw().toString());
            assertTrue(aaaa.reply().answers().stream().anyMatch(a -> a.endsWith(DOC64)), aaaa.raw().toString());
            Dig a = Dig.run6(g, "@" + GATEWAY6, "v4only.test", "A");
            assertTrue(a.reply().answers().stream().anyMatch(r -> r.endsWith(DOC)), a.raw().toString());

            // NAT64, TCP: by name (getaddrinfo through the gateway's DNS64) and by the literal.
            String down = NatIT.writeRandomBlob(www.resolve("down.bin"), 2, 71);
            String up = NatIT.writeRandomBlob(www.resolve("up.bin"), 2, 72);
            NatHostServices.Http http = host.http(www); // on 127.0.0.1
            int n = 0;
            for (String base : List.of("http://v4only.test:" + http.port + "/",
                    "http://[64:ff9b::" + DOC + "]:" + http.port + "/")) {
                Exec.Result get = g.exec(Duration.ofSeconds(60), "bash", "-o", "pipefail", "-c",
                        "curl -6 -sS --fail --max-time 30 " + base + "down.bin | sha256sum");
                get.assertOk();
                assertTrue(get.output().startsWith(down), base + ": download SHA-256: host " + down + ", guest "
                        + get.output());
                String id = "up64-" + (++n);
                g.exec(Duration.ofSeconds(60), "curl", "-6", "-sS", "--fail", "--max-time", "30", "-T",
                        www.resolve("up.bin").toString(), base + "upload/" + id).assertOk();
                NatHostServices.Upload got = http.uploads.get(id);
                assertTrue(got != null, base + ": the host never saw the upload");
                assertEquals(up, got.sha256(), base + ": upload SHA-256 (host end vs guest end)");
            }

            // NAT64, UDP: the echo on 127.0.0.1 answers from the address the guest used.
            NatHostServices.UdpEcho echo = host.udpEcho();
            String payload = "u2t-udp64-" + E2e.randomHex(8);
            Exec.Result pr = g.exec(Duration.ofSeconds(20), natprobe, "udp", DOC64, Integer.toString(echo.port),
                    payload, "2000", "3");
            Map<String, String> r = NatTools.result(pr);
            assertEquals("reply", r.get("result"), "no echo from 127.0.0.1: " + pr);
            assertEquals(payload, r.get("reply"));

            // RFC 6052 3.1: a non-global IPv4 address under the Well-Known Prefix is not translated.
            Exec.Result refused = g.exec(Duration.ofSeconds(30), "curl", "-6", "-sS", "--max-time", "10",
                    "http://[64:ff9b::10.1.2.3]:" + http.port + "/");
            assertEquals(7, refused.exitCode(), "refused at once (RST): " + refused);

            JsonNode nat = Ipv6LanIT.stats(dir).path("nat");
            assertEquals("64:ff9b::/96", nat.path("nat64Prefix").asText(), nat.toString());
            assertEquals(4, nat.path("nat64TcpConnectionsOpened").asLong(), "2 downloads, 2 uploads:\n" + nat);
            assertTrue(nat.path("nat64UdpDatagramsToGuest").asLong() >= 1, nat.toString());
            assertTrue(Ipv6LanIT.stats(dir).path("dns").path("dns64Synthesized").asLong() >= 1,
                    Ipv6LanIT.stats(dir).path("dns").toString());
        }
    }
}
