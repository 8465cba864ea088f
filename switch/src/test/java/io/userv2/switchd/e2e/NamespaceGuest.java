package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A guest made of a network namespace {@code u2t-<random>} holding a tap device {@code tap0} (txqueuelen 5000,
 * given MTU, static address or none: see {@link #dhcp}), whose frames a {@code tapbridge} process moves to and from a
 * stream socket.
 * The bridge runs in the test's own namespace and only opens the tap inside the guest's (so a
 * {@code tcp:127.0.0.1:PORT} socket means the host's loopback). Commands run with {@code ip netns exec}.
 */
public final class NamespaceGuest implements Guest {
    private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();
    private static final Pattern CONNECTED = Pattern.compile("tapbridge: connected");
    private static final Pattern LISTENING = Pattern.compile("tapbridge: listening");

    static {
        // Last resort if a test JVM dies between create and close: never leave namespaces behind.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(NamespaceGuest::deleteNamespace)));
    }

    private final String ns;
    private volatile String ip;
    private final String mac;
    private final int mtu;
    private final LoggedProcess bridge;
    private final List<LoggedProcess> spawned = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    private NamespaceGuest(String ns, String ip, String mac, int mtu, LoggedProcess bridge) {
        this.ns = ns;
        this.ip = ip;
        this.mac = mac;
        this.mtu = mtu;
        this.bridge = bridge;
    }

    /**
     * Options for {@link #start(Options)}.
     *
     * @param cidr the static address, or null for none (the guest then takes one with {@link #dhcp})
     * @param slaac set {@code accept_ra=2} and {@code autoconf=1} on tap0 (in the guest's namespace only) before the
     *     link comes up, so that the guest takes its IPv6 address and default route from Router Advertisements
     */
    public record Options(String socket, String cidr, int mtu, boolean listen, String mac, boolean slaac) {
        /** Options without the explicit SLAAC settings (a new namespace has the kernel's defaults). */
        public Options(String socket, String cidr, int mtu, boolean listen, String mac) {
            this(socket, cidr, mtu, listen, mac, false);
        }

        /** A guest connecting to {@code socket} with no address at all: it asks DHCP ({@link NamespaceGuest#dhcp}). */
        public static Options unconfigured(String socket) {
            return new Options(socket, null, 1500, false, E2e.randomMac());
        }

        /** A guest connecting to {@code socket} ("unix:PATH" or "tcp:HOST:PORT") with address {@code cidr}, MTU 1500. */
        public static Options connect(String socket, String cidr) {
            return new Options(socket, cidr, 1500, false, E2e.randomMac());
        }

        /** A guest whose bridge listens on {@code socket} and accepts one peer (one end of a direct wire). */
        public static Options listen(String socket, String cidr) {
            return new Options(socket, cidr, 1500, true, E2e.randomMac());
        }

        public Options mtu(int newMtu) {
            return new Options(socket, cidr, newMtu, listen, mac, slaac);
        }

        /** A fixed MAC (lower case, colon separated) instead of a random one. */
        public Options mac(String newMac) {
            return new Options(socket, cidr, mtu, listen, newMac, slaac);
        }

        /** IPv6 by SLAAC: Router Advertisements accepted, addresses configured from their prefixes. */
        public Options withSlaac() {
            return new Options(socket, cidr, mtu, listen, mac, true);
        }
    }

    /** Shortcut: a guest on the unix socket {@code socket} with address {@code cidr}. */
    public static NamespaceGuest connect(Path socket, String cidr) {
        return start(Options.connect("unix:" + socket, cidr));
    }

    /**
     * Creates the namespace and tap, starts the bridge and waits until it is connected (or, with
     * {@code listen}, until it listens; the peer may come later).
     */
    public static NamespaceGuest start(Options o) {
        E2e.requireRoot();
        String ns = "u2t-" + E2e.randomHex(4);
        LIVE.add(ns);
        LoggedProcess bridge = null;
        try {
            ip("netns", "add", ns);
            ip("-n", ns, "tuntap", "add", "dev", "tap0", "mode", "tap");
            ip("-n", ns, "link", "set", "tap0", "address", o.mac(), "mtu", Integer.toString(o.mtu()), "txqueuelen", "5000");
            if (o.cidr() != null) {
                ip("-n", ns, "addr", "add", o.cidr(), "dev", "tap0");
            } else {
                // `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf: the resolver file the
                // DHCP script writes (to this path, never to the machine's own) is what tools in the guest use.
                Path etc = Files.createDirectories(Path.of("/etc/netns", ns));
                Files.writeString(etc.resolve("resolv.conf"), "");
            }
            ip("-n", ns, "link", "set", "lo", "up");
            if (o.slaac()) {
                // Inside this namespace only: the machine's own IPv6 settings are never touched.
                for (String setting : List.of("accept_ra=2", "autoconf=1", "addr_gen_mode=0")) {
                    Exec.run(Duration.ofSeconds(10), "ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                            "net.ipv6.conf.tap0." + setting).assertOk();
                }
            }
            ip("-n", ns, "link", "set", "tap0", "up");
            List<String> cmd = new ArrayList<>(List.of(TestTools.tapbridge().toString(), "tap0", o.socket(), "--netns", ns));
            if (o.listen()) {
                cmd.add("--listen");
            }
            bridge = LoggedProcess.start("tapbridge-" + ns, cmd);
            bridge.requireLineIndex(o.listen() ? LISTENING : CONNECTED, 0, Duration.ofSeconds(15));
            String addr = o.cidr() == null ? null : o.cidr().substring(0, o.cidr().indexOf('/'));
            return new NamespaceGuest(ns, addr, o.mac(), o.mtu(), bridge);
        } catch (IOException e) {
            if (bridge != null) {
                bridge.stop(Duration.ofSeconds(5));
            }
            deleteNamespace(ns);
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            if (bridge != null) {
                bridge.stop(Duration.ofSeconds(5));
            }
            deleteNamespace(ns);
            throw e;
        }
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Exec.run(Duration.ofSeconds(20), cmd).assertOk();
    }

    private static void deleteNamespace(String ns) {
        // Kill whatever still runs inside (only our own namespace's processes, by pid), then delete it.
        Exec.Result pids = Exec.run(Duration.ofSeconds(10), "ip", "netns", "pids", ns);
        if (pids.ok()) {
            for (String pid : pids.output().trim().split("\\s+")) {
                if (pid.matches("\\d+")) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        Exec.run(Duration.ofSeconds(20), "ip", "netns", "del", ns);
        E2e.deleteTree(Path.of("/etc/netns", ns)); // only ever our own u2t-<random> directory
        LIVE.remove(ns);
    }

    @Override
    public String name() {
        return ns;
    }

    public String namespace() {
        return ns;
    }

    /** Its address: the static one, or the last one {@link #dhcp} leased (null before). */
    @Override
    public String ip() {
        return ip;
    }

    /** The resolver file tools in this guest read (written by the DHCP script). */
    public Path resolvConf() {
        return Path.of("/etc/netns", ns, "resolv.conf");
    }

    private Path dhcpEnvFile() {
        try {
            return Files.createDirectories(E2e.workdir().resolve("dhcp")).resolve(ns + ".env");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The udhcpc command line (busybox udhcpc with testtools/udhcpc.sh), asking for the MTU and search options. */
    private List<String> udhcpc(String hostname, boolean once) {
        List<String> cmd = new ArrayList<>(List.of("env", "RESOLV_CONF=" + resolvConf(), "U2T_DHCP_ENV=" + dhcpEnvFile(),
                "busybox", "udhcpc", "-i", "tap0", "-s", TestTools.udhcpcScript().toString(), "-t", "5", "-T", "2",
                "-O", "mtu", "-O", "search"));
        cmd.add(once ? "-q" : "-f");
        if (once) {
            cmd.add("-n");
        }
        if (hostname != null) {
            cmd.addAll(List.of("-x", "hostname:" + hostname));
        }
        return cmd;
    }

    /**
     * "Boots" the network the way a distribution does: one {@code udhcpc -q -n} run (up to 5 DISCOVERs 2 s apart)
     * sending {@code hostname} (may be null) as option 12; the script sets address, MTU, default route and the
     * resolver file. Returns the lease (and updates {@link #ip()}); fails with udhcpc's output if there is none.
     */
    public DhcpLease dhcp(String hostname) {
        if (!Files.isDirectory(resolvConf().getParent())) {
            throw new IllegalStateException(ns + " was started with a static address");
        }
        Exec.Result r = exec(Duration.ofSeconds(40), udhcpc(hostname, true).toArray(String[]::new));
        if (!r.ok() || !r.output().contains("U2T-DHCP bound")) {
            throw new AssertionError(ns + ": udhcpc got no lease: " + r + "\ntapbridge's log (alive: " + bridge.isAlive()
                    + "):\n" + bridge.tail(20));
        }
        return lease();
    }

    /**
     * Starts udhcpc as a long-running client ({@code -f}): it keeps the lease, renews on SIGUSR1 and logs one
     * "U2T-DHCP bound|renew ..." line per lease it applies. Stopped on {@link #close()} at the latest.
     */
    public LoggedProcess startDhcpClient(String hostname) {
        return spawn("udhcpc", udhcpc(hostname, false).toArray(String[]::new));
    }

    /** The lease the DHCP script recorded last, with the resolver file; updates {@link #ip()}. */
    public DhcpLease lease() {
        try {
            String env = Files.readString(dhcpEnvFile());
            String resolv = Files.exists(resolvConf()) ? Files.readString(resolvConf()) : "";
            DhcpLease l = DhcpLease.parse(ns, env, resolv);
            ip = l.ip();
            return l;
        } catch (IOException e) {
            throw new AssertionError(ns + ": no DHCP lease recorded", e);
        }
    }

    @Override
    public String mac() {
        return mac;
    }

    public int mtu() {
        return mtu;
    }

    /** The bridge process (e.g. to see whether it is still connected). */
    public LoggedProcess bridge() {
        return bridge;
    }

    /** Waits until the listening bridge got its peer (direct wire). */
    public void awaitPeer(Duration timeout) {
        bridge.requireLineIndex(CONNECTED, 0, timeout);
    }

    /** Runs {@code command} inside the namespace with a deadline. */
    public Exec.Result exec(Duration timeout, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return Exec.run(timeout, cmd);
    }

    @Override
    public Exec.Result sh(String script, Duration timeout) {
        return exec(timeout, "sh", "-c", script);
    }

    /** Starts a background process inside the namespace; it is stopped on {@link #close()} at the latest. */
    public LoggedProcess spawn(String name, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        LoggedProcess p = LoggedProcess.start(name + "-" + ns, cmd);
        spawned.add(p);
        return p;
    }

    /**
     * The IPv6 addresses of tap0 that have finished duplicate address detection, waiting up to {@code timeout} for at
     * least one inside {@code prefix} (e.g. "fd12:3456:789a:0:", or "fe80:" for the link-local one); fails with the
     * interface's state otherwise.
     */
    public List<String> awaitIpv6Address(String prefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (true) {
            Exec.Result r = exec(Duration.ofSeconds(10), "ip", "-6", "-o", "addr", "show", "dev", "tap0", "scope",
                    prefix.startsWith("fe80:") ? "link" : "global");
            last = r.output();
            List<String> found = new ArrayList<>();
            for (String line : last.split("\\R")) {
                String[] f = line.trim().split("\\s+");
                for (int i = 0; i + 1 < f.length; i++) {
                    if (f[i].equals("inet6") && !line.contains("tentative")) {
                        String a = f[i + 1].substring(0, f[i + 1].indexOf('/'));
                        if (a.startsWith(prefix)) {
                            found.add(a);
                        }
                    }
                }
            }
            if (!found.isEmpty()) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(ns + ": no IPv6 address in " + prefix + " within " + timeout + ":\n" + last
                        + exec(Duration.ofSeconds(10), "ip", "-6", "addr").output());
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Sets a sysctl inside the namespace (e.g. net.ipv4.icmp_echo_ignore_broadcasts=0). */
    public void sysctl(String key, String value) {
        exec(Duration.ofSeconds(10), "busybox", "sysctl", "-w", key + "=" + value).assertOk();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (spawned) {
            spawned.forEach(p -> p.stop(Duration.ofSeconds(5)));
        }
        bridge.stop(Duration.ofSeconds(5));
        deleteNamespace(ns);
    }

    @Override
    public String toString() {
        return ns + "(" + ip + ", " + mac + ", mtu " + mtu + ")";
    }
}
