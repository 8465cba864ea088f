package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The guest-side API as a guest's connection reaches it: through {@link GuestApiServer#connect} (the end the NAT
 * relays the guest's bytes into), raw HTTP/1.1 as curl sends it. Only gvproxy's three forwarder calls; the guest's
 * own address from the PROXY line fills in a remote without host.
 */
class GuestApiServerTest {
    private static final InetSocketAddress GUEST = new InetSocketAddress(ip("192.168.104.9"), 40123);
    private static final InetSocketAddress GATEWAY = new InetSocketAddress(ip("192.168.104.2"), 80);
    private final FakeControlPlane plane = new FakeControlPlane();
    private GuestApiServer server;

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByAddress(literal, InetAddress.getByName(literal).getAddress());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void start() throws IOException {
        server = GuestApiServer.start(plane);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** One request on a fresh connection ("Connection: close"); the whole answer as text. */
    private String call(String method, String path, String body) throws Exception {
        EndPoint ep = server.connect(GUEST, GATEWAY);
        try {
            String head = method + " " + path + " HTTP/1.1\r\nHost: 192.168.104.2\r\nUser-Agent: curl/7.88.1\r\n"
                    + "Connection: close\r\n" + (body == null ? "" : "Content-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n") + "\r\n"
                    + (body == null ? "" : body);
            FutureCallback written = new FutureCallback();
            ep.write(written, ByteBuffer.wrap(head.getBytes(StandardCharsets.UTF_8)));
            written.get(10, TimeUnit.SECONDS);
            return readToEnd(ep);
        } finally {
            ep.close();
        }
    }

    private static String readToEnd(EndPoint ep) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buffer = BufferUtil.allocate(4096);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            BufferUtil.clear(buffer);
            int n = ep.fill(buffer);
            if (n < 0) {
                return out.toString(StandardCharsets.UTF_8);
            }
            if (n > 0) {
                out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), n);
                continue;
            }
            FutureCallback readable = new FutureCallback();
            ep.fillInterested(readable);
            readable.get(10, TimeUnit.SECONDS);
        }
        throw new AssertionError("no end of answer: " + out);
    }

    private static int status(String answer) {
        return Integer.parseInt(answer.substring(9, 12));
    }

    private static String body(String answer) {
        return answer.substring(answer.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void listsTheForwardsAsTheUnixSocketDoes() throws Exception {
        plane.forwards.add(new Forward("127.0.0.1:2222", "192.168.104.3:22", "tcp"));
        String answer = call("GET", "/services/forwarder/all", null);
        assertEquals(200, status(answer), answer);
        assertEquals("[{\"local\":\"127.0.0.1:2222\",\"remote\":\"192.168.104.3:22\",\"protocol\":\"tcp\"}]\n",
                body(answer));
    }

    @Test
    void aRemoteWithoutHostIsTheCallingGuestAsInGvproxy() throws Exception {
        String answer = call("POST", "/services/forwarder/expose", "{\"local\":\":9090\", \"remote\":\":8080\"}");
        assertEquals(200, status(answer), answer);
        assertEquals("", body(answer));
        assertEquals(List.of(new Forward("0.0.0.0:9090", "192.168.104.9:8080", "tcp")), plane.forwards());
        answer = call("POST", "/services/forwarder/unexpose", "{\"local\":\":9090\"}");
        assertEquals(200, status(answer), answer);
        assertTrue(plane.forwards().isEmpty());
        answer = call("POST", "/services/forwarder/unexpose", "{\"local\":\":9090\"}");
        assertEquals(500, status(answer), answer);
        assertEquals("proxy not found\n", body(answer));
    }

    @Test
    void unixForwardsFromTheGuestAsGvproxysTestMakesThem() throws Exception {
        String answer = call("POST", "/services/forwarder/expose",
                "{\"protocol\":\"unix\",\"local\":\"/tmp/u/fwd.sock\",\"remote\":\"tcp://192.168.104.9:8080\"}");
        assertEquals(200, status(answer), answer);
        assertEquals("", body(answer), "gvproxy's test expects an empty answer");
        answer = call("POST", "/services/forwarder/expose",
                "{\"protocol\":\"unix\",\"local\":\"/tmp/u/fwd.sock\",\"remote\":\"tcp://192.168.104.9:8080\"}");
        assertTrue(body(answer).contains("proxy already running"), answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/services/dhcp/leases", "/services/dns/all", "/stats", "/leases", "/cam", "/metrics",
        "/extension/wait_port?ip=192.168.104.3&port=22", "/tunnel?ip=192.168.104.3&port=22", "/", "/connect"})
    void everythingElseIs404(String path) throws Exception {
        assertEquals(404, status(call("GET", path, null)));
        assertEquals(404, status(call("POST", "/services/dns/add", "{\"Name\":\"x.\"}")));
        assertTrue(plane.dnsZones().isEmpty());
    }

    @Test
    void aGetOnExposeIsPostOnly() throws Exception {
        String answer = call("GET", "/services/forwarder/expose", null);
        assertEquals(400, status(answer), answer);
        assertTrue(body(answer).startsWith("post only"), answer);
    }

    @Test
    void aConnectionThatSendsNoRequestIsClosed() throws Exception {
        server.close();
        server = GuestApiServer.start(plane, Duration.ofMillis(300));
        EndPoint ep = server.connect(GUEST, GATEWAY);
        try {
            assertEquals("", readToEnd(ep), "closed without an answer");
        } finally {
            ep.close();
        }
    }

    @Test
    void noConnectionOnceStopped() {
        server.close();
        assertThrows(IOException.class, () -> server.connect(GUEST, GATEWAY));
    }
}
