package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NAT tests' own guest-side client, testtools/natprobe.c, built once per JVM with gcc into
 * {@code workdir/bin} (kept apart from {@link TestTools} so the two can change independently), and a parser
 * for its one-line {@code key=value} results.
 */
final class NatTools {
    private static Path natprobe;

    private NatTools() {}

    /** testtools/natprobe.c, compiled. */
    static synchronized Path natprobe() {
        if (natprobe != null) {
            return natprobe;
        }
        Path src = E2e.testtools().resolve("natprobe.c");
        if (!Files.isRegularFile(src)) {
            throw new AssertionError("missing test tool source " + src + " (set -Duserv2.testtools)");
        }
        try {
            Path bin = Files.createDirectories(E2e.workdir().resolve("bin"));
            Path out = bin.resolve("natprobe");
            Path tmp = bin.resolve("natprobe.tmp-" + E2e.randomHex(3));
            Exec.run(Duration.ofSeconds(120), "gcc", "-O2", "-Wall", "-o", tmp.toString(), src.toString()).assertOk();
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            natprobe = out;
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code key=value} pairs of natprobe's "result=..." line in {@code r}'s output; fails if there is none. */
    static Map<String, String> result(Exec.Result r) {
        Matcher line = Pattern.compile("(?m)^result=.*$").matcher(r.output());
        if (!line.find()) {
            throw new AssertionError("natprobe printed no result line: " + r);
        }
        Map<String, String> kv = new HashMap<>();
        // Values run to the next " key=" (error texts contain spaces); reply/first_line are last on their lines.
        Matcher m = Pattern.compile("(\\w+)=(.*?)(?= \\w+=|$)").matcher(line.group());
        while (m.find()) {
            kv.put(m.group(1), m.group(2));
        }
        return kv;
    }
}
