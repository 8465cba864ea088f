package io.userv2.switchd.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the end-to-end tests find things: the system properties failsafe sets
 * ({@code userv2.jar}, {@code userv2.testtools}, {@code userv2.workdir}), with defaults that work
 * when the tests run from the switch module's directory.
 */
public final class E2e {
    private static final SecureRandom RANDOM = new SecureRandom();

    private E2e() {}

    /** The switch jar under test. */
    public static Path jar() {
        return Path.of(System.getProperty("userv2.jar", "target/userv2-switch.jar")).toAbsolutePath();
    }

    /** The repository's testtools directory (C sources, guest init script). */
    public static Path testtools() {
        return Path.of(System.getProperty("userv2.testtools", "../testtools")).toAbsolutePath().normalize();
    }

    /** Scratch directory for logs, binaries and images; created on first use. */
    public static Path workdir() {
        Path dir = Path.of(System.getProperty("userv2.workdir", "target/e2e")).toAbsolutePath();
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A fresh short directory under /tmp for socket files (a unix socket path must stay under 108 bytes,
     * which a deep CI checkout can exceed).
     */
    public static Path socketDir() {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), "u2t-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} random bytes as lower-case hex. */
    public static String randomHex(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A random locally administered MAC in Lima's 52:55:55 range. */
    public static String randomMac() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return String.format("52:55:55:%02x:%02x:%02x", b[0], b[1], b[2]);
    }

    /** Removes a directory tree, ignoring errors (cleanup paths must not throw). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Programs the end-to-end tests run, all from the Debian packages scripts/install-deps.sh installs. */
    private static final List<String> TOOLS = List.of("qemu-system-x86_64", "gcc", "ip", "iperf3", "dig", "curl",
            "tshark", "passt", "slirp4netns", "busybox", "cpio", "dhcpcd", "ping", "sshd", "ssh-keygen", "rdisc6",
            "dhclient", "socat");
    private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();

    /**
     * Skips the calling test class, saying why in one line, when this machine cannot run end-to-end tests (not root,
     * no /dev/net/tun, a tool missing): a plain {@code mvn -B verify} as a user still runs every unit test. Where
     * end-to-end tests must run ({@code CI=true}, or {@code USERV2_E2E=required} as scripts/test.sh sets it as root),
     * a missing prerequisite fails instead, so nothing is skipped quietly.
     */
    public static void requireRoot() {
        String why = missingPrerequisites();
        if (why != null) {
            skipOrFail(why);
        }
    }

    /**
     * {@link #requireRoot()}, plus {@code tools} that only some classes need (e.g. debootstrap for the systemd guest),
     * under the same rules: skipped with one line saying why, or failed where end-to-end tests must run.
     */
    public static void requireRootAndTools(String... tools) {
        requireRoot();
        List<String> missing = new ArrayList<>();
        for (String tool : tools) {
            if (!onPath(tool)) {
                missing.add(tool);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        skipOrFail("missing " + String.join(", ", missing) + " (scripts/install-deps.sh installs them)");
    }

    /** Fails where end-to-end tests must run, else skips the calling IT class (one line, once per class). */
    private static void skipOrFail(String why) {
        if ("true".equals(System.getenv("CI")) || "required".equals(System.getenv("USERV2_E2E"))) {
            throw new AssertionError("end-to-end tests cannot run: " + why);
        }
        String caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .map(StackWalker.StackFrame::getDeclaringClass).filter(c -> c != E2e.class && c.getName().endsWith("IT"))
                .findFirst().map(Class::getSimpleName).orElse("end-to-end test"));
        if (ANNOUNCED.add(caller)) {
            System.out.println("SKIPPED " + caller + ": " + why);
        }
        Assumptions.abort(why);
    }

    /** Null when everything the end-to-end tests need is here, else what is missing. */
    private static String missingPrerequisites() {
        List<String> missing = new ArrayList<>();
        String user = System.getProperty("user.name");
        if (!"root".equals(user)) {
            missing.add("not root (network namespaces, tap devices; running as " + user + ")");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            missing.add("no /dev/net/tun");
        }
        List<String> tools = new ArrayList<>();
        for (String tool : TOOLS) {
            if (!onPath(tool)) {
                tools.add(tool);
            }
        }
        if (!tools.isEmpty()) {
            missing.add("missing " + String.join(", ", tools) + " (scripts/install-deps.sh installs them)");
        }
        return missing.isEmpty() ? null : String.join("; ", missing);
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }
}
