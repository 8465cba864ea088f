package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket file's life, and clients that misbehave. */
class ApiServerTest {
    @TempDir
    Path tmp;

    private static SocketChannel connect(Path socket) throws IOException {
        return RawClient.connect(socket);
    }

    private static void write(SocketChannel channel, String text) throws IOException {
        RawClient.write(channel, text);
    }

    /** Reads until the server closes the connection or {@code until} appears; gives up after 20 s. */
    private static String readResponse(SocketChannel channel, String until) throws IOException {
        return RawClient.read(channel, until, Duration.ofSeconds(20));
    }

    @Test
    void socketIsPrivateAndRemovedOnClose() throws Exception {
        Path socket;
        try (ApiFixture api = new ApiFixture()) {
            socket = api.socket;
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                    LinkOption.NOFOLLOW_LINKS)));
            assertEquals(200, api.curl.get("/stats").status());
            assertEquals(socket, api.server.path());
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void staleSocketFileIsReplaced() throws Exception {
        Path socket = tmp.resolve("api.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "a closed listener leaves its file behind");
        try (ApiServer server = ApiServer.start(new FakeControlPlane(), socket)) {
            assertEquals(200, new Curl(socket, tmp).get("/services/dhcp/leases").status());
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void liveSocketAndNonSocketAreRefused() throws Exception {
        Path socket = tmp.resolve("api.sock");
        try (ApiServer first = ApiServer.start(new FakeControlPlane(), socket)) {
            IOException e = assertThrows(IOException.class, () -> ApiServer.start(new FakeControlPlane(), socket));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertEquals(200, new Curl(socket, tmp).get("/stats").status(), "the first server keeps its socket");
        }
        Path file = tmp.resolve("plain");
        Files.writeString(file, "keep me");
        assertThrows(IOException.class, () -> ApiServer.start(new FakeControlPlane(), file));
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void garbageGetsA400AndTheNextCallWorks() throws Exception {
        try (ApiFixture api = new ApiFixture(); SocketChannel garbage = connect(api.socket)) {
            write(garbage, "\u0000\u0001\u00ff GARBAGE \r\n\r\n\r\nmore garbage\r\n\r\n");
            String answer = readResponse(garbage, null);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
            assertFalse(answer.contains("<html"), answer);
            assertEquals(200, api.curl.get("/stats").status());
        }
    }

    @Test
    void halfRequestsDoNotWedgeTheApi() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            List<SocketChannel> stuck = new ArrayList<>();
            try {
                for (int i = 0; i < 12; i++) {
                    SocketChannel channel = connect(api.socket);
                    stuck.add(channel);
                    switch (i % 3) {
                        case 0 -> write(channel, "GET /stats HTTP/1.1\r\nHost: x\r\n");     // head never ends
                        case 1 -> write(channel, "POST /services/dns/add HTTP/1.1\r\nHost: x\r\n"
                                + "Content-Length: 100\r\n\r\n{\"Name\":");                  // body never ends
                        default -> write(channel, "GE");                                      // request line never ends
                    }
                }
                for (int i = 0; i < 3; i++) {
                    assertEquals(200, api.curl.get("/services/dhcp/leases").status());
                    assertEquals(200, api.curl.post("/services/dns/add", "{\"Name\": \"internal.\"}").status());
                }
            } finally {
                for (SocketChannel channel : stuck) {
                    channel.close();
                }
            }
            assertEquals(200, api.curl.get("/stats").status());
        }
    }

    @Test
    void silentConnectionsAreClosedByTheIdleTimeout() throws Exception {
        try (ApiFixture api = new ApiFixture(Duration.ofMillis(300)); SocketChannel half = connect(api.socket)) {
            write(half, "POST /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
            String answer = readResponse(half, null);   // returns when the server closes
            assertFalse(answer.contains(" 200 "), answer);
            assertEquals(200, api.curl.get("/stats").status());
        }
    }

    @Test
    void hugeHeadersAreRejected() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            Curl.Result result = api.curl.start("GET", "/stats", null, "-H",
                    "X-Big: " + "a".repeat(ApiServer.MAX_HEADER_BYTES * 2)).await(30);
            assertEquals(431, result.status(), result.body());
            assertFalse(result.body().contains("<html"), result.body());
            Curl.Result longUri = api.curl.get("/stats?" + "q".repeat(ApiServer.MAX_HEADER_BYTES * 2));
            assertTrue(longUri.status() == 414 || longUri.status() == 431, longUri.toString());
            assertEquals(200, api.curl.get("/stats").status());
        }
    }

    @Test
    void http10WithoutHostIsServed() throws Exception {
        try (ApiFixture api = new ApiFixture(); SocketChannel channel = connect(api.socket)) {
            write(channel, "GET /services/dhcp/leases HTTP/1.0\r\n\r\n");
            String answer = readResponse(channel, null);
            assertTrue(answer.startsWith("HTTP/1.1 200 ") || answer.startsWith("HTTP/1.0 200 "), answer);
            assertTrue(answer.contains("52:55:55:12:34:56"), answer);
        }
    }

    @Test
    void keepAliveCallsOnOneConnection() throws Exception {
        try (ApiFixture api = new ApiFixture(); SocketChannel channel = connect(api.socket)) {
            write(channel, "GET /services/dhcp/leases HTTP/1.1\r\nHost: x\r\n\r\n");
            String first = readResponse(channel, "52:55:55:12:34:56");
            assertTrue(first.startsWith("HTTP/1.1 200 "), first);
            write(channel, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
            String second = readResponse(channel, "\"/nope\"\n");
            assertTrue(second.startsWith("HTTP/1.1 404 "), second);
            String body = "{\"Name\": \"internal.\"}";
            write(channel, "POST /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                    + "\r\nConnection: close\r\n\r\n" + body);
            String third = readResponse(channel, null);
            assertTrue(third.startsWith("HTTP/1.1 200 "), third);
            assertEquals(1, api.plane.dnsZones().size());
        }
    }

    @Test
    void connectionsBeyondTheLimitWaitInTheBacklogAndAreServedWhenOthersLeave() throws Exception {
        try (ApiFixture api = new ApiFixture(ApiLimits.DEFAULT.withMaxConnections(8))) {
            List<SocketChannel> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 8 + 8; i++) {
                    idle.add(connect(api.socket));
                }
                Curl.Running waiting = api.curl.start("GET", "/stats", null);
                for (SocketChannel channel : idle) {
                    channel.close();
                }
                idle.clear();
                assertEquals(200, waiting.await(30).status());
            } finally {
                for (SocketChannel channel : idle) {
                    channel.close();
                }
            }
        }
    }
}
