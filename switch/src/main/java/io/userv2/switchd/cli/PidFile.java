package io.userv2.switchd.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.function.LongPredicate;

/**
 * A daemon's pidfile, as {@code limactl usernet -p FILE} keeps it: the decimal pid and a newline, written atomically
 * (complete or absent, never half-written) and removed at exit.
 *
 * <p>A pidfile that names a live process other than us means another instance runs: {@link #acquire} refuses. One that
 * names a dead process, or holds no pid at all, is stale (left by a crash or SIGKILL) and is replaced. Lima's own
 * {@code limactl usernet} refuses any existing pidfile; Lima's supervisor ({@code store.ReadPIDFile}) treats a dead
 * pid as no pid, which is the rule followed here, so a SIGKILLed daemon does not block the next start.
 *
 * <p>Liveness is {@code ProcessHandle.of(pid)} (on Linux, {@code /proc/PID}); a recycled pid makes a stale file look
 * live, the same limitation Lima has. Two instances racing for the same stale file may both replace it: Lima holds
 * a directory lock around the start, and we do not add one.
 */
public final class PidFile implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PidFile.class.getName());

    private final Path path;
    private final long pid;
    private boolean closed;

    private PidFile(Path path, long pid) {
        this.path = path;
        this.pid = pid;
    }

    /** Thrown when the pidfile names a live process other than us; the message is one line. */
    public static final class AlreadyRunningException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long pid;

        AlreadyRunningException(Path path, long pid) {
            super("pidfile " + path + " names running process " + pid + "; stop it first");
            this.pid = pid;
        }

        /** The live process the pidfile names. */
        public long pid() {
            return pid;
        }
    }

    /** Writes our pid to {@code path} (see the class comment); liveness from {@code ProcessHandle}. */
    public static PidFile acquire(Path path) throws IOException {
        return acquire(path, ProcessHandle.current().pid(), PidFile::isAlive, true);
    }

    /**
     * As {@link #acquire(Path)}, writing the bare digits with no newline, as gvproxy does: podman reads gvproxy's
     * pidfile with {@code strconv.Atoi} and no trimming, so a newline would make it fail to stop the process.
     */
    public static PidFile acquireDigitsOnly(Path path) throws IOException {
        return acquire(path, ProcessHandle.current().pid(), PidFile::isAlive, false);
    }

    /** {@link #acquire(Path)} for {@code pid}, with {@code alive} deciding which pids are live (tests). */
    static PidFile acquire(Path path, long pid, LongPredicate alive) throws IOException {
        return acquire(path, pid, alive, true);
    }

    /**
     * Writes {@code pid} to {@code path}, replacing a stale pidfile and refusing one whose pid {@code alive} accepts
     * (other than {@code pid} itself).
     */
    private static PidFile acquire(Path path, long pid, LongPredicate alive, boolean newline) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(StandardCharsets.US_ASCII.encode(newline ? pid + "\n" : Long.toString(pid)));
                ch.force(true);
            }
            try {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: keep the default
            }
            // A hard link creates the name only if it is free, with the content already complete. If another
            // instance wins the name between our check and our link, we check again (once).
            for (int attempt = 0; ; attempt++) {
                OptionalLong existing = read(path);
                if (existing.isPresent() && existing.getAsLong() != pid && alive.test(existing.getAsLong())) {
                    throw new AlreadyRunningException(path, existing.getAsLong());
                }
                if (Files.deleteIfExists(path)) {
                    LOG.log(System.Logger.Level.INFO, "replaced stale pidfile " + path
                            + (existing.isEmpty() ? " (no pid in it)" : existing.getAsLong() == pid ? " (our own pid)"
                                    : " (process " + existing.getAsLong() + " is gone)"));
                }
                try {
                    Files.createLink(path, tmp);
                    return new PidFile(path, pid);
                } catch (FileAlreadyExistsException raced) {
                    if (attempt > 0) {
                        throw new IOException("pidfile " + path + " keeps reappearing; another instance is starting");
                    }
                } catch (UnsupportedOperationException | IOException noLinks) {
                    // A file system without hard links: an atomic rename (which replaces) does.
                    move(tmp, path);
                    return new PidFile(path, pid);
                }
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The pid in {@code path}; empty if the file is missing or holds no decimal pid (trailing whitespace allowed). */
    public static OptionalLong read(Path path) throws IOException {
        String text;
        try {
            if (Files.size(path) > 64) {
                return OptionalLong.empty();
            }
            text = Files.readString(path, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (java.nio.charset.MalformedInputException e) {
            return OptionalLong.empty();
        }
        if (text.isEmpty() || text.length() > 19 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.empty();
        }
        long value = Long.parseLong(text);
        return value > 0 ? OptionalLong.of(value) : OptionalLong.empty();
    }

    /** True when a process with {@code pid} exists and has not exited. */
    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The pidfile's path. */
    public Path path() {
        return path;
    }

    /** The pid written. */
    public long pid() {
        return pid;
    }

    /** Removes the pidfile if it still holds our pid (never a successor's); idempotent and never throws. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            OptionalLong now = read(path);
            if (now.isPresent() && now.getAsLong() == pid) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove pidfile " + path + ": " + e.getMessage());
        }
    }
}
