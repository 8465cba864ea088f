package io.userv2.switchd.e2e;

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
 * given MTU, static address), whose frames a {@code tapbridge} process moves to and from a stream socket.
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
    private final String ip;
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

    /** Options for {@link #start(Options)}. */
    public record Options(String socket, String cidr, int mtu, boolean listen, String mac) {
        /** A guest connecting to {@code socket} ("unix:PATH" or "tcp:HOST:PORT") with address {@code cidr}, MTU 1500. */
        public static Options connect(String socket, String cidr) {
            return new Options(socket, cidr, 1500, false, E2e.randomMac());
        }

        /** A guest whose bridge listens on {@code socket} and accepts one peer (one end of a direct wire). */
        public static Options listen(String socket, String cidr) {
            return new Options(socket, cidr, 1500, true, E2e.randomMac());
        }

        public Options mtu(int newMtu) {
            return new Options(socket, cidr, newMtu, listen, mac);
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
            ip("-n", ns, "addr", "add", o.cidr(), "dev", "tap0");
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", ns, "link", "set", "tap0", "up");
            List<String> cmd = new ArrayList<>(List.of(TestTools.tapbridge().toString(), "tap0", o.socket(), "--netns", ns));
            if (o.listen()) {
                cmd.add("--listen");
            }
            bridge = LoggedProcess.start("tapbridge-" + ns, cmd);
            bridge.requireLineIndex(o.listen() ? LISTENING : CONNECTED, 0, Duration.ofSeconds(15));
            String addr = o.cidr().substring(0, o.cidr().indexOf('/'));
            return new NamespaceGuest(ns, addr, o.mac(), o.mtu(), bridge);
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
        LIVE.remove(ns);
    }

    @Override
    public String name() {
        return ns;
    }

    public String namespace() {
        return ns;
    }

    @Override
    public String ip() {
        return ip;
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
