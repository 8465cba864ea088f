package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On a switch without a gateway ({@code --no-gateway}) the calls that need one are refused with 409 and a message
 * saying why, before the control plane is asked; the read-only calls still answer.
 */
class ApiNoGatewayTest {
    private ApiFixture api;

    @BeforeEach
    void start() throws Exception {
        api = new ApiFixture();
        api.plane.gateway = false;
    }

    @AfterEach
    void stop() throws Exception {
        api.close();
    }

    private static void assertNoGateway(Curl.Result r) {
        assertEquals(409, r.status(), r.body());
        assertTrue(r.body().startsWith("this switch has no gateway (--no-gateway): "), r.body());
    }

    @Test
    void callsThatNeedTheGatewayAreRefusedWith409() throws Exception {
        assertNoGateway(api.curl.post("/services/forwarder/expose",
                "{\"local\": \"127.0.0.1:2222\", \"remote\": \"192.168.104.3:22\", \"protocol\": \"tcp\"}"));
        assertNoGateway(api.curl.post("/services/forwarder/unexpose",
                "{\"local\": \"127.0.0.1:2222\", \"protocol\": \"tcp\"}"));
        assertNoGateway(api.curl.post("/services/dns/add",
                "{\"Name\": \"test.\", \"Records\": [{\"Name\": \"a\", \"IP\": \"192.168.104.9\"}]}"));
        assertNoGateway(api.curl.get("/extension/wait_port?ip=192.168.104.3&port=22&timeout=5"));
        assertNoGateway(api.curl.get("/tunnel?ip=192.168.104.3&port=22"));
        assertTrue(api.plane.forwards().isEmpty());
        assertTrue(api.plane.dnsZones().isEmpty());
        assertTrue(api.plane.tunnels.isEmpty(), "no tunnel was opened");
        assertEquals(0, api.plane.probes.get(), "no probe was made");
        // bad input is still a 400 first
        assertEquals(400, api.curl.get("/extension/wait_port?ip=nohost&port=22").status());
    }

    @Test
    void readOnlyCallsStillAnswer() throws Exception {
        assertEquals(200, api.curl.get("/services/dhcp/leases").status());
        assertEquals(200, api.curl.get("/services/forwarder/all").status());
        assertEquals(200, api.curl.get("/services/dns/all").status());
        assertEquals(200, api.curl.get("/stats").status());
    }
}
