package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code userv2-switch gvproxy} started with podman machine's command line (QEMU provider: {@code -mtu},
 * {@code -ssh-port}, {@code -listen-qemu unix://}, {@code -pid-file}, {@code -log-file}; plus {@code -listen} and
 * {@code -notification}), and a real QEMU guest with gvproxy's VM MAC on {@code -listen-qemu}:
 *
 * <ul>
 *   <li>the pidfile holds the bare pid (podman parses it with {@code strconv.Atoi});</li>
 *   <li>the guest gets gvproxy's addresses by DHCP (192.168.127.2, router and DNS 192.168.127.1);</li>
 *   <li>it resolves {@code host.containers.internal} (192.168.127.254) and {@code gateway.docker.internal} at the
 *       gateway;</li>
 *   <li>it reaches the host's 127.0.0.1 through the host alias 192.168.127.254 and pings it;</li>
 *   <li>the host reaches the guest's port 22 on 127.0.0.1:{@code -ssh-port} (a busybox httpd stands in for sshd; the
 *       SSH forwards test runs a real sshd);</li>
 *   <li>the guest exposes its port 8081 on the host through the guest-side API at http://192.168.127.1/, as
 *       podman's guest does;</li>
 *   <li>the notification client hears {@code ready}, then {@code connection_established} and, when QEMU goes,
 *       {@code connection_closed} for the guest's MAC;</li>
 *   <li>SIGTERM stops it with exit code 0 and removes the pidfile and the sockets.</li>
 * </ul>
 *
 * <p>Network safety: the host service listens on 127.0.0.1; the DNS names asked are in the gateway's own zones (a
 * trailing dot: no search-list expansion), so no query reaches the machine's resolver.
 */
class GvproxyIT {
    private static final String VM_MAC = "5a:94:ef:e4:0c:ee";

    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void podmansCommandLineServesAQemuGuestAsGvproxyWould() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            NatHostServices host = c.add(new NatHostServices());
            Path www = Files.createDirectories(dir.resolve("www"));
            Files.writeString(www.resolve("hello"), "hello from the host\n");
            NatHostServices.Http http = host.http(www);
            NotificationListener events = c.add(new NotificationListener(dir.resolve("notify.sock")));

