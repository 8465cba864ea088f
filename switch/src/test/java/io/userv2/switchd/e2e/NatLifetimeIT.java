package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What a guest leaves behind in the NAT ends with it, with namespace guests and servers on the host's 127.0.0.1:
 * <ul>
 *   <li>a guest that is destroyed while it holds 100 idle connections to a host server: the server sees all 100
 *       closed within 5 s (the switch port closed, every flow it owned was reset);</li>
 *   <li>a frozen guest (its link stopped mid-connection, as a paused VM): its connections are reaped by keep-alive
 *       within the keep-alive time the switch was given;</li>
 *   <li>a guest whose kernel forgets its connections ({@code ss -K}, as a reboot does): reaped as well;</li>
 *   <li>200 silent DNS-over-TCP connections to the gateway are closed by the idle timeout, while {@code dig +tcp}
 *       still answers.</li>
 * </ul>
 * Network safety: servers on 127.0.0.1 only; guests address only the gateway; DNS never leaves the machine
 * ({@code --host-resolver hosts}, upstream a closed loopback port).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatLifetimeIT {
    /** Keep-alive after 2 s idle, 2 probes 1 s apart: an unanswering guest's flows go after about 4 s. */
    private static final List<String> FAST_KEEPALIVE =
            List.of("--keepalive-idle", "2", "--keepalive-interval", "1", "--keepalive-probes", "2");
    private static final Pattern HELD = Pattern.compile("held n=(\\d+) connected=(\\d+)");

    private final Closer closer = new Closer();
    private NatHostServices host;
    private String natprobe;

    @BeforeAll
    void start() {
        E2e.requireRoot();
        host = closer.add(new NatHostServices());
        natprobe = NatTools.natprobe().toString();
    }

    @AfterAll
    void stopAll() {
        closer.close();
    }

    /** A switch with {@code extra} arguments and one namespace guest at {@code cidr}, closed by {@code c}. */
    private NamespaceGuest switchAndGuest(Closer c, String cidr, List<String> extra) {
        Path dir = E2e.socketDir();
        c.add(() -> E2e.deleteTree(dir));
        SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"), extra));
        c.add(sw::stop);
        NamespaceGuest g = c.add(NamespaceGuest.start(
                NamespaceGuest.Options.connect("unix:" + dir.resolve("net.sock"), cidr)));
        g.assertPings(GATEWAY_IP, 1);
        return g;
    }

    /** Starts natprobe hold in {@code g} and waits until every connect is decided; returns it. */
    private LoggedProcess hold(NamespaceGuest g, int port, int n, int seconds) {
        LoggedProcess p = g.spawn("hold-" + port, natprobe, "hold", GATEWAY_IP, Integer.toString(port),
                Integer.toString(n), Integer.toString(seconds));
        Matcher held = p.requireLine(HELD, 0, Duration.ofSeconds(30));
        assertEquals(Integer.toString(n), held.group(2), "connections established: " + held.group());
        return p;
    }

    /** {@code n} idle connections from {@code g} to {@code echo}, established on both sides. */
    private void holdOnHost(NamespaceGuest g, NatHostServices.TcpEcho echo, int n) throws InterruptedException {
        hold(g, echo.port, n, 60);
        assertTrue(millisUntil(() -> echo.open.get() == n, Duration.ofSeconds(10)) >= 0,
                "the host server holds " + n + " connections: " + echo.open.get());
    }

    private static long millisUntil(BooleanSupplier condition, Duration limit) throws InterruptedException {
        long t0 = System.nanoTime();
        long end = t0 + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return -1;
            }
            Thread.sleep(10); // polling a condition with a deadline, not sleeping in place of it
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDestroyedGuestsConnectionsCloseOnTheHostWithin5Seconds() throws Exception {
        NatHostServices.TcpEcho echo = host.tcpEcho();
        try (Closer c = new Closer()) {
            NamespaceGuest g = switchAndGuest(c, "192.168.104.11/24", List.of());
            holdOnHost(g, echo, 100);
            g.close(); // the VM is gone: its tap bridge dies and its switch port closes
            long ms = millisUntil(() -> echo.open.get() == 0, Duration.ofSeconds(5));
            assertTrue(ms >= 0, "still open on the host 5 s after the guest went: " + echo.open.get());
            System.out.printf("NatLifetimeIT: 100 host connections closed %d ms after the guest went%n", ms);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFrozenGuestsConnectionsAreReapedByKeepAlive() throws Exception {
        NatHostServices.TcpEcho echo = host.tcpEcho();
        try (Closer c = new Closer()) {
            NamespaceGuest g = switchAndGuest(c, "192.168.104.12/24", FAST_KEEPALIVE);
            holdOnHost(g, echo, 20);
            long pid = g.bridge().pid();
            Exec.run(Duration.ofSeconds(5), "kill", "-STOP", Long.toString(pid)).assertOk();
            c.add(() -> Exec.run(Duration.ofSeconds(5), "kill", "-CONT", Long.toString(pid)));
            // Keep-alive: 2 s idle, then 2 unanswered probes 1 s apart: reaped after about 4 s.
            long ms = millisUntil(() -> echo.open.get() == 0, Duration.ofSeconds(15));
            assertTrue(ms >= 0, "a frozen guest's connections still open on the host: " + echo.open.get());
            System.out.printf("NatLifetimeIT: frozen guest's 20 connections reaped %d ms after it froze%n", ms);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void connectionsTheGuestsKernelForgetsAreReaped() throws Exception {
        NatHostServices.TcpEcho echo = host.tcpEcho();
        try (Closer c = new Closer()) {
            NamespaceGuest g = switchAndGuest(c, "192.168.104.14/24", FAST_KEEPALIVE);
            holdOnHost(g, echo, 20);
            // The guest's kernel drops them (as after a reboot); whatever it tells the gateway, or does not, the
            // flows must be gone within the keep-alive time: 2 s idle + 2 probes 1 s apart.
            g.exec(Duration.ofSeconds(10), "ss", "-K", "dst", GATEWAY_IP).assertOk();
            long ms = millisUntil(() -> echo.open.get() == 0, Duration.ofSeconds(15));
            assertTrue(ms >= 0, "connections the guest forgot still open on the host: " + echo.open.get());
            System.out.printf("NatLifetimeIT: 20 connections the guest forgot (ss -K) reaped in %d ms%n", ms);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void silentDnsOverTcpConnectionsAreClosedWhileDigStillAnswers() throws Exception {
        try (Closer c = new Closer()) {
            NamespaceGuest g = switchAndGuest(c, "192.168.104.13/24", List.of("--dns-tcp-idle-timeout", "3"));
            LoggedProcess p = hold(g, 53, 200, 30);
            Exec.Result dig = g.exec(Duration.ofSeconds(20), "dig", "+tcp", "+short", "+time=5", "+tries=1",
                    "@" + GATEWAY_IP, "host.lima.internal");
            dig.assertOk();
            assertEquals(GATEWAY_IP, dig.output().trim(), "dig +tcp answers while 200 connections sit idle");
            Matcher done = p.requireLine(Pattern.compile("result=done .*"), 0, Duration.ofSeconds(30));
            Map<String, String> r = fields(done.group());
            assertEquals("200", r.get("closed"), "every silent connection closed by the gateway: " + done.group());
            long last = Long.parseLong(r.get("last_close_ms"));
            assertTrue(last <= 3_000 + 2_000, "closed within the idle timeout (3 s) and a margin: " + done.group());
            System.out.println("NatLifetimeIT: " + done.group());
        }
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> kv = new HashMap<>();
        for (String part : new ArrayList<>(List.of(line.split(" ")))) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                kv.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return kv;
    }
}
