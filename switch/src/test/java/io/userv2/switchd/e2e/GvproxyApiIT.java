package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.ApiCurl.api;
import static io.userv2.switchd.e2e.ApiCurl.status;
import static io.userv2.switchd.e2e.ApiCurl.body;
import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The parts of the API only gvproxy has, with real clients and a namespace guest running busybox httpd on 8080:
 * the guest calls the API at the gateway's port 80 ({@code --guest-api}) with curl, lists the forwards and exposes
 * its own port with {@code "remote": ":8080"}, as gvproxy's test does; a unix forward carries curl's request from a
 * host unix socket into the guest's server, the guest given by its DHCP name; {@code /tunnel} with the bytes
 * gvproxy's tunnel client sends reaches the same server.
 */
class GvproxyApiIT {
    private static final Duration T = Duration.ofSeconds(20);

    /** curl inside the guest, to the gateway's port 80. */
    private static Exec.Result guestApi(NamespaceGuest guest, String method, String path, String body) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "-X", method, "-w",
                "\n%{http_code}", "http://" + GATEWAY_IP + path));
        if (body != null) {
            cmd.addAll(List.of("-d", body));
        }
        return guest.exec(T, cmd.toArray(String[]::new));
    }

    @Test
    @Timeout(value = 180)
    void guestApiUnixForwardAndTunnelReachTheGuest() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = Files.createDirectories(E2e.workdir().resolve("gvapi-www-" + E2e.randomHex(3)));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(www));
            c.add(() -> E2e.deleteTree(dir));
            Files.writeString(www.resolve("index.html"), "served-by-the-guest\n");
            Path sock = dir.resolve("net.sock");
            Path apiSock = dir.resolve("api.sock");
            SwitchProcess sw = c.add(SwitchProcess.start(List.of("--listen", sock.toString(), "--api",
                    apiSock.toString(), "--guest-api", "--host-resolver", "hosts",
                    "--dns-upstream", "127.0.0.1:" + SwitchProcess.freeTcpPort())));

            NamespaceGuest guest = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + sock)));
            guest.dhcp("lima-web");
            String ip = guest.ip();
            guest.spawn("httpd", "busybox", "httpd", "-f", "-p", "8080", "-h", www.toString());
            Exec.Result up = api(apiSock, "GET", "/extension/wait_port?ip=" + ip + "&port=8080&timeout=20", null);
            assertEquals(200, status(up), "httpd listening: " + up);

            // The guest's API: the forwards, and an expose of its own port (gvproxy's "remote": ":8080").
            Exec.Result none = guestApi(guest, "GET", "/services/forwarder/all", null);
            assertEquals(200, status(none), none.toString());
            assertEquals("[]", body(none));
            int port = SwitchProcess.freeTcpPort();
            Exec.Result exposed = guestApi(guest, "POST", "/services/forwarder/expose",
                    "{\"local\":\"127.0.0.1:" + port + "\", \"remote\":\":8080\"}");
            assertEquals(200, status(exposed), exposed.toString());
            assertEquals("", body(exposed), "an empty answer, as gvproxy's test expects");
            Exec.Result page = Exec.run(T, List.of("curl", "-sS", "--max-time", "10", "http://127.0.0.1:" + port + "/"));
            assertEquals("served-by-the-guest", page.output().strip(), page.toString());
            Exec.Result listed = api(apiSock, "GET", "/services/forwarder/all", null);
            assertEquals("[{\"local\":\"127.0.0.1:" + port + "\",\"remote\":\"" + ip + ":8080\",\"protocol\":\"tcp\"}]",
                    body(listed), "the guest's own address filled in");
            for (String other : List.of("/services/dhcp/leases", "/stats", "/services/dns/all")) {
                assertEquals(404, status(guestApi(guest, "GET", other, null)), other + " is not served to guests");
            }
            Exec.Result gone = guestApi(guest, "POST", "/services/forwarder/unexpose",
                    "{\"local\":\"127.0.0.1:" + port + "\"}");
            assertEquals(200, status(gone), gone.toString());

            // A unix forward into the guest's TCP server, the guest given by its DHCP hostname.
            Path web = dir.resolve("web.sock");
            Exec.Result unix = api(apiSock, "POST", "/services/forwarder/expose",
                    "{\"protocol\":\"unix\",\"local\":\"" + web + "\",\"remote\":\"tcp://lima-web:8080\"}");
            assertEquals(200, status(unix), unix.toString());
            Exec.Result viaUnix = Exec.run(T, List.of("curl", "-sS", "--max-time", "10", "--unix-socket",
                    web.toString(), "http://placeholder/"));
            assertEquals("served-by-the-guest", viaUnix.output().strip(), viaUnix.toString());
            Exec.Result twice = api(apiSock, "POST", "/services/forwarder/expose",
                    "{\"protocol\":\"unix\",\"local\":\"" + web + "\",\"remote\":\"tcp://lima-web:8080\"}");
            assertTrue(body(twice).contains("proxy already running"), twice.toString());
            assertEquals(200, status(api(apiSock, "POST", "/services/forwarder/unexpose",
                    "{\"protocol\":\"unix\",\"local\":\"" + web + "\"}")));
            assertFalse(Files.exists(web, LinkOption.NOFOLLOW_LINKS), "socket file removed at unexpose");

            // gvproxy's tunnel: its client's exact bytes, "OK", then HTTP to the guest over the same connection.
            try (SocketChannel t = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                t.connect(UnixDomainSocketAddress.of(apiSock));
                write(t, "POST /tunnel?ip=" + ip + "&port=8080 HTTP/1.1\r\nHost: \r\n"
                        + "User-Agent: Go-http-client/1.1\r\nContent-Length: 0\r\n\r\n");
                write(t, "GET / HTTP/1.0\r\n\r\n");
                String answer = readAll(t);
                assertTrue(answer.startsWith("OKHTTP/1.") && answer.contains(" 200 OK\r\n"), answer);
                assertTrue(answer.endsWith("served-by-the-guest\n"), answer);
            }
            assertTrue(sw.isAlive());
        }
    }

    private static void write(SocketChannel ch, String text) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Everything until the other side closes (the guest's httpd closes after an HTTP/1.0 answer). */
    private static String readAll(SocketChannel ch) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline) {
            b.clear();
            int n = ch.read(b);
            if (n < 0) {
                return out.toString(StandardCharsets.ISO_8859_1);
            }
            out.write(b.array(), 0, n);
        }
        throw new AssertionError("no end: " + out);
    }
}
