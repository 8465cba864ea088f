package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every API call and its error answers, through curl on the unix socket. */
class ApiCallsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private ApiFixture api;

    @BeforeEach
    void start() throws Exception {
        api = new ApiFixture();
    }

    @AfterEach
    void stop() throws Exception {
        api.close();
    }

    /** An error answer: the status and one line of plain text. */
    private static void assertError(Curl.Result result, int status, String containing) {
        assertEquals(status, result.status(), result.body());
        assertTrue(result.headers().contains("content-type: text/plain"), result.headers());
        assertTrue(result.body().endsWith("\n"), result.body());
        assertFalse(result.line().contains("\n"), "one line: " + result.body());
        assertTrue(result.body().contains(containing), "expected '" + containing + "' in: " + result.body());
    }

    private static void assertOkEmpty(Curl.Result result) {
        assertEquals(200, result.status(), result.body());
        assertEquals("", result.body());
    }

    @Test
    void leasesMapIpToMac() throws Exception {
        Curl.Result result = api.curl.get("/services/dhcp/leases");
        assertEquals(200, result.status(), result.body());
        assertTrue(result.headers().contains("content-type: application/json"), result.headers());
        assertEquals(JSON.readTree("{\"192.168.104.3\": \"52:55:55:12:34:56\"}"), JSON.readTree(result.body()));
    }

    @Test
    void topLevelLeasesAndCamAsGvproxyServesThem() throws Exception {
        Curl.Result leases = api.curl.get("/leases");
        assertEquals(200, leases.status(), leases.body());
        assertEquals(JSON.readTree("{\"192.168.104.3\": \"52:55:55:12:34:56\"}"), JSON.readTree(leases.body()));
        Curl.Result cam = api.curl.get("/cam");
        assertEquals(200, cam.status(), cam.body());
        assertEquals(JSON.readTree("{\"52:55:55:12:34:56\": 3}"), JSON.readTree(cam.body()));
    }

    @Test
    void exposeListUnexpose() throws Exception {
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:2222\", \"remote\": \"192.168.104.3:22\", \"protocol\": \"tcp\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:5353\", \"remote\": \"192.168.104.3:53\", \"protocol\": \"udp\"}"));
        assertEquals(List.of(new Forward("127.0.0.1:2222", "192.168.104.3:22", "tcp"),
                new Forward("127.0.0.1:5353", "192.168.104.3:53", "udp")), api.plane.forwards());

        Curl.Result all = api.curl.get("/services/forwarder/all");
        assertEquals(200, all.status(), all.body());
        assertEquals(JSON.readTree("[{\"local\":\"127.0.0.1:2222\",\"remote\":\"192.168.104.3:22\",\"protocol\":\"tcp\"},"
                + "{\"local\":\"127.0.0.1:5353\",\"remote\":\"192.168.104.3:53\",\"protocol\":\"udp\"}]"),
                JSON.readTree(all.body()));

        assertOkEmpty(api.curl.post("/services/forwarder/unexpose", "{\"local\": \"127.0.0.1:2222\", \"protocol\": \"tcp\"}"));
        assertEquals(List.of(new Forward("127.0.0.1:5353", "192.168.104.3:53", "udp")), api.plane.forwards());
        // gvproxy's status and words for both: its client returns the body as the error.
        assertError(api.curl.post("/services/forwarder/unexpose", "{\"local\": \"127.0.0.1:2222\", \"protocol\": \"tcp\"}"),
                500, "proxy not found");
    }

    @Test
    void duplicateExposeIs500ProxyAlreadyRunningAsGvproxy() throws Exception {
        String body = "{\"local\": \"127.0.0.1:2222\", \"remote\": \"192.168.104.3:22\", \"protocol\": \"tcp\"}";
        assertOkEmpty(api.curl.post("/services/forwarder/expose", body));
        Curl.Result again = api.curl.post("/services/forwarder/expose", body);
        assertError(again, 500, "proxy already running for tcp on 127.0.0.1:2222");
        assertEquals("proxy already running for tcp on 127.0.0.1:2222\n", again.body());
    }

    @Test
    void forwardsAreListedSortedByLocalThenProtocolAsGvproxy() throws Exception {
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\":\"127.0.0.1:5353\",\"remote\":\"192.168.104.3:53\",\"protocol\":\"udp\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\":\"127.0.0.1:5353\",\"remote\":\"192.168.104.3:53\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\":\"/run/u/x.sock\",\"remote\":\"tcp://192.168.104.3:80\",\"protocol\":\"unix\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\":\"127.0.0.1:2222\",\"remote\":\"192.168.104.3:22\"}"));
        Curl.Result all = api.curl.get("/services/forwarder/all");
        assertEquals("[{\"local\":\"/run/u/x.sock\",\"remote\":\"tcp://192.168.104.3:80\",\"protocol\":\"unix\"},"
                + "{\"local\":\"127.0.0.1:2222\",\"remote\":\"192.168.104.3:22\",\"protocol\":\"tcp\"},"
                + "{\"local\":\"127.0.0.1:5353\",\"remote\":\"192.168.104.3:53\",\"protocol\":\"tcp\"},"
                + "{\"local\":\"127.0.0.1:5353\",\"remote\":\"192.168.104.3:53\",\"protocol\":\"udp\"}]\n", all.body());
    }

    @Test
    void bindFailureFromTheControlPlaneIs500WithItsMessage() throws Exception {
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:1\", \"remote\": \"192.168.104.3:22\", \"protocol\": \"tcp\"}"),
                500, "cannot bind 127.0.0.1:1: Permission denied");
    }

    @Test
    void gvproxyFormsAreAccepted() throws Exception {
        // gvproxy's README: no protocol (tcp), ":PORT" for all interfaces; Go's JSON matches names case-insensitively.
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\":\":6443\",\"remote\":\"192.168.127.2:6443\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"Local\":\"127.0.0.1:8080\",\"Remote\":\"192.168.127.2:80\",\"Protocol\":\"TCP\",\"extra\":1}"));
        assertEquals(List.of(new Forward("0.0.0.0:6443", "192.168.127.2:6443", "tcp"),
                new Forward("127.0.0.1:8080", "192.168.127.2:80", "tcp")), api.plane.forwards());
        assertOkEmpty(api.curl.post("/services/forwarder/unexpose", "{\"local\":\":6443\"}"));
        assertEquals(1, api.plane.forwards().size());
    }

    @Test
    void unixForwardsAsGvproxyTakesThem() throws Exception {
        // gvproxy's form: the remote is a tcp:// URI; HOST:PORT alone is taken too and listed as tcp://.
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"/tmp/u/a.sock\", \"remote\": \"tcp://192.168.104.3:8080\", \"protocol\": \"unix\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"/tmp/u//b.sock\", \"remote\": \"lima-web:80\", \"protocol\": \"unix\"}"));
        assertEquals(List.of(new Forward("/tmp/u/a.sock", "tcp://192.168.104.3:8080", "unix"),
                new Forward("/tmp/u/b.sock", "tcp://lima-web:80", "unix")), api.plane.forwards());
        Curl.Result all = api.curl.get("/services/forwarder/all");
        assertEquals(JSON.readTree("[{\"local\":\"/tmp/u/a.sock\",\"remote\":\"tcp://192.168.104.3:8080\",\"protocol\":\"unix\"},"
                + "{\"local\":\"/tmp/u/b.sock\",\"remote\":\"tcp://lima-web:80\",\"protocol\":\"unix\"}]"),
                JSON.readTree(all.body()));
        // Unexposed by path and protocol (gvproxy's test sends the remote as well; it is ignored).
        assertOkEmpty(api.curl.post("/services/forwarder/unexpose",
                "{\"local\": \"/tmp/u/a.sock\", \"protocol\": \"unix\", \"remote\": \"tcp://192.168.104.3:8080\"}"));
        assertError(api.curl.post("/services/forwarder/unexpose", "{\"local\": \"/tmp/u/a.sock\", \"protocol\": \"unix\"}"),
                500, "proxy not found");
        assertError(api.curl.post("/services/forwarder/unexpose", "{\"local\": \"/tmp/u/b.sock\"}"),
                400, "local: expected IP:PORT");
        assertEquals(1, api.plane.forwards().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative.sock", "", "/tmp/x\\u0000y"})
    void unixForwardNeedsAnAbsolutePathThatFitsASocketAddress(String local) throws Exception {
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"" + local + "\", \"remote\": \"tcp://192.168.104.3:80\", \"protocol\": \"unix\"}"), 400, "local");
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"/" + "x".repeat(120) + "\", \"remote\": \"tcp://192.168.104.3:80\", \"protocol\": \"unix\"}"),
                400, "longer than 107 bytes");
        assertTrue(api.plane.forwards().isEmpty());
    }

    @Test
    void unixForwardRemoteSchemes() throws Exception {
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"/tmp/u/s.sock\", \"remote\": \"ssh-tunnel://root@192.168.104.3:22/run/podman.sock?key=/k\","
                        + " \"protocol\": \"unix\"}"),
                501, "remote protocol for unix forwarder is not implemented: \"ssh-tunnel\"");
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"/tmp/u/s.sock\", \"remote\": \"udp://192.168.104.3:53\", \"protocol\": \"unix\"}"),
                400, "remote protocol for unix forwarder is not implemented");
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"/tmp/u/s.sock\", \"remote\": \"tcp://192.168.104.3\", \"protocol\": \"unix\"}"),
                400, "remote: expected HOST:PORT");
        assertTrue(api.plane.forwards().isEmpty());
    }

    @Test
    void unknownProtocolIs400WithGvproxysWords() throws Exception {
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:1\", \"remote\": \"192.168.104.3:22\", \"protocol\": \"sctp\"}"),
                400, "unknown protocol sctp");
        assertError(api.curl.post("/services/forwarder/unexpose", "{\"local\": \"127.0.0.1:1\", \"protocol\": \"npipe\"}"),
                400, "unknown protocol npipe");
    }

    @Test
    void remoteHostByNameIsAcceptedAsGvproxy() throws Exception {
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\": \"127.0.0.1:2222\", \"remote\": \"nohost:22\"}"));
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:2223\", \"remote\": \"lima-web.internal:22\", \"protocol\": \"udp\"}"));
        assertEquals(List.of(new Forward("127.0.0.1:2222", "nohost:22", "tcp"),
                new Forward("127.0.0.1:2223", "lima-web.internal:22", "udp")), api.plane.forwards());
    }

    @Test
    void anEmptyRemoteHostOnTheUnixSocketIs400AsGvproxy() throws Exception {
        // gvproxy fills it in with the caller's address, which a unix socket client does not have (400 there too).
        assertError(api.curl.post("/services/forwarder/expose", "{\"local\": \"127.0.0.1:2222\", \"remote\": \":22\"}"),
                400, "remote: expected HOST:PORT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "not json", "{\"local\": \"127.0.0.1:2222\",}", "{\"local\": \"a\"} trailing",
        "[1, 2]", "{\"local\": [1], \"remote\": \"192.168.104.3:22\"}"})
    void badJsonIs400(String body) throws Exception {
        assertError(api.curl.post("/services/forwarder/expose", body), 400, "bad JSON");
        assertTrue(api.plane.forwards().isEmpty());
    }

    @Test
    void emptyAndNullBodiesAre400() throws Exception {
        assertError(api.curl.post("/services/forwarder/expose", ""), 400, "bad JSON: empty body");
        assertError(api.curl.post("/services/forwarder/expose", "null"), 400, "bad JSON");
        assertError(api.curl.post("/services/dns/add", "null"), 400, "bad JSON");
        assertError(api.curl.post("/services/forwarder/unexpose", "null"), 400, "bad JSON");
    }

    @Test
    void missingFieldsAre400() throws Exception {
        assertError(api.curl.post("/services/forwarder/expose", "{\"remote\": \"192.168.104.3:22\"}"), 400, "missing local");
        assertError(api.curl.post("/services/forwarder/expose", "{\"local\": \"127.0.0.1:2222\"}"), 400, "missing remote");
        assertError(api.curl.post("/services/forwarder/unexpose", "{\"protocol\": \"tcp\"}"), 400, "missing local");
        assertError(api.curl.post("/services/dns/add", "{\"Records\": []}"), 400, "missing Name");
        assertError(api.curl.post("/services/dns/add", "{\"Name\": \"internal.\", \"Records\": [{\"IP\": \"192.168.104.3\"}]}"),
                400, "missing Records[].Name");
        assertError(api.curl.post("/services/dns/add", "{\"Name\": \"internal.\", \"Records\": [{\"Name\": \"a\"}]}"),
                400, "missing Records[].IP");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vm lima:22", "192.168.104.300:22", "192.168.104:22", "192.168.104.03:22",
        "192.168.104.3", "192.168.104.3:0", "192.168.104.3:65536", "192.168.104.3:abc", "192.168.104.3:-1",
        "[::1]:22", " 192.168.104.3:22", "192.168.104.3:22\\n", "vm/x:22"})
    void badRemoteIs400(String remote) throws Exception {
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:2222\", \"remote\": \"" + remote + "\", \"protocol\": \"tcp\"}"), 400, "remote");
        assertTrue(api.plane.forwards().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:2222", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "[::1:2222", "[zz]:2222",
        "[fe80::1%eth0]:2222"})
    void badLocalIs400(String local) throws Exception {
        assertError(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"" + local + "\", \"remote\": \"192.168.104.3:22\"}"), 400, "local");
    }

    @Test
    void ipv6LocalIsAccepted() throws Exception {
        assertOkEmpty(api.curl.post("/services/forwarder/expose", "{\"local\": \"[::1]:2222\", \"remote\": \"192.168.104.3:22\"}"));
        assertEquals("[::1]:2222", api.plane.forwards().get(0).local());
    }

    @Test
    void dnsAddAndAll() throws Exception {
        assertOkEmpty(api.curl.post("/services/dns/add",
                "{\"Name\": \"internal.\", \"Records\": [{\"Name\": \"lima-foo\", \"IP\": \"192.168.104.3\"}], \"DefaultIP\": null}"));
        assertOkEmpty(api.curl.post("/services/dns/add",
                "{\"Name\": \"corp.\", \"Records\": [{\"Name\": \"*.x\", \"IP\": \"fd00::1\", \"Regexp\": null}],"
                        + " \"DefaultIP\": \"192.168.104.2\"}"));
        assertEquals(List.of(new DnsZoneSpec("internal.", List.of(new DnsRecordSpec("lima-foo", "192.168.104.3")), null),
                new DnsZoneSpec("corp.", List.of(new DnsRecordSpec("*.x", "fd00::1")), "192.168.104.2")),
                api.plane.dnsZones());
        Curl.Result all = api.curl.get("/services/dns/all");
        assertEquals(200, all.status(), all.body());
        // Byte for byte as gvproxy lists zones: every record's Regexp (null), no DefaultIP is "".
        assertEquals("[{\"Name\":\"internal.\",\"Records\":[{\"Name\":\"lima-foo\",\"IP\":\"192.168.104.3\",\"Regexp\":null}],"
                + "\"DefaultIP\":\"\"},{\"Name\":\"corp.\",\"Records\":[{\"Name\":\"*.x\",\"IP\":\"fd00::1\",\"Regexp\":null}],"
                + "\"DefaultIP\":\"192.168.104.2\"}]\n", all.body());
    }

    @Test
    void dnsZoneWithoutRecordsGetsAnEmptyList() throws Exception {
        assertOkEmpty(api.curl.post("/services/dns/add", "{\"Name\": \"internal.\", \"DefaultIP\": \"192.168.104.2\"}"));
        assertEquals(List.of(new DnsZoneSpec("internal.", List.of(), "192.168.104.2")), api.plane.dnsZones());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"Name\": \"internal.\", \"Records\": [{\"Name\": \"a\", \"IP\": \"lima-bar\"}]}",
        "{\"Name\": \"internal.\", \"Records\": [{\"Name\": \"a\", \"IP\": \"1.2.3.4.5\"}]}",
        "{\"Name\": \"internal.\", \"Records\": [{\"Name\": \"a b\", \"IP\": \"1.2.3.4\"}]}",
        "{\"Name\": \"in ternal.\"}",
        "{\"Name\": \"internal.\", \"DefaultIP\": \"nope\"}",
        "{\"Name\": \"internal.\", \"Records\": [null]}"})
    void badDnsZoneIs400(String body) throws Exception {
        assertError(api.curl.post("/services/dns/add", body), 400, "");
        assertTrue(api.plane.dnsZones().isEmpty());
    }

    @Test
    void statsIsJson() throws Exception {
        Curl.Result result = api.curl.get("/stats");
        assertEquals(200, result.status(), result.body());
        JsonNode stats = JSON.readTree(result.body());
        assertEquals(10, stats.at("/ports/0/framesIn").asInt());
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        Curl.Result result = api.curl.get("/metrics");
        assertEquals(200, result.status(), result.body());
        assertTrue(result.headers().contains("content-type: text/plain; version=0.0.4"), result.headers());
        assertTrue(result.body().contains("userv2_frames_total{port=\"vm0\",direction=\"in\"} 10\n"), result.body());
    }

    @Test
    void unknownPathIs404() throws Exception {
        assertError(api.curl.get("/nope"), 404, "no such API path");
        assertError(api.curl.get("/services/dhcp/leases/"), 404, "no such API path");
        assertError(api.curl.get("/"), 404, "no such API path");
    }

    @Test
    void wrongMethodIs405WithAllowOr400PostOnlyAsGvproxy() throws Exception {
        Curl.Result post = api.curl.post("/stats", "{}");
        assertError(post, 405, "use GET");
        assertTrue(post.headers().contains("allow: get"), post.headers());
        Curl.Result get = api.curl.get("/services/forwarder/expose");
        assertError(get, 400, "post only");
        assertError(api.curl.get("/services/forwarder/unexpose"), 400, "post only");
        assertError(api.curl.get("/services/dns/add"), 400, "post only");
        assertTrue(get.headers().contains("allow: post"), get.headers());
        assertError(api.curl.start("DELETE", "/services/forwarder/all", null).await(30), 405, "use GET");
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        String big = "{\"local\": \"" + "x".repeat(ApiServer.MAX_BODY_BYTES) + "\"}";
        assertError(api.curl.post("/services/forwarder/expose", big), 413, "too large");
        Curl.Result chunked = api.curl.start("POST", "/services/dns/add", big, "-H", "Transfer-Encoding: chunked")
                .await(30);
        assertError(chunked, 413, "too large");
        assertEquals(200, api.curl.get("/stats").status());
    }

    @Test
    void bodyJustUnderTheLimitIsRead() throws Exception {
        String padding = " ".repeat(ApiServer.MAX_BODY_BYTES - 100);
        assertOkEmpty(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:2222\", \"remote\": \"192.168.104.3:22\"}" + padding));
    }

    @Test
    void controlPlaneFailureIsAOneLine500() throws Exception {
        api.plane.statsFailure = new IllegalStateException("boom\nsecond line");
        assertError(api.curl.get("/stats"), 500, "internal error: java.lang.IllegalStateException: boom second line");
        api.plane.statsFailure = null;
        assertEquals(200, api.curl.get("/stats").status());
    }
}
