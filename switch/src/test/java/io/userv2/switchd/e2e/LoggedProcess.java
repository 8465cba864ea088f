package io.userv2.switchd.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A long-running child process whose merged stdout/stderr is copied line by line to a log file and kept in
 * memory, so a test can wait (with a deadline) for a line to appear. Stopping sends SIGTERM, waits, then SIGKILLs.
 */
public final class LoggedProcess implements AutoCloseable {
    /** Processes started since {@link #takeStarted()} last ran, for {@link FailureLogs}. */
    private static final List<LoggedProcess> STARTED = new ArrayList<>();

    private final String name;
    private final Process process;
    private final Path log;
    private final List<String> lines = new ArrayList<>();
    private final Thread pump;
    private boolean eof;

    private LoggedProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.pump = new Thread(this::pump, "log-" + name);
        this.pump.setDaemon(true);
        this.pump.start();
    }

    /** Starts {@code command}; its output goes to {@code workdir/logs/NAME-<random>.log}. Stdin is a pipe (see {@link #stdin()}). */
    public static LoggedProcess start(String name, List<String> command) {
        try {
            Path dir = Files.createDirectories(E2e.workdir().resolve("logs"));
            Path log = dir.resolve(name + "-" + E2e.randomHex(3) + ".log");
            Files.writeString(log, "$ " + String.join(" ", command) + "\n");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            LoggedProcess lp = new LoggedProcess(name, p, log);
            synchronized (STARTED) {
                STARTED.add(lp);
            }
            return lp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND)) {
            for (String line; (line = r.readLine()) != null; ) {
                line = line.replace("\r", "");
                w.write(line);
                w.write('\n');
                w.flush();
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the process closed its output
        } finally {
            synchronized (this) {
                eof = true;
                notifyAll();
            }
        }
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    public OutputStream stdin() {
        return process.getOutputStream();
    }

    /** Number of lines seen so far; pass it to {@link #awaitLine(Pattern, int, Duration)} to look only at newer lines. */
    public synchronized int lineCount() {
        return lines.size();
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    public synchronized String output() {
        return String.join("\n", lines);
    }

    /** Output lines from index {@code from} on. */
    public synchronized List<String> linesFrom(int from) {
        return List.copyOf(lines.subList(Math.min(from, lines.size()), lines.size()));
    }

    /**
     * Waits until a line at index >= {@code from} matches, the output ends, or the deadline passes.
     * Returns the index of the matching line, or -1 if the output ended or the time ran out.
     */
    public synchronized int awaitLineIndex(Pattern pattern, int from, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int next = from;
        while (true) {
            for (; next < lines.size(); next++) {
                if (pattern.matcher(lines.get(next)).find()) {
                    return next;
                }
            }
            long left = deadline - System.nanoTime();
            if (eof || left <= 0) {
                return -1;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }

    /** Like {@link #awaitLineIndex} but returns the match of the first matching line. */
    public synchronized Optional<Matcher> awaitLine(Pattern pattern, int from, Duration timeout) {
        int i = awaitLineIndex(pattern, from, timeout);
        if (i < 0) {
            return Optional.empty();
        }
        Matcher m = pattern.matcher(lines.get(i));
        m.find();
        return Optional.of(m);
    }

    /** Like {@link #awaitLineIndex} but throws, with the log tail, when no line matched in time. */
    public int requireLineIndex(Pattern pattern, int from, Duration timeout) {
        int i = awaitLineIndex(pattern, from, timeout);
        if (i < 0) {
            throw new AssertionError(name + ": no line matching /" + pattern + "/ within " + timeout + (isAlive() ? "" : " (process exited)")
                    + "; log " + log + ":\n" + tail(40));
        }
        return i;
    }

    /** Like {@link #awaitLine} but throws, with the log tail, when no line matched in time. */
    public Matcher requireLine(Pattern pattern, int from, Duration timeout) {
        int i = requireLineIndex(pattern, from, timeout);
        Matcher m;
        synchronized (this) {
            m = pattern.matcher(lines.get(i));
        }
        m.find();
        return m;
    }

    /** The processes started since the last call, oldest first; forgets them. */
    static List<LoggedProcess> takeStarted() {
        synchronized (STARTED) {
            List<LoggedProcess> all = List.copyOf(STARTED);
            STARTED.clear();
            return all;
        }
    }

    /** The last {@code n} lines, for failure messages. */
    public synchronized String tail(int n) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    /** Waits for the process to exit by itself; returns its exit code, or empty at the deadline. */
    public Optional<Integer> awaitExit(Duration timeout) {
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                pump.join(2000);
                return Optional.of(process.exitValue());
            }
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Sends SIGTERM. */
    public void terminate() {
        process.destroy();
    }

    /** Sends SIGKILL (to the process only: it has to be the one that dies without cleaning up). */
    public void kill() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
    }

    /**
     * SIGTERM, wait up to {@code grace}, then SIGKILL. Returns the exit code if the process exited within the grace
     * period on its own terms, empty if it had to be killed.
     */
    public Optional<Integer> stop(Duration grace) {
        if (!process.isAlive()) {
            return awaitExit(Duration.ofSeconds(2));
        }
        process.destroy();
        Optional<Integer> code = awaitExit(grace);
        if (code.isEmpty()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            awaitExit(Duration.ofSeconds(10));
        }
        return code;
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }
}
