package io.userv2.switchd.e2e;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A machine on the virtual LAN that a test can run shell commands in: a namespace guest or a QEMU guest. */
public interface Guest extends AutoCloseable {
    /** A short name for logs and failure messages. */
    String name();

    /** Its address without prefix length, e.g. 192.168.104.10. */
    String ip();

    /** Its MAC, lower case, colon separated. */
    String mac();

    /** Runs a shell command line (busybox sh or /bin/sh) in the guest, bounded by {@code timeout}. */
    Exec.Result sh(String script, Duration timeout);

    /** Pings {@code target} {@code count} times (0.2 s apart, giving up after {@code count} + 5 s). */
    default PingResult ping(String target, int count) {
        Exec.Result r = sh("busybox ping -c " + count + " -i 0.2 -W 2 -w " + (count + 5) + " " + target, Duration.ofSeconds(count + 15));
        return PingResult.parse(name() + " -> " + target, r);
    }

    /** Asserts that all of {@code count} pings to {@code target} are answered. */
    default void assertPings(String target, int count) {
        PingResult r = ping(target, count);
        if (r.received() < count) {
            throw new AssertionError(r.toString());
        }
    }

    @Override
    void close();

    /** Transmitted/received counts from busybox ping's summary. */
    record PingResult(String what, int transmitted, int received, Exec.Result raw) {
        private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");

        static PingResult parse(String what, Exec.Result r) {
            Matcher m = SUMMARY.matcher(r.output());
            if (!m.find()) {
                return new PingResult(what, 0, 0, r);
            }
            return new PingResult(what, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), r);
        }

        @Override
        public String toString() {
            return "ping " + what + ": " + received + "/" + transmitted + " answered\n" + raw;
        }
    }
}
