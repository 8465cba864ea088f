package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The switch under test, run exactly as a user runs it: {@code java -jar userv2-switch.jar ARGS}. Start waits
 * until one "listening on" line per {@code --listen} argument has appeared; output goes to a log in the workdir.
 */
public final class SwitchProcess implements AutoCloseable {
    public static final Pattern LISTENING = Pattern.compile("listening on");
    public static final String GATEWAY_IP = "192.168.104.2";
    public static final String GATEWAY_MAC = "5a:94:ef:e4:0c:dd";

    private final LoggedProcess process;
    private final List<String> args;

    private SwitchProcess(LoggedProcess process, List<String> args) {
        this.process = process;
        this.args = List.copyOf(args);
    }

    /** Starts the jar with {@code args} and waits (up to 60 s) until every listener is ready. */
    public static SwitchProcess start(String... args) {
        return start(List.of(args));
    }

    public static SwitchProcess start(List<String> args) {
        Path jar = E2e.jar();
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("switch jar not found: " + jar + " (run `mvn package` first, or set -Duserv2.jar)");
        }
        // A shell that starts a job without job control (`cmd &` in a script, nohup) makes it ignore SIGINT, its
        // children inherit that, and the JVM leaves an ignored SIGINT ignored (as POSIX asks of background jobs). So
        // that the tests which send SIGINT do not depend on how the test run itself was started, the switch starts
        // with SIGINT at its default (coreutils env; exec keeps the pid the tests signal).
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        cmd.addAll(args);
        long listeners = args.stream().filter(a -> a.equals("--listen") || a.startsWith("--listen=")).count();
        return startCommand("switch", cmd, (int) Math.max(1, listeners), Duration.ofSeconds(60));
    }

    /** Starts any command that behaves like the switch (used to test this harness without the jar). */
    public static SwitchProcess startCommand(String name, List<String> command, int listeners, Duration timeout) {
        LoggedProcess p = LoggedProcess.start(name, command);
        SwitchProcess sw = new SwitchProcess(p, command);
        try {
            int from = 0;
            for (int i = 0; i < listeners; i++) {
                from = p.requireLineIndex(LISTENING, from, timeout) + 1;
            }
            return sw;
        } catch (RuntimeException | Error e) {
            p.stop(Duration.ofSeconds(5));
            throw e;
        }
    }

    /** Starts the jar but expects it to fail; returns its exit code and output (waits up to 60 s). */
    public static Exec.Result runExpectingExit(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", E2e.jar().toString()));
        cmd.addAll(args);
        return Exec.run(Duration.ofSeconds(60), cmd);
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago. */
    public static int freeTcpPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UDP port free on [::1] right now (for a forward the switch binds there). */
    public static int freeUdpPort() {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(
                new java.net.InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public LoggedProcess process() {
        return process;
    }

    public List<String> args() {
        return args;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        return process.output();
    }

    public Path log() {
        return process.log();
    }

    /**
     * Sends SIGTERM and asserts the switch exits by itself within 15 s with status 0 or 143 (128 + SIGTERM,
     * what the JVM reports when shutdown hooks ran on SIGTERM). Returns the exit code.
     */
    public int stop() {
        Optional<Integer> code = process.stop(Duration.ofSeconds(15));
        if (code.isEmpty()) {
            throw new AssertionError("switch did not exit within 15 s of SIGTERM (killed); log " + log() + ":\n" + process.tail(40));
        }
        int c = code.get();
        if (c != 0 && c != 143 && c != 130) {
            throw new AssertionError("switch exited with " + c + " after SIGTERM; log " + log() + ":\n" + process.tail(40));
        }
        return c;
    }

    /** SIGKILL: the switch dies without cleaning up (leaves stale socket files). */
    public void kill() {
        process.kill();
    }

    /** Stops without asserting anything (for cleanup paths). */
    @Override
    public void close() {
        process.stop(Duration.ofSeconds(15));
    }
}
