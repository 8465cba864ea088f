package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.ApiCurl.api;
import static io.userv2.switchd.e2e.ApiCurl.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Port forwards into a VM over IPv6: a namespace guest takes its IPv6 address by SLAAC (and its name by DHCP) and
 * serves HTTP with busybox httpd; the switch forwards the host's {@code [::1]} to it, from the command line (the guest
 * named in brackets: its IPv6 address; TCP to the page and UDP to a socat echo) and through the API ({@code "remote":"[ADDRESS]:80"}, as Go's
 * net.JoinHostPort writes it), also from an IPv4 host address; curl on the host gets the guest's page. wait_port with
 * an IPv6 ip; the forward list shows the bracketed remotes; {@code /services/dhcp/leases} keeps only IPv4 keys while
 * {@code /services/dhcp/leases6} lists the guest's IPv6 address; {@code host.lima.internal} answers AAAA with the
 * gateway's IPv6 address.
 *
 * <p>Network safety: the host side is only {@code ::1} and 127.0.0.1; the guest is in its own namespace; DNS is kept
 * off the machine's resolver.
 */
class Forward6IT {
    private static final Duration T = Duration.ofSeconds(20);

    private static Exec.Result get(String url) {
        return Exec.run(T, List.of("curl", "-g", "-sS", "--max-time", "10", url));
    }

