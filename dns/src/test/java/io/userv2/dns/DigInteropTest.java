package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.TXTRecord;

/**
 * The real {@code dig} against {@link DnsUdpTcpListener} on 127.0.0.1, over UDP and TCP. Every dig is pointed at the
 * listener explicitly ({@code @127.0.0.1 -p PORT}, no search list, one try), so nothing reaches the host's resolver.
 */
@EnabledIf("digExists")
class DigInteropTest {

    static final Path DIG = Path.of("/usr/bin/dig");

    static boolean digExists() {
        return Files.isExecutable(DIG);
    }

    @TempDir Path dir;
    FakeUpstream upstream;
    DnsServer server;
    DnsUdpTcpListener listener;

    @BeforeEach
    void setUp() throws Exception {
        upstream = FakeUpstream.start();
        upstream.add(new MXRecord(name("example.test"), DClass.IN, 60, 10, name("mail.example.test")));
        for (int i = 0; i < 30; i++) {
            upstream.add(new TXTRecord(name("big.test"), DClass.IN, 60, "txt " + i + " padding padding padding"));
        }
        server = DnsServer.create(DnsTestSupport.config(dir, upstream, DnsTestSupport.HOSTS).build());
        server.zone().put("lima-vm1", (java.net.Inet4Address) DnsTestSupport.ip("192.168.104.3"));
        listener = DnsUdpTcpListener.start(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void tearDown() throws Exception {
        listener.close();
        server.close();
        upstream.close();
    }

    private String dig(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(DIG.toString(), "@127.0.0.1", "-p",
                String.valueOf(listener.localAddress().getPort()), "+nosearch", "+tries=1", "+time=3"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("dig did not finish: " + cmd);
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void internalNamesOverUdpAndTcp() throws Exception {
        assertEquals("192.168.104.2", dig("+short", "HOST.lima.internal"));
        assertEquals("192.168.104.2", dig("+short", "+tcp", "host.lima.internal"));
        assertEquals("192.168.104.3", dig("+short", "lima-vm1.internal"));
        assertEquals("lima-vm1.internal.", dig("+short", "-x", "192.168.104.3"));
        assertEquals("lima-vm1.internal.", dig("+short", "+tcp", "-x", "192.168.104.3"));
    }

    @Test
    void hostResolvedAndForwardedNames() throws Exception {
        assertEquals(List.of("10.1.2.3", "10.1.2.4"), dig("+short", "web.test").lines().sorted().toList());
        assertEquals("fd00::1", dig("+short", "+tcp", "web.test", "AAAA"));
        assertEquals("10 mail.example.test.", dig("+short", "example.test", "MX"));
        String nx = dig("nowhere.test");
        assertTrue(nx.contains("status: NXDOMAIN"), nx);
    }

    @Test
    void truncationOverUdpAndTheWholeAnswerOverTcp() throws Exception {
        String udp = dig("+ignore", "+noedns", "big.test", "TXT");
        assertTrue(udp.matches("(?s).*flags: [a-z ]*\\btc\\b.*"), udp);
        String tcp = dig("+short", "+tcp", "big.test", "TXT");
        assertEquals(30, tcp.lines().count(), tcp);
        String retried = dig("+short", "+noedns", "big.test", "TXT");
        assertEquals(30, retried.lines().count(), "dig retries over TCP on TC by itself: " + retried);
    }
}
