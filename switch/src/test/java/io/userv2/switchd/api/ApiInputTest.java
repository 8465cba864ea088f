package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Validation of what clients send, without a server. */
class ApiInputTest {
    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "192.168.104.3", "255.255.255.255", "10.0.0.1"})
    void ipv4Literals(String ip) throws Exception {
        assertEquals(ip, ApiInput.ipv4(ip, "ip"));
        assertEquals(ip, ApiInput.ipLiteral(ip, "ip"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.", "1.2.3.256", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1..2.3",
        "localhost", "lima-foo.internal", " 1.2.3.4", "1.2.3.4 ", "１.2.3.4"})
    void notIpv4(String ip) {
        assertThrows(ApiException.class, () -> ApiInput.ipv4(ip, "ip"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"::1", "fd00::1", "FE80::1", "2001:db8::ff00:42:8329", "::ffff:192.0.2.1", "::"})
    void ipv6Literals(String ip) throws Exception {
        assertEquals(ip.toLowerCase(java.util.Locale.ROOT), ApiInput.ipLiteral(ip, "ip"));
    }

    @ParameterizedTest
    @ValueSource(strings = {":::1", "fd00::1::2", "12345::1", "g::1", "fe80::1%eth0", "[::1]", "1:2:3:4:5:6:7:8:9"})
    void notIpv6(String ip) {
        assertThrows(ApiException.class, () -> ApiInput.ipLiteral(ip, "ip"));
    }

    @Test
    void ports() throws Exception {
        assertEquals(1, ApiInput.port("1", "port"));
        assertEquals(65535, ApiInput.port("65535", "port"));
        for (String bad : new String[] {"0", "65536", "-1", "+22", "22 ", "", "999999", "0x16"}) {
            assertThrows(ApiException.class, () -> ApiInput.port(bad, "port"), bad);
        }
    }

    @Test
    void protocols() throws Exception {
        assertEquals("tcp", ApiInput.protocol(null));
        assertEquals("tcp", ApiInput.protocol(""));
        assertEquals("udp", ApiInput.protocol("UDP"));
        assertEquals("unix", ApiInput.protocol("unix"));
        ApiException sctp = assertThrows(ApiException.class, () -> ApiInput.protocol("sctp"));
        assertEquals(400, sctp.status());
        assertEquals("unknown protocol sctp (tcp, udp or unix)", sctp.getMessage());
    }

    @Test
    void localAndRemoteAddresses() throws Exception {
        assertEquals("127.0.0.1:2222", ApiInput.localAddress("127.0.0.1:2222"));
        assertEquals("0.0.0.0:6443", ApiInput.localAddress(":6443"));
        assertEquals("[::1]:2222", ApiInput.localAddress("[::1]:2222"));
        assertEquals("192.168.104.3:22", ApiInput.remoteAddress("192.168.104.3:22"));
        assertEquals("nohost:22", ApiInput.remoteAddress("nohost:22"));
        assertEquals("lima-web.internal:80", ApiInput.remoteAddress("lima-web.internal:80"));
        assertThrows(ApiException.class, () -> ApiInput.remoteAddress(":22"));
        assertThrows(ApiException.class, () -> ApiInput.remoteAddress("192.168.104.256:22"));
        assertEquals("/run/x.sock", ApiInput.unixPath("/run//x.sock"));
        assertEquals("tcp://192.168.104.3:80", ApiInput.unixRemote("tcp://192.168.104.3:80"));
        assertEquals("tcp://192.168.104.3:80", ApiInput.unixRemote("192.168.104.3:80"));
        assertEquals(501, assertThrows(ApiException.class, () -> ApiInput.unixRemote("ssh-tunnel://a@b:22/x")).status());
        assertThrows(ApiException.class, () -> ApiInput.localAddress("[]:22"));
    }

    @Test
    void ipv6RemotesAsGoJoinsThem() throws Exception {
        // net.JoinHostPort brackets a host with a colon; the canonical form (RFC 5952) is what the list shows
        assertEquals("[fd00:1::5]:80", ApiInput.remoteAddress("[FD00:1:0:0::5]:80"));
        assertEquals("[fe80::1]:22", ApiInput.remoteAddress("[fe80::1]:22"));
        assertEquals("[lima-web]:80", ApiInput.remoteAddress("[lima-web]:80"), "a name asked for its IPv6 address");
        assertEquals("tcp://[fd00::5]:80", ApiInput.unixRemote("tcp://[fd00::5]:80"));
        assertEquals("[::1]:8080", ApiInput.localAddress("[0:0::1]:8080"), "unexpose finds it however written");
        for (String bad : new String[] {"fd00::5:80", "[fd00::5]", "[fd00::5]80", "[fd00::5]:", "[fd00::5]:0",
            "[::1]:80", "[ff02::1]:80", "[::ffff:192.168.104.3]:22", "[192.168.104.3]:22", "[]:80", "[fd00::g]:80",
            "[fe80::1%eth0]:22", "[lima web]:80"}) {
            assertThrows(ApiException.class, () -> ApiInput.remoteAddress(bad), bad);
        }
    }

    @Test
    void echoIsOneClippedLine() {
        assertEquals("\"a?b\"", ApiInput.echo("a\nb"));
        assertEquals(80 + 5, ApiInput.echo("x".repeat(200)).length());
    }

    @Test
    void apiExceptionNeedsAnErrorStatus() {
        assertThrows(IllegalArgumentException.class, () -> new ApiException(200, "fine"));
        assertEquals(409, new ApiException(409, "dup").status());
    }
}
