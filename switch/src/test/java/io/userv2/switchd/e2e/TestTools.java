package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Builds the C test tools in {@code testtools/} with gcc, once per JVM, into {@code workdir/bin}. */
public final class TestTools {
    private static final Map<String, Path> BUILT = new HashMap<>();

    private TestTools() {}

    /** The tap <-> stream-socket bridge (testtools/tapbridge.c). */
    public static Path tapbridge() {
        return build("tapbridge", "-pthread");
    }

    /** Connects unix stream sockets and execs a program with them on fd 3, 4, ... as Lima does for QEMU (testtools/fdconnect.c). */
    public static Path fdconnect() {
        return build("fdconnect");
    }

    /** The TCP 1-byte request/response latency tool (testtools/rr.c). */
    public static Path rr() {
        return build("rr");
    }

    /**
     * Prints the RDNSS/DNSSL options the kernel passes to user space from Router Advertisements after soliciting one
     * (testtools/rdnss.c); static, so that it runs in the busybox QEMU guests too.
     */
    public static Path rdnss() {
        return build("rdnss", "-static");
    }

    /** The guest /init script for QEMU guests. */
    public static Path guestInit() {
        Path init = E2e.testtools().resolve("guest-init.sh");
        if (!Files.isRegularFile(init)) {
            throw new AssertionError("missing " + init);
        }
        return init;
    }

    /** The {@code udhcpc -s} script of the test guests (applies a lease, records it; see testtools/udhcpc.sh). */
    public static Path udhcpcScript() {
        Path script = E2e.testtools().resolve("udhcpc.sh");
        if (!Files.isRegularFile(script)) {
            throw new AssertionError("missing " + script);
        }
        if (!Files.isExecutable(script)) {
            // udhcpc executes the script directly; a checkout may have lost the mode bit.
            try {
                script.toFile().setExecutable(true, false);
            } catch (SecurityException ignored) {
                // reported by udhcpc if it matters
            }
        }
        return script;
    }

    private static synchronized Path build(String name, String... extraFlags) {
        Path done = BUILT.get(name);
        if (done != null) {
            return done;
        }
        Path src = E2e.testtools().resolve(name + ".c");
        if (!Files.isRegularFile(src)) {
            throw new AssertionError("missing test tool source " + src + " (set -Duserv2.testtools)");
        }
        try {
            Path bin = Files.createDirectories(E2e.workdir().resolve("bin"));
            Path out = bin.resolve(name);
            Path tmp = bin.resolve(name + ".tmp-" + E2e.randomHex(3));
            var cmd = new java.util.ArrayList<>(java.util.List.of("gcc", "-O2", "-Wall", "-o", tmp.toString(), src.toString()));
            cmd.addAll(java.util.List.of(extraFlags));
            Exec.run(Duration.ofSeconds(120), cmd).assertOk();
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            BUILT.put(name, out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
