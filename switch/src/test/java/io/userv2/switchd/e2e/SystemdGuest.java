package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A QEMU guest (TCG, 1 GiB) running a real Debian 12 userland under systemd, as a Lima cloud image does: systemd-networkd
 * takes a DHCP lease on the virtio NIC (sending its hostname {@value #HOSTNAME} and a DUID-based client identifier),
 * systemd-resolved is the guest's resolver (its stub 127.0.0.53 in /etc/resolv.conf, libnss-resolve in nsswitch).
 * The root filesystem is the ext4 image scripts/systemd-guest.sh builds once with debootstrap (cached under
 * {@code /var/cache/userv2-test}, or {@code -Duserv2.systemdGuestCache=DIR}); QEMU opens it with {@code snapshot=on},
 * so the image never changes. The kernel is the one the other QEMU guests boot ({@link QemuGuest#kernel()}); a busybox
 * initramfs (testtools/systemd-init.sh) loads its virtio, ext4 and virtio-net modules and switches to the image's
 * systemd. The image's u2t-agent.service speaks {@link QemuGuest}'s console protocol on ttyS0 once the network is
 * online, so commands run through {@link QemuGuest#sh}.
 */
public final class SystemdGuest implements Guest {
    /** The guest's hostname (networkd sends it in DHCP option 12, so the switch names it {@code lima-sysd.internal}). */
    public static final String HOSTNAME = "lima-sysd";
    /** Modules for the root disk, its filesystem and the NIC, dependencies first; missing ones are skipped. */
    static final List<String> MODULES = List.of("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
            "virtio_pci", "virtio_blk", "crc16", "mbcache", "jbd2", "crc32c_generic", "ext4", "failover", "net_failover",
            "virtio_net");
    private static final Pattern IPV4 = Pattern.compile("inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/\\d+");
    private static Path image;
    private static Path initramfs;

    private final QemuGuest console;
    private volatile String ip;

    private SystemdGuest(QemuGuest console) {
        this.console = console;
    }

    /**
     * The root filesystem image: runs scripts/systemd-guest.sh (a no-op that prints the cached path when the image of
     * this script's version exists, else a debootstrap from the machine's own Debian mirror, bounded at 15 minutes).
     * Its progress goes to {@code workdir/logs/systemd-guest-build-*.log}.
     */
    public static synchronized Path image() {
        if (image != null) {
            return image;
        }
        Path script = E2e.testtools().getParent().resolve("scripts/systemd-guest.sh");
        if (!Files.isRegularFile(script)) {
            throw new AssertionError("missing " + script);
        }
        String cache = System.getProperty("userv2.systemdGuestCache", "/var/cache/userv2-test");
        LoggedProcess build = LoggedProcess.start("systemd-guest-build", List.of("bash", script.toString(), cache));
        Optional<Integer> rc = build.awaitExit(Duration.ofMinutes(16));
        if (rc.isEmpty()) {
            build.stop(Duration.ofSeconds(5));
        }
        List<String> lines = build.lines();
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
        if (rc.orElse(-1) != 0 || !last.endsWith(".ext4") || !Files.isRegularFile(Path.of(last))) {
            throw new AssertionError("scripts/systemd-guest.sh failed (" + rc.map(c -> "exit " + c).orElse("timed out")
                    + "); log " + build.log() + ":\n" + build.tail(30));
        }
        image = Path.of(last);
        return image;
    }

    /** busybox-static, testtools/systemd-init.sh as /init, and the kernel's modules listed in {@link #MODULES}. */
    private static synchronized Path initramfs(QemuGuest.Kernel k) throws IOException {
        if (initramfs != null) {
            return initramfs;
        }
        Path init = E2e.testtools().resolve("systemd-init.sh");
        if (!Files.isRegularFile(init)) {
            throw new AssertionError("missing " + init);
        }
        Newc a = new Newc();
        for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "newroot", "lib", "lib/modules")) {
            a.dir(d);
        }
        a.charDevice("dev/console", 0600, 5, 1).charDevice("dev/null", 0666, 1, 3);
        a.file("bin/busybox", 0755, Files.readAllBytes(Path.of("/bin/busybox")));
        a.symlink("bin/sh", "busybox");
        a.file("init", 0755, Files.readAllBytes(init));
        StringBuilder order = new StringBuilder();
        for (String m : MODULES) {
            Path ko;
            try (Stream<Path> s = Files.walk(k.modules().resolve("kernel"))) {
                ko = s.filter(p -> p.getFileName().toString().equals(m + ".ko")).findFirst().orElse(null);
            }
            if (ko != null) {
                a.file("lib/modules/" + m + ".ko", 0644, Files.readAllBytes(ko));
                order.append(m).append('\n');
            }
        }
        a.file("lib/modules/order", 0644, order.toString().getBytes(StandardCharsets.US_ASCII));
        Path out = E2e.workdir().resolve("systemd-initramfs-" + k.version() + ".cpio");
        Files.write(out, a.toBytes());
        initramfs = out;
        return out;
    }

    /**
     * Boots the image with its NIC on {@code socket} (as {@link QemuGuest.Options#socket()}: "unix:PATH", ...) and
     * waits (up to {@code timeout}) for the agent's ready line, which u2t-agent.service prints once
     * systemd-networkd-wait-online finished (a lease, or 60 s without one). Then reads the leased address.
     */
    public static SystemdGuest boot(String socket, String mac, Duration timeout) {
        QemuGuest.Kernel k = QemuGuest.kernel();
        Path disk = image();
        Path initrd;
        try {
            initrd = initramfs(k);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String name = "sysd-" + mac.substring(9).replace(":", "");
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "1024", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
                "-kernel", k.vmlinuz().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 quiet loglevel=1 panic=-1 systemd.show_status=0 systemd.firstboot=off"
                        + " udev.log_level=3",
                "-drive", "file=" + disk + ",if=virtio,format=raw,snapshot=on",
                "-netdev", QemuGuest.netdev(socket), "-device", "virtio-net-pci,netdev=n0,mac=" + mac + ",romfile="));
        long started = System.nanoTime();
        LoggedProcess p = LoggedProcess.start(name, cmd);
        SystemdGuest g = new SystemdGuest(QemuGuest.attach(name, mac, p));
        try {
            QemuGuest.awaitReady(g.console, timeout);
            g.ip = g.leasedAddress();
            System.out.printf("%s: systemd guest %s ready (lease %s) after %d s%n", SystemdGuest.class.getSimpleName(), name, g.ip,
                    Duration.ofNanos(System.nanoTime() - started).toSeconds());
            return g;
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
    }

    /** The IPv4 address networkd configured on the NIC (fails if there is none). */
    public String leasedAddress() {
        Exec.Result r = sh("ip -4 -o addr show scope global", Duration.ofSeconds(20)).assertOk();
        Matcher m = IPV4.matcher(r.output());
        if (!m.find()) {
            throw new AssertionError(name() + " has no IPv4 address from networkd:\n" + r.output() + "\n"
                    + sh("networkctl status --no-pager 2>&1; journalctl -u systemd-networkd --no-pager | tail -40",
                            Duration.ofSeconds(30)).output());
        }
        return m.group(1);
    }

    @Override
    public String name() {
        return console.name();
    }

    /** The leased address once {@link #boot} returned. */
    @Override
    public String ip() {
        return ip;
    }

    @Override
    public String mac() {
        return console.mac();
    }

    /** The QEMU process (console log, liveness). */
    public LoggedProcess qemu() {
        return console.qemu();
    }

    /** Runs {@code script} with the guest's /bin/sh (as root, outside any unit), killed after {@code timeout}. */
    @Override
    public Exec.Result sh(String script, Duration timeout) {
        return console.sh(script, timeout);
    }

    /** Powers off at once ({@code poweroff -f}; the disk is a throw-away snapshot), else stops QEMU. */
    @Override
    public void close() {
        console.close();
    }

    @Override
    public String toString() {
        return name() + "(" + ip + ", " + mac() + ")";
    }
}
