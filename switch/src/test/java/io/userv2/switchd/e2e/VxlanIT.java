package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * One LAN across three "hosts" joined by VXLAN (RFC 7348), each host a network namespace this test creates, the
 * underlay a bridge in a fourth one (veth pairs made inside the namespaces: nothing of the machine's own network is
 * touched, and no traffic leaves it):
 * <ul>
 *   <li>host A, 10.254.0.1: userv2 A, the LAN's gateway, run with {@code ip netns exec} so its VXLAN socket binds
 *       there, and a guest;</li>
 *   <li>host B, 10.254.0.2: userv2 B with {@code --no-gateway}, and a guest that takes its lease from A's gateway;</li>
 *   <li>host C, 10.254.0.3: a Linux kernel {@code vxlan} device in learning mode with an all-zeros FDB entry per
 *       other host (head-end replication), its LAN address 192.168.104.250, standing in for another vendor.</li>
 * </ul>
 * Checked: DHCP over the tunnel (address, router and the 1450 MTU option); pings among both guests and the kernel
 * endpoint; {@code lima-NAME.internal} of B's guest resolved at A's gateway from A's guest; a download through A's NAT
 * from a server on host A's 127.0.0.1, SHA-256 checked; malformed, foreign-VNI and unknown-endpoint datagrams dropped
 * and counted while traffic continues; a second gateway on the VNI detected; the inner frames in A's capture; a LAN
 * MTU the underlay cannot carry refused at start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VxlanIT {
    private static final Duration T = Duration.ofSeconds(30);
    private static final int VNI = 4242;
    private static final int MTU = 1450;
    private static final int BLOB_MIB = 100;
    private static final String KERNEL_LAN_IP = "192.168.104.250";
    private static final Pattern METRIC = Pattern.compile("(?m)^(\\w+)\\{([^}]*)\\} (\\d+)$");

    private final Closer closer = new Closer();
    private final String tag = E2e.randomHex(3);
    private final String nsA = "u2v-" + tag + "-a";
    private final String nsB = "u2v-" + tag + "-b";
    private final String nsC = "u2v-" + tag + "-c";
    private final String nsU = "u2v-" + tag + "-u";
    private Path dir;
    private SwitchProcess swA;
    private SwitchProcess swB;
    private NamespaceGuest guestA;
    private NamespaceGuest guestB;

    @BeforeAll
    void startThreeHosts() {
        E2e.requireRootAndTools("bridge", "busybox", "curl", "dig");
        dir = E2e.socketDir();
        closer.add(() -> E2e.deleteTree(dir));
        underlay();
        swA = closer.add(switchIn(nsA, List.of("--listen", dir.resolve("a.sock").toString(), "--api",
                dir.resolve("a-api.sock").toString(), "--pcap", dir.resolve("a.pcap").toString(),
                "--vxlan-local", "10.254.0.1", "--vxlan", "10.254.0.2", "--vxlan", "10.254.0.3")));
        swB = closer.add(switchIn(nsB, List.of("--listen", dir.resolve("b.sock").toString(), "--api",
                dir.resolve("b-api.sock").toString(), "--no-gateway",
                "--vxlan-local", "10.254.0.2", "--vxlan", "10.254.0.1", "--vxlan", "10.254.0.3")));
        guestA = closer.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + dir.resolve("a.sock"))));
        guestB = closer.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + dir.resolve("b.sock"))));
        DhcpLease la = guestA.dhcp("lima-vxa");
        DhcpLease lb = guestB.dhcp("lima-vxb");
        // B has no gateway of its own: its guest's lease came over the tunnel from A's.
        assertEquals(GATEWAY_IP, lb.router(), "B's guest: router " + lb);
        assertTrue(!la.ip().equals(lb.ip()), "both guests got " + la.ip());
        assertEquals(Integer.toString(MTU), guestB.sh("cat /sys/class/net/tap0/mtu", T).assertOk().output().trim(),
                "the DHCP MTU option gave B's guest the LAN MTU");
    }

    @AfterAll
    void stopAll() {
        closer.close();
    }

    /** Host namespaces with veths into an underlay namespace holding a bridge; host C's kernel vxlan device. */
    private void underlay() {
        // Last resort if the test JVM dies before the closer runs: never leave namespaces behind.
        Thread hook = new Thread(() -> List.of(nsA, nsB, nsC, nsU).forEach(VxlanIT::deleteNamespace));
        Runtime.getRuntime().addShutdownHook(hook);
        closer.add(() -> Runtime.getRuntime().removeShutdownHook(hook));
        for (String ns : List.of(nsU, nsA, nsB, nsC)) {
            ip("netns", "add", ns);
            closer.add(() -> deleteNamespace(ns));
        }
        ip("-n", nsU, "link", "add", "br0", "type", "bridge");
        ip("-n", nsU, "link", "set", "br0", "up");
        // The underlay's own address: an endpoint on the underlay that is no remote of anyone.
        ip("-n", nsU, "addr", "add", "10.254.0.9/24", "dev", "br0");
        String[][] hosts = {{nsA, "10.254.0.1"}, {nsB, "10.254.0.2"}, {nsC, "10.254.0.3"}};
        for (int i = 0; i < hosts.length; i++) {
            String ns = hosts[i][0];
            String port = "p" + i;
            ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", nsU);
            ip("-n", nsU, "link", "set", port, "master", "br0", "up");
            ip("-n", ns, "addr", "add", hosts[i][1] + "/24", "dev", "eth0");
            ip("-n", ns, "link", "set", "eth0", "up");
            ip("-n", ns, "link", "set", "lo", "up");
        }
        ip("-n", nsC, "link", "add", "vx0", "type", "vxlan", "id", Integer.toString(VNI), "local", "10.254.0.3",
                "dstport", "4789", "dev", "eth0");
        for (String remote : List.of("10.254.0.1", "10.254.0.2")) {
            Exec.run(T, "bridge", "-n", nsC, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", remote)
                    .assertOk();
        }
        ip("-n", nsC, "addr", "add", KERNEL_LAN_IP + "/24", "dev", "vx0");
        ip("-n", nsC, "link", "set", "vx0", "up");
        assertEquals(Integer.toString(MTU), inNs(nsC, "cat", "/sys/class/net/vx0/mtu").assertOk().output().trim(),
                "the kernel also takes 50 bytes off the underlay's 1500");
    }

    /** userv2 in host namespace {@code ns}, as a user runs it there, with the test's VNI, MTU and DNS kept local. */
    private SwitchProcess switchIn(String ns, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", E2e.jar().toString(),
                "--mtu", Integer.toString(MTU), "--vni", Integer.toString(VNI), "--host-resolver", "hosts",
                "--dns-upstream", "127.0.0.1:" + SwitchProcess.freeTcpPort()));
        cmd.addAll(extra);
        return SwitchProcess.startCommand("switch-" + ns, cmd, 1, Duration.ofSeconds(60));
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Exec.run(T, cmd).assertOk();
    }

    private static Exec.Result inNs(String ns, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return Exec.run(T, cmd);
    }

    private static void deleteNamespace(String ns) {
        Exec.Result pids = Exec.run(T, "ip", "netns", "pids", ns);
        if (pids.ok()) {
            for (String pid : pids.output().trim().split("\\s+")) {
                if (pid.matches("\\d+")) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        Exec.run(T, "ip", "netns", "del", ns);
    }

    private String metrics(String api) {
        return Exec.run(T, "curl", "-sS", "--max-time", "15", "--unix-socket", dir.resolve(api).toString(),
                "http://localhost/metrics").assertOk().output();
    }

    /** Sum of the samples of {@code name} whose labels contain every one of {@code labels}. */
    private long metric(String api, String name, String... labels) {
        long sum = 0;
        Matcher m = METRIC.matcher(metrics(api));
        outer:
        while (m.find()) {
            if (!m.group(1).equals(name)) {
                continue;
            }
            for (String l : labels) {
                if (!m.group(2).contains(l)) {
                    continue outer;
                }
            }
            sum += Long.parseLong(m.group(3));
        }
        return sum;
    }

    private static void await(String what, LongSupplier value, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        long v;
        while ((v = value.getAsLong()) < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": " + v + ", expected at least " + atLeast);
            }
            Thread.sleep(100);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void guestsAndTheKernelEndpointReachEachOther() {
        guestA.assertPings(guestB.ip(), 3);
        guestB.assertPings(guestA.ip(), 3);
        guestA.assertPings(KERNEL_LAN_IP, 3);
        guestB.assertPings(KERNEL_LAN_IP, 3);
        guestB.assertPings(GATEWAY_IP, 3);
        Exec.Result fromC = inNs(nsC, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "2", "-w", "10", guestB.ip());
        assertTrue(fromC.output().contains("3 packets received"), "kernel endpoint -> B's guest: " + fromC);
        // Full-size frames cross the tunnel unfragmented: 1450 - 28 bytes of ICMP data.
        Exec.Result big = guestB.sh("busybox ping -c 2 -i 0.3 -W 3 -w 10 -s " + (MTU - 28) + " " + guestA.ip(), T);
        assertTrue(big.output().contains("2 packets received"), "full-MTU pings B -> A: " + big);
        // Per-remote traffic in A's metrics.
        assertTrue(metric("a-api.sock", "userv2_port_frames_total", "port=\"vxlan:10.254.0.2:4789\"",
                "direction=\"in\"") > 0, metrics("a-api.sock"));
        assertTrue(metric("a-api.sock", "userv2_port_frames_total", "port=\"vxlan:10.254.0.3:4789\"",
                "direction=\"out\"") > 0, metrics("a-api.sock"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theNameOfBsGuestResolvesAtAsGateway() {
        Dig d = Dig.run(guestA, "lima-vxb.internal", "A");
        assertEquals(List.of(guestB.ip()), d.reply().data("A"), d.toString());
        d = Dig.run(guestB, "lima-vxa.internal", "A");
        assertEquals(List.of(guestA.ip()), d.reply().data("A"), d.toString());
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void bsGuestDownloadsFromAsHostThroughAsNat() throws Exception {
        Path www = Files.createDirectories(dir.resolve("www"));
        String sha = writeRandomBlob(www.resolve("blob.bin"), BLOB_MIB);
        int port = SwitchProcess.freeTcpPort();
        // Host A's own loopback: a server there is what A's NAT reaches through the host alias.
        LoggedProcess httpd = LoggedProcess.start("httpd-" + nsA, List.of("ip", "netns", "exec", nsA, "busybox",
                "httpd", "-f", "-p", "127.0.0.1:" + port, "-h", www.toString()));
        try {
            Exec.Result ready = null;
            long deadline = System.nanoTime() + T.toNanos();
            while (System.nanoTime() < deadline) {
                ready = inNs(nsA, "curl", "-sS", "-o", "/dev/null", "--max-time", "2",
                        "http://127.0.0.1:" + port + "/blob.bin", "-r", "0-0");
                if (ready.ok()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(ready != null && ready.ok(), "httpd in host A did not come up: " + ready);
            long t0 = System.nanoTime();
            Exec.Result get = guestB.exec(Duration.ofSeconds(200), "bash", "-o", "pipefail", "-c",
                    "curl -sS --fail --max-time 180 http://" + GATEWAY_IP + ":" + port + "/blob.bin | sha256sum");
            double secs = (System.nanoTime() - t0) / 1e9;
            get.assertOk();
            assertTrue(get.output().startsWith(sha), "download SHA-256: host " + sha + ", B's guest " + get.output());
            System.out.printf("VxlanIT: %d MiB from host A to B's guest through the tunnel and A's NAT in %.1f s"
                    + " (%.0f Mbit/s)%n", BLOB_MIB, secs, BLOB_MIB * 8.388608 / secs);
        } finally {
            httpd.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void badDatagramsAreDroppedAndCountedWhileTrafficContinues() throws Exception {
        long malformed = metric("a-api.sock", "userv2_vxlan_drops_total", "reason=\"malformed\"");
        long otherVni = metric("a-api.sock", "userv2_vxlan_drops_total", "reason=\"other_vni\"");
        long unknown = metric("a-api.sock", "userv2_vxlan_socket_drops_total", "reason=\"unknown_remote\"");
        // From host C (a remote): a 3-byte datagram, a header with the I flag clear, and VNI 4243; bash's /dev/udp.
        String frame = "\\xff\\xff\\xff\\xff\\xff\\xff\\x52\\x55\\x55\\x00\\x00\\x99\\x08\\x06" + "\\x00".repeat(46);
        String send = "printf '%b' \"$1\" > /dev/udp/10.254.0.1/4789";
        inNs(nsC, "bash", "-c", send, "-", "\\x08\\x00\\x00").assertOk();
        inNs(nsC, "bash", "-c", send, "-", "\\x00\\x00\\x00\\x00\\x00\\x10\\x92\\x00" + frame).assertOk();
        inNs(nsC, "bash", "-c", send, "-", "\\x08\\x00\\x00\\x00\\x00\\x10\\x93\\x00" + frame).assertOk();
        // From the underlay's own address, no remote of A's: a well-formed datagram of our VNI.
        inNs(nsU, "bash", "-c", send, "-", "\\x08\\x00\\x00\\x00\\x00\\x10\\x92\\x00" + frame).assertOk();
        await("malformed drops", () -> metric("a-api.sock", "userv2_vxlan_drops_total", "reason=\"malformed\""),
                malformed + 2);
        await("other-VNI drops", () -> metric("a-api.sock", "userv2_vxlan_drops_total", "reason=\"other_vni\""),
                otherVni + 1);
        await("unknown-endpoint drops", () -> metric("a-api.sock", "userv2_vxlan_socket_drops_total",
                "reason=\"unknown_remote\""), unknown + 1);
        guestB.assertPings(guestA.ip(), 2);
        guestA.assertPings(KERNEL_LAN_IP, 2);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aSecondGatewayOnTheVniIsDetectedAndDropped() throws Exception {
        long before = metric("a-api.sock", "userv2_vxlan_drops_total", "reason=\"second_gateway\"");
        long beforeB = metric("b-api.sock", "userv2_vxlan_drops_total", "reason=\"second_gateway\"");
        String mac = inNs(nsC, "cat", "/sys/class/net/vx0/address").assertOk().output().trim();
        try {
            // The kernel endpoint takes the gateway's MAC, as a second gateway would, and speaks.
            ip("-n", nsC, "link", "set", "vx0", "address", SwitchProcess.GATEWAY_MAC);
            inNs(nsC, "busybox", "ping", "-c", "2", "-W", "1", "-w", "3", GATEWAY_IP);
            await("second-gateway drops", () -> metric("a-api.sock", "userv2_vxlan_drops_total",
                    "reason=\"second_gateway\""), before + 1);
            swA.process().requireLine(Pattern.compile("TWO GATEWAYS ON VNI " + VNI), 0, T);
            // B, a pure switch, knows the gateway's MAC behind A: the same MAC from C is a second gateway there too,
            // and the MAC does not move (or B's guest would lose its gateway).
            await("second-gateway drops at B", () -> metric("b-api.sock", "userv2_vxlan_drops_total",
                    "reason=\"second_gateway\""), beforeB + 1);
            swB.process().requireLine(Pattern.compile("TWO GATEWAYS ON VNI " + VNI + ".*behind vxlan:10.254.0.1"), 0, T);
        } finally {
            ip("-n", nsC, "link", "set", "vx0", "address", mac);
        }
        guestA.assertPings(guestB.ip(), 2); // the real gateway's MAC never moved
        guestB.assertPings(GATEWAY_IP, 2);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aCaptureShowsTheInnerFrames() throws Exception {
        guestB.assertPings(guestA.ip(), 2);
        byte[] macB = HexFormat.ofDelimiter(":").parseHex(guestB.mac());
        Path pcap = dir.resolve("a.pcap");
        long deadline = System.nanoTime() + T.toNanos();
        int fromB;
        while ((fromB = framesFrom(pcap, macB)) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(200); // the capture is flushed once a second
        }
        assertTrue(fromB > 0, "no frame with B's guest's MAC as Ethernet source in A's capture");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aLanMtuTheUnderlayCannotCarryIsRefusedAtStart() {
        Exec.Result r = inNs(nsA, Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                E2e.jar().toString(), "--listen", dir.resolve("x.sock").toString(), "--mtu", "1500", "--vni", "1",
                "--vxlan-local", "10.254.0.1:4790", "--vxlan", "10.254.0.2");
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.output().contains("--mtu 1500 does not fit VXLAN") && r.output().contains("--mtu 1450 or less"),
                r.output());
    }

    /** Frames in a pcap file whose Ethernet source is {@code mac} (the outer frames would carry a veth's MAC). */
    private static int framesFrom(Path pcap, byte[] mac) throws IOException {
        if (!Files.exists(pcap)) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 24) {
            return 0;
        }
        if (b.getInt(0) != 0xa1b2c3d4) {
            b.order(ByteOrder.BIG_ENDIAN);
        }
        int n = 0;
        int at = 24;
        while (at + 16 <= b.limit()) {
            int len = b.getInt(at + 8);
            int frame = at + 16;
            if (frame + len > b.limit()) {
                break;
            }
            if (len >= 12 && java.util.Arrays.equals(b.array(), frame + 6, frame + 12, mac, 0, 6)) {
                n++;
            }
            at = frame + len;
        }
        return n;
    }

    private static String writeRandomBlob(Path file, int mib) throws IOException {
        MessageDigest sha = NatHostServices.sha256();
        Random random = new Random(13);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                random.nextBytes(chunk);
                out.write(chunk);
                sha.update(chunk);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
