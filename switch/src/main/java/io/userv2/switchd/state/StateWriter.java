package io.userv2.switchd.state;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes the daemon's state files (DHCP leases, port forwards) on one background daemon thread, so that the event
 * loop never waits for a disk. Each {@link #write} names a file and a snapshot of its whole content; per file only
 * the latest snapshot not yet started is kept (a newer one replaces it: intermediate snapshots may never reach the
 * disk, and their listeners are never called), and it is written with {@link AtomicFile} (temporary file, fsync,
 * rename, fsync of the directory). The outcome goes to the snapshot's {@link Listener} through the
 * {@code completions} executor (the event loop's {@code execute}), so listeners run on the loop thread.
 *
 * <p>Snapshots are encoded on the writer thread (a snapshot that is skipped costs nothing), so a {@link Snapshot}
 * must capture immutable data. The writer owns no buffers: the bytes a snapshot returns are written and dropped.
 *
 * <p>{@link #close()} writes every snapshot still pending, then stops the thread (nothing handed over is lost on a
 * clean shutdown); a {@link #write} after that is done at once on the caller's thread. Thread-safe.
 */
public final class StateWriter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StateWriter.class.getName());

    /** The content of a state file, produced when it is written (on the writer thread). */
    @FunctionalInterface
    public interface Snapshot {
        /** The bytes of the whole file. */
        byte[] encode() throws IOException;
    }

    /** Hears how a snapshot ended, on the completions executor; a skipped snapshot's listener hears nothing. */
    public interface Listener {
        /** The snapshot is durable. */
        void written();

        /** The snapshot could not be encoded or written; the file keeps its previous content. */
        void failed(IOException error);
    }

    private record Pending(Snapshot snapshot, Listener listener) {
    }

    private final Executor completions;
    private final long closeTimeoutMillis;
    private final ConcurrentHashMap<Path, Pending> latest = new ConcurrentHashMap<>();
    private final ExecutorService thread;

    /**
     * Starts the writer thread ({@code userv2-state}).
     *
     * @param completions runs the listeners (the event loop's {@code execute})
     * @param closeTimeoutMillis how long {@link #close()} waits for pending writes before it gives up and logs
     */
    public StateWriter(Executor completions, long closeTimeoutMillis) {
        this.completions = Objects.requireNonNull(completions, "completions");
        this.closeTimeoutMillis = closeTimeoutMillis;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "userv2-state");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Makes {@code snapshot} the next content of {@code file}, replacing a pending snapshot of that file not yet
     * started. Never blocks on I/O (until {@link #close()}: then the write happens here).
     */
    public void write(Path file, Snapshot snapshot, Listener listener) {
        Path key = file.toAbsolutePath();
        Pending p = new Pending(Objects.requireNonNull(snapshot, "snapshot"), Objects.requireNonNull(listener));
        if (latest.put(key, p) != null) {
            return; // a task for this file is queued and has not taken its snapshot yet: it will take this one
        }
        try {
            thread.execute(() -> writeLatest(key));
        } catch (RejectedExecutionException closed) {
            writeLatest(key);
        }
    }

    /** Takes the latest snapshot of {@code file} (if a newer task has not taken it already) and writes it. */
    private void writeLatest(Path file) {
        Pending p = latest.remove(file);
        if (p == null) {
            return;
        }
        IOException error = null;
        try {
            AtomicFile.write(file, p.snapshot.encode());
        } catch (IOException e) {
            error = e;
        } catch (RuntimeException e) {
            error = new IOException(e);
        }
        IOException outcome = error;
        try {
            completions.execute(() -> {
                if (outcome == null) {
                    p.listener.written();
                } else {
                    p.listener.failed(outcome);
                }
            });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "outcome of " + file + " not delivered (loop gone): " + e);
        }
    }

    /** Writes every pending snapshot, then stops the thread; waits at most the close timeout. Idempotent. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(closeTimeoutMillis, TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "state files still being written after " + closeTimeoutMillis
                        + " ms: " + latest.keySet());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
