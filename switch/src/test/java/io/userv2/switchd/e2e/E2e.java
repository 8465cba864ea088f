package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

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

    /** Fails fast, with a reason, when the machine cannot run these tests (they need root for namespaces and taps). */
    public static void requireRoot() {
        String user = System.getProperty("user.name");
        if (!"root".equals(user)) {
            throw new AssertionError("end-to-end tests need root (network namespaces, tap devices); running as " + user);
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            throw new AssertionError("end-to-end tests need /dev/net/tun");
        }
    }
}
