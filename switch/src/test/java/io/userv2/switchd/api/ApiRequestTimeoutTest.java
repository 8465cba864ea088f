package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The deadline for a request head: silent, trickling and idle keep-alive clients are closed; calls are not cut. */
class ApiRequestTimeoutTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Room for a loaded machine; the bound is on the server closing, not on its speed. */
    private static final Duration MARGIN = Duration.ofSeconds(4);
    private static final ApiLimits LIMITS = ApiLimits.DEFAULT.withRequestTimeout(TIMEOUT);

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void silentClientIsClosedAfterTheRequestTimeout() throws Exception {
        try (ApiFixture api = new ApiFixture(LIMITS); SocketChannel channel = RawClient.connect(api.socket)) {
            long start = System.nanoTime();
            String answer = RawClient.read(channel, null, TIMEOUT.plus(MARGIN));   // returns at EOF
            long elapsed = millisSince(start);
            System.out.printf("ApiRequestTimeoutTest: silent client closed after %d ms (timeout %d ms)%n", elapsed,
                    TIMEOUT.toMillis());
            assertEquals("", answer);
            assertTrue(elapsed >= TIMEOUT.toMillis() - 100, "closed after only " + elapsed + " ms");
            assertEquals(1, api.server.requestTimeouts());
            assertEquals(200, api.curl.get("/stats").status());
        }
    }

    @Test
    void defaultTimeoutClosesASilentClient() throws Exception {
        try (ApiFixture api = new ApiFixture(); SocketChannel channel = RawClient.connect(api.socket)) {
            long start = System.nanoTime();
            assertEquals("", RawClient.read(channel, null, ApiServer.REQUEST_TIMEOUT.plus(MARGIN)));
            assertTrue(millisSince(start) >= ApiServer.REQUEST_TIMEOUT.toMillis() - 100);
        }
    }

    @Test
    void tricklingClientIsClosedThoughNeverIdle() throws Exception {
        try (ApiFixture api = new ApiFixture(LIMITS); SocketChannel channel = RawClient.connect(api.socket);
                Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            String head = "GET /stats HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "x".repeat(200);
            long start = System.nanoTime();
            long limit = TIMEOUT.plus(MARGIN).toMillis();
            int sent = 0;
            boolean closed = false;
            // One byte every 100 ms (far inside the 10 s idle timeout), watching for the server's close meanwhile.
            while (!closed && millisSince(start) < limit && sent < head.length()) {
                if (!writeUnlessClosed(channel, (byte) head.charAt(sent++))) {
                    closed = true; // the server closed it between the last wait and this write
                    break;
                }
                if (selector.select(100) > 0) {
                    selector.selectedKeys().clear();
                    closed = closedByServer(channel);
                }
            }
            long elapsed = millisSince(start);
            assertTrue(closed, "still open after " + elapsed + " ms and " + sent + " bytes");
            assertTrue(elapsed >= TIMEOUT.toMillis() - 100, "closed after only " + elapsed + " ms");
            assertEquals(1, api.server.requestTimeouts());
        }
    }

    /** Writes {@code b}; false if the server had closed the connection (EPIPE, or a reset). */
    private static boolean writeUnlessClosed(SocketChannel channel, byte b) throws IOException {
        try {
            channel.write(ByteBuffer.wrap(new byte[] {b}));
            return true;
        } catch (IOException e) {
            if (channel.isOpen() && e.getMessage() != null
                    && (e.getMessage().contains("Broken pipe") || e.getMessage().contains("Connection reset"))) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Whether the server has closed the connection: end of stream, or a reset (Linux resets a unix stream connection
     * whose closing end still had bytes of ours unread, as the trickled byte that came in after the timeout is).
     */
    private static boolean closedByServer(SocketChannel channel) throws IOException {
        try {
            return channel.read(ByteBuffer.allocate(1024)) < 0;
        } catch (SocketException e) {
            return true;
        }
    }

    @Test
    void keepAliveConnectionGetsAFreshDeadlineAfterEachAnswer() throws Exception {
        try (ApiFixture api = new ApiFixture(LIMITS); SocketChannel channel = RawClient.connect(api.socket)) {
            for (int i = 0; i < 3; i++) {
                RawClient.write(channel, "GET /services/dhcp/leases HTTP/1.1\r\nHost: x\r\n\r\n");
                String answer = RawClient.read(channel, "52:55:55:12:34:56", TIMEOUT.plus(MARGIN));
                assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            }
            long start = System.nanoTime();
            assertEquals("", RawClient.read(channel, null, TIMEOUT.plus(MARGIN)), "closed once silent");
            assertTrue(millisSince(start) >= TIMEOUT.toMillis() - 100);
            assertEquals(1, api.server.requestTimeouts());
        }
    }

    @Test
    void aCompleteHeadWithASlowBodyIsLeftToTheIdleTimeout() throws Exception {
        ApiLimits limits = LIMITS.withRequestTimeout(Duration.ofMillis(300)).withIdleTimeout(Duration.ofSeconds(2));
        try (ApiFixture api = new ApiFixture(limits); SocketChannel channel = RawClient.connect(api.socket)) {
            String body = "{\"Name\": \"internal.\"}";
            RawClient.write(channel, "POST /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body.substring(0, 5));
            // Still open well past the head's deadline: only the idle timeout (2 s) watches a body.
            channel.configureBlocking(false);
            try (Selector selector = Selector.open()) {
                channel.register(selector, SelectionKey.OP_READ);
                assertEquals(0, selector.select(1000), "the server answered or closed while the body was on its way");
            }
            RawClient.write(channel, body.substring(5));
            String answer = RawClient.read(channel, "\r\n\r\n", TIMEOUT.plus(MARGIN));
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            assertEquals(1, api.plane.dnsZones().size());
            assertEquals(0, api.server.requestTimeouts());
        }
    }
}
