package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * gvproxy's {@code /tunnel}, with the bytes its client ({@code pkg/transport/tunnel.go}) sends: the request, then
 * exactly "OK" back (no status line), then the connection is the guest's port ({@link FakeControlPlane#tunnel}: a
 * greeting, then an echo).
 */
class ApiTunnelTest {
    /** What Go's {@code Request.Write} makes of {@code NewRequest("POST", "/tunnel?ip=..&port=..", nil)}: an empty Host. */
    private static final String GO_TUNNEL = "POST /tunnel?ip=192.168.127.2&port=8080 HTTP/1.1\r\nHost: \r\n"
            + "User-Agent: Go-http-client/1.1\r\nContent-Length: 0\r\n\r\n";
    private static final Duration T = Duration.ofSeconds(20);
    private ApiFixture api;

    @AfterEach
    void stop() throws Exception {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void theConnectionBecomesTheGuestsPortAfterOk() throws Exception {
        api = new ApiFixture();
        try (SocketChannel c = RawClient.connect(api.socket)) {
            RawClient.write(c, GO_TUNNEL);
            String greeting = RawClient.read(c, "\n", T);
            assertEquals("OKhello 192.168.127.2:8080\n", greeting, "exactly OK, then the guest's bytes");
            RawClient.write(c, "ping\n");
            assertEquals("ping\n", RawClient.read(c, "\n", T));
            c.shutdownOutput();
            assertEquals("", RawClient.read(c, null, T), "the guest side closes after our FIN");
        }
        assertEquals(List.of("192.168.127.2:8080"), api.plane.tunnels);
    }

    @Test
    void bytesSentBehindTheRequestGoFirstAndAnyMethodWorks() throws Exception {
        api = new ApiFixture();
        try (SocketChannel c = RawClient.connect(api.socket)) {
            RawClient.write(c, "GET /tunnel?ip=192.168.104.3&port=22 HTTP/1.1\r\nHost: x\r\n\r\nSSH-2.0-early\n");
            String got = RawClient.read(c, "early\n", T);
            assertEquals("OKhello 192.168.104.3:22\nSSH-2.0-early\n", got);
        }
    }

    @Test
    void theTunnelOutlivesTheApisIdleTimeout() throws Exception {
        api = new ApiFixture(Duration.ofMillis(300));
        try (SocketChannel c = RawClient.connect(api.socket)) {
            RawClient.write(c, GO_TUNNEL);
            assertEquals("OKhello 192.168.127.2:8080\n", RawClient.read(c, "\n", T));
            Thread.sleep(1_000); // silence, three idle timeouts long: what is being tested is that nothing happens
            RawClient.write(c, "still there\n");
            assertEquals("still there\n", RawClient.read(c, "\n", T));
        }
    }

    @Test
    void badInputIs400WithGvproxysWords() throws Exception {
        api = new ApiFixture();
        Curl.Result noIp = api.curl.get("/tunnel");
        assertEquals(400, noIp.status(), noIp.body());
        assertEquals("ip is mandatory\n", noIp.body());
        Curl.Result noPort = api.curl.get("/tunnel?ip=192.168.104.3");
        assertEquals(400, noPort.status(), noPort.body());
        assertTrue(noPort.body().startsWith("missing port"), noPort.body());
        assertEquals(400, api.curl.get("/tunnel?ip=192.168.104.3&port=x").status());
        assertEquals(400, api.curl.get("/tunnel?ip=nohost&port=22").status());
        assertTrue(api.plane.tunnels.isEmpty());
        assertEquals(200, api.curl.get("/stats").status(), "the API carries on");
    }

    @Test
    void anEmptyHostIsTakenOnOtherCallsToo() throws Exception {
        api = new ApiFixture();
        try (SocketChannel c = RawClient.connect(api.socket)) {
            RawClient.write(c, "GET /services/forwarder/all HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n");
            String answer = RawClient.read(c, null, T);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            assertTrue(answer.endsWith("\r\n\r\n[]\n"), answer);
        }
    }
}
