package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Many clients at once: silent ones do not hold up the others, and a burst of non-blocking connects is all served. */
class ApiCrowdTest {
    /** Opens {@code count} connections that never send a byte. */
    private static List<SocketChannel> silent(ApiFixture api, int count) throws Exception {
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            channels.add(RawClient.connect(api.socket));
        }
        return channels;
    }

    private static void closeAll(List<SocketChannel> channels) throws Exception {
        for (SocketChannel channel : channels) {
            channel.close();
        }
    }

    /** curl with its own 5 s limit, so a call held up behind the silent clients fails instead of waiting. */
    private static Curl.Result quickStats(ApiFixture api, String when) throws Exception {
        long start = System.nanoTime();
        Curl.Result result = api.curl.start("GET", "/stats", null, "--max-time", "5").await(10);
        System.out.printf("ApiCrowdTest: GET /stats %s answered %d in %d ms%n", when, result.status(),
                (System.nanoTime() - start) / 1_000_000);
        return result;
    }

    @Test
    void aHundredSilentClientsDoNotHoldUpACall() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            List<SocketChannel> channels = silent(api, 100);
            try {
                Curl.Result result = quickStats(api, "beside 100 silent clients");
                assertEquals(200, result.status(), result.body());
                assertTrue(result.body().contains("\"framesIn\":10"), result.body());
                assertEquals(0, api.server.requestTimeouts(), "the silent clients are still within their 5 s");
            } finally {
                closeAll(channels);
            }
        }
    }

    @Test
    void silentClientsFillingEverySlotAreDroppedAtTheRequestTimeout() throws Exception {
        ApiLimits limits = ApiLimits.DEFAULT.withMaxConnections(4).withRequestTimeout(Duration.ofMillis(500));
        try (ApiFixture api = new ApiFixture(limits)) {
            List<SocketChannel> channels = silent(api, 4);
            try {
                Curl.Result result = quickStats(api, "behind 4 silent clients holding all 4 slots");
                assertEquals(200, result.status(), result.body());
                // a slot frees as soon as the first silent client is dropped; the others follow within the timeout
                assertTrue(api.server.requestTimeouts() >= 1, "served only once a silent client was dropped");
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (api.server.requestTimeouts() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(4, api.server.requestTimeouts(), "every silent client is dropped at its timeout");
            } finally {
                closeAll(channels);
            }
        }
    }

    @Test
    void fiveHundredNonBlockingClientsAreAllAnswered() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            long start = System.nanoTime();
            List<NonBlockingClients.Outcome> outcomes = NonBlockingClients.run(api.socket, 500,
                    "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n", Duration.ofSeconds(60));
            System.out.printf("ApiCrowdTest: 500 non-blocking clients answered in %d ms%n",
                    (System.nanoTime() - start) / 1_000_000);
            Map<Integer, Integer> byStatus = new TreeMap<>();
            String firstFailure = null;
            for (NonBlockingClients.Outcome outcome : outcomes) {
                byStatus.merge(outcome.status(), 1, Integer::sum);
                if (outcome.status() != 200 && firstFailure == null) {
                    firstFailure = outcome.body();
                }
            }
            assertEquals(Map.of(200, 500), byStatus, "statuses (0: no answer); first failure: " + firstFailure);
            assertTrue(outcomes.stream().allMatch(o -> o.body().contains("\"framesIn\":10")), "every body whole");
        }
    }
}
