package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lima's unmanaged {@code socket:} network ({@code networks: [{socket: PATH}]} in lima.yaml) against a plain
 * {@code userv2-switch --listen PATH}, as it works against socket_vmnet. Lima's QEMU driver attaches such a network
 * with {@code -netdev socket,id=netN,fd={{ fd_connect PATH }}} and {@code -device virtio-net-pci,netdev=netN,mac=MAC}
 * (pkg/driver/qemu/qemu.go, Cmdline): before QEMU starts, Lima dials the unix stream socket itself and QEMU inherits
 * the connection as fd 3 (pkg/driver/qemu/qemu_driver.go, qArgTemplateApplier; exec.Cmd.ExtraFiles). The guests here
 * are attached exactly so, by testtools/fdconnect, with MACs derived the way Lima derives them. Every VM is one more
 * connection to the same socket; no handshake, the QEMU stream protocol (4-byte big-endian length + frame) from the
 * first byte. Lima registers nothing with the daemon for such a network (no API calls, no DNS zones).
 */
class LimaSocketNetworkIT {
    /** A stand-in for /etc/machine-id (Lima's osutil.MachineID); the machine's own is not read. */
    private static final String MACHINE_ID = "u2t-lima-socket-network-it";

    /**
     * The MAC Lima gives a network's NIC when lima.yaml names none (limayaml.FillDefault: {@code MACAddress(filePath
     * + "#" + index)}; limayaml.MACAddress: 52:55:55 and the first three bytes of sha256(machine id + that string)).
     */
    static String limaMac(String limaYaml, int networkIndex) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256")
                    .digest((MACHINE_ID + limaYaml + "#" + networkIndex).getBytes(StandardCharsets.UTF_8));
            return String.format("52:55:55:%02x:%02x:%02x", sha[0], sha[1], sha[2]);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Two Lima-attached VMs on one {@code --listen} socket: both get DHCP leases (each its own address, gateway and
     * DNS at the switch's gateway), ping the gateway and each other, and find each other by {@code lima-NAME.internal}
     * (learned from the DHCP hostname, since Lima registers no names for a {@code socket:} network); the switch saw
     * two connections on that one socket, and its lease table (the API a user can query) lists both MACs.
     */
    @Test
    @Timeout(value = 480, unit = TimeUnit.SECONDS)
    void twoLimaVmsOnOneSocketGetLeasesAndReachTheGatewayAndEachOther() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            HermeticDns dns = c.add(HermeticDns.create(dir.resolve("dns"), "", List.of()));
            Path sock = dir.resolve("userv2.sock");
            Path api = dir.resolve("api.sock");
            List<String> args = new ArrayList<>(List.of("--listen", sock.toString(), "--api", api.toString()));
            args.addAll(dns.switchArgs());
            SwitchProcess sw = SwitchProcess.start(args);
            c.add(sw::stop);

            // Two instances, vm1 and vm2, each with `networks: [{socket: <sock>}]` (network index 0).
            String mac1 = limaMac("/home/u2t/.lima/vm1/lima.yaml", 0);
            String mac2 = limaMac("/home/u2t/.lima/vm2/lima.yaml", 0);
            assertNotEquals(mac1, mac2, "Lima's MAC derivation gave both instances one MAC");
            String attach = "fd:" + sock;
            QemuGuest vm1 = c.add(QemuGuest.start(QemuGuest.Options.dhcp(attach, "lima-vm1").mac(mac1)));
            QemuGuest vm2 = c.add(QemuGuest.start(QemuGuest.Options.dhcp(attach, "lima-vm2").mac(mac2)));
            QemuGuest.awaitReady(vm1, Duration.ofSeconds(300));
            QemuGuest.awaitReady(vm2, Duration.ofSeconds(300));

            // One socket, two connections: each VM is its own switch port.
            String out = sw.output();
            assertTrue(out.contains("unix:" + sock + "#1 connected") && out.contains("unix:" + sock + "#2 connected"),
                    "expected two connections on " + sock + ":\n" + sw.process().tail(40));

            DhcpLease l1 = vm1.lease();
            DhcpLease l2 = vm2.lease();
            for (DhcpLease l : List.of(l1, l2)) {
                assertTrue(l.ip().startsWith("192.168.104."), l.toString());
                assertNotEquals(GATEWAY_IP, l.ip(), l.toString());
                assertEquals("24", l.mask(), "prefix length: " + l);
                assertEquals(GATEWAY_IP, l.router(), "router option: " + l);
                assertEquals(List.of(GATEWAY_IP), l.dns(), "DNS server option: " + l);
            }
            assertNotEquals(l1.ip(), l2.ip(), "two VMs got the same address");

            vm1.assertPings(GATEWAY_IP, 3);
            vm2.assertPings(GATEWAY_IP, 3);
            vm1.assertPings(vm2.ip(), 3);
            vm2.assertPings(vm1.ip(), 3);

            // Names: the switch learned them from DHCP option 12 (Lima's guests send lima-NAME).
            String n = vm1.sh("nslookup -type=a lima-vm2.internal", Duration.ofSeconds(30)).output();
            assertTrue(n.contains("Address: " + vm2.ip()), "vm1: lima-vm2.internal should be " + vm2.ip() + ":\n" + n);
            n = vm2.sh("nslookup -type=a lima-vm1.internal", Duration.ofSeconds(30)).output();
            assertTrue(n.contains("Address: " + vm1.ip()), "vm2: lima-vm1.internal should be " + vm1.ip() + ":\n" + n);

            Exec.Result leases = Exec.run(Duration.ofSeconds(20), "curl", "-sf", "--unix-socket", api.toString(),
                    "http://userv2/services/dhcp/leases");
            leases.assertOk();
            assertTrue(leases.output().contains("\"" + vm1.ip() + "\":\"" + mac1 + "\"")
                    && leases.output().contains("\"" + vm2.ip() + "\":\"" + mac2 + "\""),
                    "lease table should map " + vm1 + " and " + vm2 + ": " + leases.output());
        }
    }
}