            Path qemu = dir.resolve("podman-machine-default-gvproxy.sock");
            Path pid = dir.resolve("gvproxy.pid");
            Path log = dir.resolve("gvproxy.log");
            Path api = dir.resolve("api.sock");
            int sshPort = SwitchProcess.freeTcpPort();
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    E2e.jar().toString(), "gvproxy", "-mtu", "1500", "-ssh-port", Integer.toString(sshPort),
                    "-listen-qemu", "unix://" + qemu, "-pid-file", pid.toString(), "-log-file", log.toString(),
                    "-listen", "unix://" + api, "-notification", "unix://" + dir.resolve("notify.sock"));
            LoggedProcess gv = c.add(LoggedProcess.start("gvproxy", cmd));

            // podman waits for the QEMU socket file, then starts QEMU
            awaitFile(qemu, gv);
            assertEquals("ready", events.next().orElseThrow(() -> new AssertionError("no ready event; log:\n"
                    + read(log))), "first event");
            assertEquals(Long.toString(gv.pid()), read(pid), "the pidfile holds the bare pid");

            QemuGuest vm = c.add(QemuGuest.awaitReady(QemuGuest.start(QemuGuest.Options.dhcp("unix:" + qemu, null)
                    .mac(VM_MAC)), Duration.ofSeconds(300)));
            DhcpLease lease = vm.lease();
            assertEquals("192.168.127.2", lease.ip(), "gvproxy's static lease for its VM MAC: " + lease);
            assertEquals("192.168.127.1", lease.router(), lease.toString());
            assertEquals(List.of("192.168.127.1"), lease.dns(), lease.toString());
            assertEquals("{\"notification_type\":\"connection_established\",\"mac_address\":\"" + VM_MAC + "\"}",
                    events.nextLine().orElseThrow(() -> new AssertionError("no connection_established event")));

            String hostName = console(vm, "nslookup host.containers.internal. 192.168.127.1");
            assertTrue(hostName.contains("192.168.127.254"), "host.containers.internal:\n" + hostName);
            String gatewayName = console(vm, "nslookup gateway.docker.internal. 192.168.127.1");
            assertTrue(gatewayName.contains("192.168.127.1"), "gateway.docker.internal:\n" + gatewayName);

            vm.assertPings("192.168.127.254", 2);
            String fromHost = console(vm, "wget -q -O - http://192.168.127.254:" + http.port + "/hello");
            assertTrue(fromHost.contains("hello from the host"), "host alias to 127.0.0.1:\n" + fromHost);

            // -ssh-port: the host's 127.0.0.1:PORT reaches the VM's port 22
            console(vm, "mkdir -p /srv && echo hello from the guest > /srv/id && busybox httpd -p 22 -h /srv && echo ok");
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> viaSshPort = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + sshPort + "/id")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("hello from the guest\n", viaSshPort.body());

            // podman's guest exposes a container port through gvproxy's guest-side API at the gateway's port 80;
            // a remote without host means the calling guest
            int exposed = SwitchProcess.freeTcpPort();
            String answer = console(vm, "busybox httpd -p 8081 -h /srv && wget -q -O - --header 'Content-Type:"
                    + " application/json' --post-data '{\"local\":\"127.0.0.1:" + exposed + "\",\"remote\":\":8081\","
                    + "\"protocol\":\"tcp\"}' http://192.168.127.1/services/forwarder/expose; echo wget-exit=$?");
            assertTrue(answer.contains("wget-exit=0"), "expose from the guest:\n" + answer);
            HttpResponse<String> viaExpose = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + exposed + "/id")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("hello from the guest\n", viaExpose.body(), "the port the guest exposed");

            assertTrue(Exec.run(Duration.ofSeconds(10), "curl", "-sf", "--unix-socket", api.toString(),
                    "http://gvproxy/services/dhcp/leases").assertOk().output().contains("\"192.168.127.2\":\"" + VM_MAC
                    + "\""), "leases on the -listen socket");

            vm.close();
            assertEquals("{\"notification_type\":\"connection_closed\",\"mac_address\":\"" + VM_MAC + "\"}",
                    events.nextLine().orElseThrow(() -> new AssertionError("no connection_closed event")));

            Exec.run(Duration.ofSeconds(5), "kill", "-TERM", Long.toString(gv.pid())).assertOk();
            Optional<Integer> code = gv.awaitExit(Duration.ofSeconds(10));
            assertEquals(Optional.of(0), code, "exit code after SIGTERM");
            assertFalse(Files.exists(pid), "pidfile removed");
            assertFalse(Files.exists(qemu), "QEMU socket removed");
            assertFalse(Files.exists(api), "API socket removed");
            String logged = read(log);
            assertTrue(logged.contains("gvproxy version"), "-log-file gets the log:\n" + logged);
            assertFalse(gv.output().contains(" INFO "), "nothing logged on stderr with -log-file:\n" + gv.output());
        }
    }

    private static String console(QemuGuest vm, String script) {
        return vm.sh(script, Duration.ofSeconds(40)).output();
    }

    private static void awaitFile(Path file, LoggedProcess p) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "no " + file + ":\n" + p.tail(20));
            Thread.onSpinWait();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    /** A client of gvproxy's {@code -notification}: listens on a unix socket; each connection carries one event line. */
    private static final class NotificationListener implements AutoCloseable {
        private final ServerSocketChannel server;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Thread thread;

        NotificationListener(Path socket) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
            thread = new Thread(() -> {
                while (server.isOpen()) {
                    try (SocketChannel ch = server.accept(); InputStream in = Channels.newInputStream(ch)) {
                        lines.add(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "notification-listener");
            thread.setDaemon(true);
            thread.start();
        }

        /** The next event's whole line, waiting up to 60 s. */
        Optional<String> nextLine() throws InterruptedException {
            return Optional.ofNullable(lines.poll(60, TimeUnit.SECONDS));
        }

        /** The next event's type. */
        Optional<String> next() throws InterruptedException {
            return nextLine().map(line -> {
                assertNotNull(line);
                int i = line.indexOf("\"notification_type\":\"");
                assertTrue(i >= 0, line);
                int from = i + "\"notification_type\":\"".length();
                return line.substring(from, line.indexOf('"', from));
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
