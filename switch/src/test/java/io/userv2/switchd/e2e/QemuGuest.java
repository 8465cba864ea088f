package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real QEMU guest (Debian's kernel from /boot, TCG, 256 MiB) whose virtio-net NIC is attached with
 * {@code -netdev stream} to a unix or TCP socket, exactly as a user's VM would be (or, with an {@code fd:PATH}
 * socket, with {@code -netdev socket,fd=3} to a unix socket connected before QEMU starts, as Lima attaches a
 * {@code socket:} network). The initramfs is
 * busybox-static plus the virtio-net modules plus testtools/guest-init.sh (and testtools/udhcpc.sh as
 * /etc/udhcpc.sh, testtools/rdnss.c built static as /bin/rdnss); the address comes from the kernel command line, or from DHCP ({@link Options#dhcp}). After boot the harness drives a non-interactive shell over the serial console
 * (QEMU's stdio): each command is written to a file with a here-document, run under busybox
 * {@code timeout}, and followed by an exit-code marker.
 */
public final class QemuGuest implements Guest {
    /** The modules virtio-net needs, in load order (dependencies first); missing ones are skipped. */
    static final List<String> MODULES = List.of("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
            "virtio_pci", "failover", "net_failover", "virtio_net");
    private static final Map<String, Path> BASE_IMAGES = new HashMap<>();
    private static final Pattern READY = Pattern.compile("^U2T-READY ?(\\S*)");
    private static final Pattern ERROR = Pattern.compile("U2T-ERROR|Kernel panic");

    private final String name;
    private volatile String ip;
    private final String mac;
    private final LoggedProcess qemu;
    private final boolean dhcp;
    private final AtomicInteger commands = new AtomicInteger();
    private boolean closed;

    private QemuGuest(String name, String ip, String mac, LoggedProcess qemu, boolean dhcp) {
        this.name = name;
        this.ip = ip;
        this.mac = mac;
        this.qemu = qemu;
        this.dhcp = dhcp;
    }

    /**
     * Options for {@link #boot(Options)}.
     *
     * @param cidr the static address, or null for a guest that boots with no network configuration and takes a
     *     DHCP lease (busybox udhcpc, see testtools/guest-init.sh)
     * @param dhcpHostname with DHCP: the hostname sent in option 12 (e.g. lima-vm1), or null for none
     */
    public record Options(String socket, String cidr, String mac, int mtu, String bootScript, String dhcpHostname) {
        /** The options as they were before DHCP existed (static address, no hostname). */
        public Options(String socket, String cidr, String mac, int mtu, String bootScript) {
            this(socket, cidr, mac, mtu, bootScript, null);
        }

        /**
         * A guest attached to {@code socket} ("unix:PATH", "tcp:HOST:PORT", "unixgram:PATH", or "fd:PATH": the unix
         * stream socket PATH connected by testtools/fdconnect and inherited as QEMU's fd 3) with static address
         * {@code cidr}.
         */
        public static Options of(String socket, String cidr) {
            return new Options(socket, cidr, E2e.randomMac(), 1500, null, null);
        }

        /**
         * A guest attached to {@code socket} that boots with no address and asks DHCP for one, sending
         * {@code hostname} (may be null) as option 12. Boot fails (U2T-ERROR) when no lease comes.
         */
        public static Options dhcp(String socket, String hostname) {
            return new Options(socket, null, E2e.randomMac(), 1500, null, hostname);
        }

        public Options mtu(int newMtu) {
            return new Options(socket, cidr, mac, newMtu, bootScript, dhcpHostname);
        }

        /** A fixed MAC (lower case, colon separated) instead of a random one. */
        public Options mac(String newMac) {
            return new Options(socket, cidr, newMac, mtu, bootScript, dhcpHostname);
        }

        /** A script run once at boot, before the console shell starts (appended to the initramfs as /test.sh). */
        public Options bootScript(String script) {
            return new Options(socket, cidr, mac, mtu, script, dhcpHostname);
        }

        /** True when the guest takes its address from DHCP. */
        public boolean usesDhcp() {
            return cidr == null;
        }
    }


    /** Shortcut: a guest on unix socket {@code socket}. */
    public static QemuGuest boot(Path socket, String cidr) {
        return boot(Options.of("unix:" + socket, cidr));
    }

    /** Starts QEMU and waits (up to 180 s: TCG on a busy 2-core machine) until the guest's shell is ready. */
    public static QemuGuest boot(Options o) {
        return awaitReady(start(o), Duration.ofSeconds(180));
    }

    /** Starts QEMU without waiting for the boot to finish (boot several guests in parallel, then {@link #awaitReady}). */
    public static QemuGuest start(Options o) {
        Kernel k = kernel();
        Path initrd = initrd(k, o.bootScript());
        String name = "qemu-" + o.mac().substring(9).replace(":", "");
        String netdev = netdev(o.socket());
        List<String> cmd = new ArrayList<>();
        if (o.socket().startsWith("fd:")) {
            // Lima's fd_connect: the socket is connected before QEMU starts and QEMU inherits it as fd 3.
            cmd.addAll(List.of(TestTools.fdconnect().toString(), o.socket().substring("fd:".length()), "--"));
        }
        cmd.addAll(List.of("qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
                "-kernel", k.vmlinuz().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 quiet loglevel=1 panic=-1 " + (o.usesDhcp()
                        ? "u2t_dhcp=1" + (o.dhcpHostname() == null ? "" : " u2t_hostname=" + o.dhcpHostname())
                        : "u2t_ip=" + o.cidr()) + " u2t_mtu=" + o.mtu(),
                "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac=" + o.mac() + ",romfile="));
        LoggedProcess p = LoggedProcess.start(name, cmd);
        return new QemuGuest(name, o.usesDhcp() ? null : o.cidr().substring(0, o.cidr().indexOf('/')), o.mac(), p, o.usesDhcp());
    }

    /**
     * Wraps a QEMU started elsewhere whose guest speaks this class's console protocol (the "U2T-READY" line, then a
     * shell fed line by line): {@link SystemdGuest}'s u2t-agent does. The address is not known here.
     */
    static QemuGuest attach(String name, String mac, LoggedProcess qemu) {
        return new QemuGuest(name, null, mac, qemu, false);
    }

    /** Waits for the guest's "U2T-READY" console line (a DHCP guest then knows its address: see {@link #ip()}). */
    public static QemuGuest awaitReady(QemuGuest g, Duration timeout) {
        try {
            int i = g.qemu.awaitLineIndex(READY, 0, timeout);
            if (i < 0 || g.qemu.awaitLineIndex(ERROR, 0, Duration.ZERO) >= 0) {
                throw new AssertionError(g.name + " did not boot within " + timeout + (g.qemu.isAlive() ? "" : " (qemu exited)")
                        + "; console " + g.qemu.log() + ":\n" + g.qemu.tail(60));
            }
            if (g.dhcp) {
                g.ip = g.lease().ip();
            }
            return g;
        } catch (RuntimeException | Error e) {
            g.close();
            throw e;
        }
    }

    static String netdev(String socket) {
        if (socket.startsWith("unix:")) {
            return "stream,id=n0,server=off,addr.type=unix,addr.path=" + socket.substring(5);
        }
        if (socket.startsWith("tcp:")) {
            String hp = socket.substring(4);
            int colon = hp.lastIndexOf(':');
            return "stream,id=n0,server=off,addr.type=inet,addr.host=" + hp.substring(0, colon) + ",addr.port=" + hp.substring(colon + 1);
        }
        if (socket.startsWith("unixgram:")) {
            // One datagram per frame, as vfkit does: QEMU binds its own path and sends to the switch's.
            String remote = socket.substring("unixgram:".length());
            String local = remote + "-qemu-" + E2e.randomHex(3);
            return "dgram,id=n0,local.type=unix,local.path=" + local + ",remote.type=unix,remote.path=" + remote;
        }
        if (socket.startsWith("fd:")) {
            // Lima's `networks: [{socket: PATH}]`: a connected stream socket handed over as a descriptor
            // (pkg/driver/qemu/qemu.go: "socket,id=net%d,fd={{ fd_connect %q }}"); testtools/fdconnect puts it on fd 3.
            return "socket,id=n0,fd=3";
        }
        throw new IllegalArgumentException("socket must be unix:PATH, tcp:HOST:PORT, unixgram:PATH or fd:PATH: " + socket);
    }

    /** A kernel from /boot with a matching, uncompressed virtio_net module. */
    record Kernel(String version, Path vmlinuz, Path modules) {}

    static Kernel kernel() {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                    .map(p -> {
                        String ver = p.getFileName().toString().substring("vmlinuz-".length());
                        return new Kernel(ver, p, Path.of("/lib/modules", ver));
                    })
                    .filter(k -> Files.isRegularFile(k.modules().resolve("kernel/drivers/net/virtio_net.ko")))
                    .max(Comparator.comparing(Kernel::version))
                    .orElseThrow(() -> new AssertionError("no /boot/vmlinuz-* with an uncompressed virtio_net.ko in /lib/modules "
                            + "(install linux-image-amd64)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized Path baseImage(Kernel k) throws IOException {
        Path cached = BASE_IMAGES.get(k.version());
        if (cached != null) {
            return cached;
        }
        Newc a = new Newc();
        for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "run", "etc", "lib", "lib/modules")) {
            a.dir(d);
        }
        a.charDevice("dev/console", 0600, 5, 1).charDevice("dev/null", 0666, 1, 3);
        a.file("bin/busybox", 0755, Files.readAllBytes(Path.of("/bin/busybox")));
        a.symlink("bin/sh", "busybox");
        a.file("init", 0755, Files.readAllBytes(TestTools.guestInit()));
        a.file("bin/rdnss", 0755, Files.readAllBytes(TestTools.rdnss()));
        a.file("etc/udhcpc.sh", 0755, Files.readAllBytes(TestTools.udhcpcScript()));
        a.file("etc/passwd", 0644, "root:x:0:0:root:/:/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
        for (String m : MODULES) {
            Path ko;
            try (Stream<Path> s = Files.walk(k.modules().resolve("kernel"))) {
                ko = s.filter(p -> p.getFileName().toString().equals(m + ".ko")).findFirst().orElse(null);
            }
            if (ko != null) {
                a.file("lib/modules/" + m + ".ko", 0644, Files.readAllBytes(ko));
            }
        }
        Path out = E2e.workdir().resolve("initramfs-" + k.version() + ".cpio");
        Files.write(out, a.toBytes());
        BASE_IMAGES.put(k.version(), out);
        return out;
    }

    private static Path initrd(Kernel k, String bootScript) {
        try {
            Path base = baseImage(k);
            if (bootScript == null) {
                return base;
            }
            // A second archive appended to the first: the kernel unpacks both, the later one wins.
            byte[] extra = new Newc().file("test.sh", 0755, ("#!/bin/sh\n" + bootScript + "\n").getBytes(StandardCharsets.UTF_8)).toBytes();
            Path out = Files.createDirectories(E2e.workdir().resolve("initrd")).resolve("initrd-" + E2e.randomHex(4) + ".cpio");
            Files.write(out, Files.readAllBytes(base));
            Files.write(out, extra, java.nio.file.StandardOpenOption.APPEND);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** Its address: static, or (DHCP guests) the leased one once {@link #awaitReady} returned; null before. */
    @Override
    public String ip() {
        return ip;
    }

    /**
     * The lease the guest's udhcpc script recorded last (/tmp/u2t-dhcp.env) and its /etc/resolv.conf; updates
     * {@link #ip()}. Fails if the guest has no lease.
     */
    public DhcpLease lease() {
        Exec.Result env = sh("cat /tmp/u2t-dhcp.env", Duration.ofSeconds(10)).assertOk();
        Exec.Result resolv = sh("cat /etc/resolv.conf 2>/dev/null; true", Duration.ofSeconds(10));
        DhcpLease lease = DhcpLease.parse(name, env.output(), resolv.output());
        ip = lease.ip();
        return lease;
    }

    @Override
    public String mac() {
        return mac;
    }

    /** The QEMU process (console log, liveness). */
    public LoggedProcess qemu() {
        return qemu;
    }

    /**
     * Runs {@code script} in the guest's busybox sh, killed after {@code timeout}; returns its exit code
     * (137 if killed) and output. Commands run one at a time.
     */
    @Override
    public synchronized Exec.Result sh(String script, Duration timeout) {
        if (script.lines().anyMatch("U2TEOF"::equals)) {
            throw new IllegalArgumentException("script contains the here-document terminator");
        }
        int n = commands.incrementAndGet();
        long secs = Math.max(1, timeout.toSeconds());
        String text = "cat > /tmp/u2t-cmd.sh <<'U2TEOF'\n" + script + "\nU2TEOF\n"
                + "timeout -s KILL " + secs + " sh /tmp/u2t-cmd.sh </dev/null 2>&1; echo \"U2T-RC\"\"-" + n + " $?\"\n";
        int from = qemu.lineCount();
        try {
            OutputStream in = qemu.stdin();
            in.write(text.getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new AssertionError(name + ": console write failed (qemu exited?)\n" + qemu.tail(40), e);
        }
        Pattern marker = Pattern.compile("U2T-RC-" + n + " (\\d+)$");
        int at = qemu.awaitLineIndex(marker, from, timeout.plusSeconds(20));
        if (at < 0) {
            throw new AssertionError(name + ": no result for `" + script + "` within " + timeout + "; console " + qemu.log() + ":\n"
                    + qemu.tail(40));
        }
        List<String> out = qemu.linesFrom(from).subList(0, at - from + 1);
        Matcher m = marker.matcher(out.get(out.size() - 1));
        m.find();
        return new Exec.Result(Integer.parseInt(m.group(1)), String.join("\n", out.subList(0, out.size() - 1)), List.of(name, "sh", "-c", script));
    }

    /** Powers the guest off (falls back to SIGTERM, then SIGKILL, on QEMU). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (qemu.isAlive()) {
            try {
                qemu.stdin().write("poweroff -f\n".getBytes(StandardCharsets.US_ASCII));
                qemu.stdin().flush();
            } catch (IOException ignored) {
                // already gone
            }
            if (qemu.awaitExit(Duration.ofSeconds(10)).isEmpty()) {
                qemu.stop(Duration.ofSeconds(5));
            }
        }
    }

    @Override
    public String toString() {
        return name + "(" + ip + ", " + mac + ")";
    }
}
