package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code GET /extension/wait_port}: 200 once the probe succeeds, 408 at the deadline, 400 for bad input. */
class ApiWaitPortTest {
    private ApiFixture api;

    @AfterEach
    void stop() throws Exception {
        if (api != null) {
            api.close();
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(10);
        }
    }

    @Test
    void answers200OnceThePortOpens() throws Exception {
        api = new ApiFixture();
        Curl.Running waiting = api.curl.start("GET", "/extension/wait_port?ip=192.168.104.3&port=22&timeout=30", null);
        await("two failed probes", () -> api.plane.probes.get() >= 2);
        assertTrue(waiting.process().isAlive(), "still waiting while the port is closed");
        api.plane.portOpen.set(true);
        Curl.Result result = waiting.await(10);
        assertEquals(200, result.status(), result.body());
        assertEquals("", result.body());
    }

    @Test
    void aWaitPendingWhenTheServerStopsEndsWithoutAWarning() throws Exception {
        api = new ApiFixture();
        java.util.List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler collect = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(collect);
        try {
            Curl.Running waiting = api.curl.start("GET", "/extension/wait_port?ip=192.168.104.3&port=22&timeout=60",
                    null);
            await("a probe", () -> api.plane.probes.get() >= 1);
            api.close();
            api = null;
            // the client sees the connection end (its output files went with the fixture's directory)
            assertTrue(waiting.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "curl still waiting");
        } finally {
            root.removeHandler(collect);
        }
        assertTrue(warnings.isEmpty(), "warnings at shutdown: " + warnings.stream()
                .map(r -> r.getLevel() + " " + r.getMessage()).toList());
    }

    @Test
    void probesAboutOncePerSecond() throws Exception {
        api = new ApiFixture();
        long start = System.nanoTime();
        Curl.Running waiting = api.curl.start("GET", "/extension/wait_port?ip=192.168.104.3&port=22&timeout=30", null);
        await("three probes", () -> api.plane.probes.get() >= 3);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMillis >= 1900, "3 probes took only " + elapsedMillis + " ms");
        api.plane.portOpen.set(true);
        assertEquals(200, waiting.await(10).status());
    }

    @Test
    void answers200AtOnceWhenAlreadyOpenAndDefaultsTheTimeout() throws Exception {
        api = new ApiFixture();
        api.plane.portOpen.set(true);
        Curl.Result result = api.curl.get("/extension/wait_port?ip=192.168.104.3&port=22");
        assertEquals(200, result.status(), result.body());
        assertEquals(1, api.plane.probes.get());
    }

    @Test
    void answers408AfterTheTimeout() throws Exception {
        api = new ApiFixture();
        long start = System.nanoTime();
        Curl.Result result = api.curl.get("/extension/wait_port?ip=192.168.104.3&port=22&timeout=1");
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(408, result.status(), result.body());
        assertTrue(result.body().contains("192.168.104.3:22 did not open within 1 s"), result.body());
        assertTrue(api.plane.probes.get() >= 1);
        assertTrue(elapsedMillis >= 900, "answered after " + elapsedMillis + " ms");
        // The server still answers, and no probe goes on after the answer.
        int probes = api.plane.probes.get();
        assertEquals(200, api.curl.get("/stats").status());
        assertTrue(api.plane.probes.get() <= probes + 1);
    }

    @Test
    void endsWithTheAnswer() throws Exception {
        api = new ApiFixture();
        assertEquals(408, api.curl.get("/extension/wait_port?ip=192.168.104.3&port=22&timeout=1").status());
        await("the wait to end", () -> api.server.activeWaits() == 0);
    }

    @Test
    void outlivesTheConnectionTimeouts() throws Exception {
        api = new ApiFixture(ApiLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(500))
                .withRequestTimeout(Duration.ofMillis(500)));
        Curl.Result result = api.curl.get("/extension/wait_port?ip=192.168.104.3&port=22&timeout=2");
        assertEquals(408, result.status(), result.body());
    }

    @Test
    void aTimeoutOfZeroGivesUpAtOnce() throws Exception {
        api = new ApiFixture();
        Curl.Result result = api.curl.get("/extension/wait_port?ip=192.168.104.3&port=22&timeout=0");
        assertEquals(408, result.status(), result.body()); // as Lima's usernet: a zero timeout is taken, and expires
    }

    @ParameterizedTest
    @ValueSource(strings = {"ip=192.168.104.3&port=22&timeout=abc", "ip=192.168.104.3&port=22&timeout=65536",
        "ip=192.168.104.3&port=22&timeout=-5", "ip=192.168.104.3&port=22&timeout=1.5",
        "port=22&timeout=5", "ip=lima-foo&port=22", "ip=192.168.104.3", "ip=192.168.104.3&port=0",
        "ip=192.168.104.3&port=70000", "ip=192.168.104.3&port=ssh", "ip=%zz&port=22"})
    void badInputIs400(String query) throws Exception {
        api = new ApiFixture();
        Curl.Result result = api.curl.get("/extension/wait_port?" + query);
        assertEquals(400, result.status(), result.body());
        assertFalse(result.line().contains("\n"));
        assertEquals(0, api.plane.probes.get());
    }

    @Test
    void controlPlaneRejectingTheAddressIs400() throws Exception {
        api = new ApiFixture();
        Curl.Result result = api.curl.get("/extension/wait_port?ip=10.9.9.9&port=22&timeout=5");
        assertEquals(400, result.status(), result.body());
        assertTrue(result.body().contains("not on the virtual network"), result.body());
    }

    @Test
    void timeoutParsing() throws Exception {
        // As Lima's usernet: absent or empty is 10 s, 0..65535 taken, beyond or not a number is a 400.
        assertEquals(10, WaitPort.timeoutSeconds(null));
        assertEquals(10, WaitPort.timeoutSeconds(""));
        assertEquals(0, WaitPort.timeoutSeconds("0"));
        assertEquals(0, WaitPort.timeoutSeconds("000"));
        assertEquals(599, WaitPort.timeoutSeconds("599"));
        assertEquals(7, WaitPort.timeoutSeconds("007"));
        assertEquals(65535, WaitPort.timeoutSeconds("65535"));
        assertThrows(ApiException.class, () -> WaitPort.timeoutSeconds("65536"));
        assertThrows(ApiException.class, () -> WaitPort.timeoutSeconds("99999999999999999999"));
        assertThrows(ApiException.class, () -> WaitPort.timeoutSeconds("+5"));
        assertThrows(ApiException.class, () -> WaitPort.timeoutSeconds("-1"));
    }
}
