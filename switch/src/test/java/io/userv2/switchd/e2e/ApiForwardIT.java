package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.ApiCurl.api;
import static io.userv2.switchd.e2e.ApiCurl.status;
import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP API as Lima and gvproxy clients use it, with the real curl over the API socket and a real guest: leases
 * read back, a forward created at run time reaches the guest's busybox httpd and is refused after unexpose,
 * wait_port, DNS zones answered at the gateway, metrics, and forwards kept across a restart with --state-dir.
 */
class ApiForwardIT {
    private static final Duration T = Duration.ofSeconds(20);

    @Test
    @Timeout(value = 180)
    void forwardCreatedAtRunTimeReachesTheGuestUntilUnexposed() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = Files.createDirectories(E2e.workdir().resolve("api-www-" + E2e.randomHex(3)));
        Path state = Files.createDirectories(dir.resolve("state"));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(www));
            c.add(() -> E2e.deleteTree(dir));
            Files.writeString(www.resolve("index.html"), "served-by-the-guest\n");
            Path sock = dir.resolve("net.sock");
            Path apiSock = dir.resolve("api.sock");
            List<String> args = List.of("--listen", sock.toString(), "--api", apiSock.toString(),
                    "--state-dir", state.toString(), "--host-resolver", "hosts",
                    "--dns-upstream", "127.0.0.1:" + SwitchProcess.freeTcpPort());
            SwitchProcess sw = c.add(SwitchProcess.start(args));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(apiSock)));

            NamespaceGuest guest = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + sock)));
            guest.dhcp("lima-web");
            String ip = guest.ip();
            guest.spawn("httpd", "busybox", "httpd", "-f", "-p", "80", "-h", www.toString());

            Exec.Result leases = api(apiSock, "GET", "/services/dhcp/leases", null);
            assertEquals(200, status(leases), leases.toString());
            assertTrue(leases.output().contains("\"" + ip + "\":\"" + guest.mac() + "\""), leases.output());
            assertTrue(leases.output().contains("\"" + GATEWAY_IP + "\":\"" + SwitchProcess.GATEWAY_MAC + "\""),
                    "the gateway's own entry, as gvproxy lists it: " + leases.output());
            Exec.Result cam = api(apiSock, "GET", "/cam", null);
            assertEquals(200, status(cam), cam.toString());
            assertTrue(cam.output().contains("\"" + guest.mac() + "\":"), "the guest's MAC in /cam: " + cam.output());
            assertTrue(!cam.output().contains(SwitchProcess.GATEWAY_MAC), "no gateway in /cam, as gvproxy: " + cam.output());

            Exec.Result waited = api(apiSock, "GET", "/extension/wait_port?ip=" + ip + "&port=80&timeout=20", null);
            assertEquals(200, status(waited), "httpd port open: " + waited);
            Exec.Result closed = api(apiSock, "GET", "/extension/wait_port?ip=" + ip + "&port=81&timeout=1", null);
            assertEquals(408, status(closed), "nothing on port 81: " + closed);

            int port = SwitchProcess.freeTcpPort();
            String local = "127.0.0.1:" + port;
            String forward = "{\"local\":\"" + local + "\",\"remote\":\"" + ip + ":80\",\"protocol\":\"tcp\"}";
            assertEquals(200, status(api(apiSock, "POST", "/services/forwarder/expose", forward)));
            Exec.Result twice = api(apiSock, "POST", "/services/forwarder/expose", forward);
            assertEquals(500, status(twice), "exposed twice: gvproxy's status");
            assertTrue(twice.output().contains("proxy already running for tcp on " + local), twice.output());
            Exec.Result page = Exec.run(T, List.of("curl", "-sS", "--max-time", "10", "http://" + local + "/"));
            assertEquals("served-by-the-guest", page.output().strip(), page.toString());
            Exec.Result all = api(apiSock, "GET", "/services/forwarder/all", null);
            assertTrue(all.output().contains("\"local\":\"" + local + "\"") && all.output().contains(ip + ":80"),
                    all.output());

            String zone = "{\"Name\":\"internal.\",\"Records\":[{\"Name\":\"lima-api\",\"IP\":\"192.168.104.77\"}],"
                    + "\"DefaultIP\":null}";
            assertEquals(200, status(api(apiSock, "POST", "/services/dns/add", zone)));
            Exec.Result dig = guest.exec(T, "dig", "+short", "+time=3", "@192.168.104.2", "lima-api.internal");
            assertEquals("192.168.104.77", dig.output().strip(), dig.toString());
            assertTrue(api(apiSock, "GET", "/services/dns/all", null).output().contains("lima-api"));

            Exec.Result metrics = api(apiSock, "GET", "/metrics", null);
            assertTrue(metrics.output().contains("userv2_port_frames_total{port="), metrics.output());
            assertTrue(metrics.output().contains("userv2_dhcp_leases 1"), metrics.output());
            assertEquals(400, status(api(apiSock, "POST", "/services/forwarder/expose", "{not json")));

            // Kept across a restart with --state-dir.
            sw.stop();
            SwitchProcess again = c.add(SwitchProcess.start(args));
            Exec.Result kept = api(apiSock, "GET", "/services/forwarder/all", null);
            assertTrue(kept.output().contains("\"local\":\"" + local + "\""), "forward restored: " + kept.output());
            Exec.Result keptLeases = api(apiSock, "GET", "/services/dhcp/leases", null);
            assertTrue(keptLeases.output().contains("\"" + ip + "\""), "lease restored: " + keptLeases.output());

            assertEquals(200, status(api(apiSock, "POST", "/services/forwarder/unexpose",
                    "{\"local\":\"" + local + "\",\"protocol\":\"tcp\"}")));
            Exec.Result refused = Exec.run(T, List.of("curl", "-sS", "--max-time", "5", "http://" + local + "/"));
            assertEquals(7, refused.exitCode(), "refused after unexpose: " + refused);
            Exec.Result gone = api(apiSock, "POST", "/services/forwarder/unexpose",
                    "{\"local\":\"" + local + "\",\"protocol\":\"tcp\"}");
            assertEquals(500, status(gone), "gvproxy's status: " + gone);
            assertTrue(gone.output().startsWith("proxy not found"), gone.output());
            assertTrue(again.isAlive());
        }
    }
}