    /** One datagram to {@code [::1]:port} and the reply, or "" when none came within a second. */
    private static String udpExchange(int port, String text) {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            s.setSoTimeout(1000);
            byte[] out = text.getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(out, out.length, InetAddress.getByName("::1"), port));
            DatagramPacket in = new DatagramPacket(new byte[512], 512);
            s.receive(in);
            return new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void forwardsFromTheHostReachTheGuestsIpv6Address() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = Files.createDirectories(E2e.workdir().resolve("fwd6-www-" + E2e.randomHex(3)));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(www));
            c.add(() -> E2e.deleteTree(dir));
            Files.writeString(www.resolve("index.html"), "served-over-ipv6\n");
            Path apiSock = dir.resolve("api.sock");
            int byName = SwitchProcess.freeTcpPort();
            int udp = SwitchProcess.freeUdpPort();
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"), List.of(
                    "--api", apiSock.toString(), "--forward", "tcp:[::1]:" + byName + "=[lima-web]:80",
                    "--forward", "udp:[::1]:" + udp + "=[lima-web]:7")));
            c.add(sw::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured(
                    "unix:" + dir.resolve("net.sock")).withSlaac()));
            g.dhcp("lima-web");
            String addr = g.awaitIpv6Address(Ipv6LanIT.prefixText(), Duration.ofSeconds(30)).get(0);
            // busybox httpd binds [::]:80 (dual stack) when given no address
            g.spawn("httpd", "busybox", "httpd", "-f", "-p", "80", "-h", www.toString());
            // a UDP echo on [::]:7: each datagram is written back to its sender
            g.spawn("udp-echo", "socat", "UDP6-RECVFROM:7,fork", "PIPE");

            // wait_port with an IPv6 ip: open port, closed port.
            Exec.Result waited = api(apiSock, "GET", "/extension/wait_port?ip=" + addr + "&port=80&timeout=20", null);
            assertEquals(200, status(waited), "httpd on [" + addr + "]:80: " + waited);
            Exec.Result closed = api(apiSock, "GET", "/extension/wait_port?ip=" + addr + "&port=81&timeout=1", null);
            assertEquals(408, status(closed), "nothing on port 81: " + closed);

            // The command line's forward names the guest in brackets: its IPv6 address, learnt from SLAAC.
            String page = Ipv6LanIT.await(() -> get("http://[::1]:" + byName + "/").output().strip(),
                    "served-over-ipv6"::equals, Duration.ofSeconds(20));
            assertEquals("served-over-ipv6", page, "through --forward tcp:[::1]:" + byName + "=[lima-web]:80");

            // UDP over the same kind of forward: a datagram to [::1] comes back from the guest's echo.
            String echoed = Ipv6LanIT.await(() -> udpExchange(udp, "udp-over-ipv6"), "udp-over-ipv6"::equals,
                    Duration.ofSeconds(20));
            assertEquals("udp-over-ipv6", echoed, "through --forward udp:[::1]:" + udp + "=[lima-web]:7");

            // The API: an IPv6 remote, from [::1] and from 127.0.0.1.
            int p6 = SwitchProcess.freeTcpPort();
            int p4 = SwitchProcess.freeTcpPort();
            String remote = "[" + addr + "]:80";
            for (String local : List.of("[::1]:" + p6, "127.0.0.1:" + p4)) {
                String body = "{\"local\":\"" + local + "\",\"remote\":\"" + remote + "\",\"protocol\":\"tcp\"}";
                Exec.Result exposed = api(apiSock, "POST", "/services/forwarder/expose", body);
                assertEquals(200, status(exposed), exposed.toString());
            }
            assertEquals("served-over-ipv6", get("http://[::1]:" + p6 + "/").output().strip());
            assertEquals("served-over-ipv6", get("http://127.0.0.1:" + p4 + "/").output().strip());
            Exec.Result all = api(apiSock, "GET", "/services/forwarder/all", null);
            assertTrue(all.output().contains("{\"local\":\"[::1]:" + p6 + "\",\"remote\":\"" + remote
                    + "\",\"protocol\":\"tcp\"}"), all.output());
            assertTrue(all.output().contains("\"remote\":\"[lima-web]:80\""), all.output());

            // Unexpose by the local address as written in another form: the forward goes.
            Exec.Result gone = api(apiSock, "POST", "/services/forwarder/unexpose",
                    "{\"local\":\"[0:0::1]:" + p6 + "\",\"protocol\":\"tcp\"}");
            assertEquals(200, status(gone), gone.toString());
            assertNotEquals(0, get("http://[::1]:" + p6 + "/").exitCode(), "refused after unexpose");
            assertEquals("served-over-ipv6", get("http://127.0.0.1:" + p4 + "/").output().strip(), "the other stays");

            // Leases: the IPv4 list keeps IPv4 keys only (Lima dials its keys as IP:22); IPv6 ones are listed apart.
            Exec.Result leases = api(apiSock, "GET", "/services/dhcp/leases", null);
            assertEquals(200, status(leases), leases.toString());
            String v4Map = leases.output().strip();
            v4Map = v4Map.substring(0, v4Map.lastIndexOf('\n'));
            assertTrue(v4Map.contains("\"" + g.ip() + "\":\"" + g.mac() + "\""), v4Map);
            assertFalse(v4Map.contains("::"), "no IPv6 key in the IPv4 list: " + v4Map);
            Exec.Result leases6 = api(apiSock, "GET", "/services/dhcp/leases6", null);
            assertEquals(200, status(leases6), leases6.toString());
            assertTrue(leases6.output().contains("\"" + addr + "\":\"" + g.mac() + "\""), leases6.output());
            assertTrue(leases6.output().startsWith("{\"" + Ipv6LanIT.GATEWAY6 + "\":\"" + SwitchProcess.GATEWAY_MAC
                    + "\""), "the gateway first: " + leases6.output());

            // host.lima.internal answers AAAA with the gateway's IPv6 address (which reaches the host's [::1]).
            Dig aaaa = Dig.run6(g, "@" + Ipv6LanIT.GATEWAY6, "host.lima.internal", "AAAA");
            assertEquals("NOERROR", aaaa.reply().status(), aaaa.raw().toString());
            assertTrue(aaaa.reply().answers().stream().anyMatch(a -> a.endsWith(Ipv6LanIT.GATEWAY6)),
                    aaaa.raw().toString());
            Dig a = Dig.run6(g, "@" + Ipv6LanIT.GATEWAY6, "host.lima.internal", "A");
            assertTrue(a.reply().answers().stream().anyMatch(x -> x.endsWith("192.168.104.2")), a.raw().toString());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withIpv6OffAnIpv6GuestIsRefused() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Path apiSock = dir.resolve("api.sock");
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"), List.of(
                    "--api", apiSock.toString(), "--ipv6=off")));
            c.add(sw::stop);
            int port = SwitchProcess.freeTcpPort();
            Exec.Result refused = api(apiSock, "POST", "/services/forwarder/expose",
                    "{\"local\":\"[::1]:" + port + "\",\"remote\":\"[fd00::5]:80\",\"protocol\":\"tcp\"}");
            assertEquals(400, status(refused), refused.toString());
            assertTrue(refused.output().contains("IPv6 is off"), refused.toString());
            assertEquals("{}", api(apiSock, "GET", "/services/dhcp/leases6", null).output().strip().split("\n")[0]);
        }
    }
}
