package io.userv2.stack.dhcp;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;

/**
 * A {@link LeaseStore} that writes only when the test says so, as the daemon's background writer does when the disk
 * is slow: a save becomes the pending snapshot (replacing any pending one, so intermediate snapshots are skipped);
 * {@link #complete()} puts it into the durable {@link InMemoryLeaseStore} and reports it stored, {@link #fail}
 * reports it failed. Reports are made on the test's thread, which plays the engine's.
 */
final class DeferredLeaseStore implements LeaseStore {
    final InMemoryLeaseStore disk;
    private List<Lease> pending;
    private long pendingGeneration;
    private SaveCompletion completion;
    private int saves;

    DeferredLeaseStore(InMemoryLeaseStore disk) {
        this.disk = disk;
    }

    @Override
    public List<Lease> load() {
        return disk.load();
    }

    @Override
    public void save(long generation, List<Lease> leases, SaveCompletion completion) {
        this.pending = leases;
        this.pendingGeneration = generation;
        this.completion = completion;
        saves++;
    }

    /** Snapshots handed over so far. */
    int saves() {
        return saves;
    }

    /** True while a snapshot waits to be written. */
    boolean hasPending() {
        return pending != null;
    }

    /** Writes the pending snapshot and reports it stored. */
    void complete() {
        assertNotNull(pending, "nothing pending");
        disk.replace(pending);
        pending = null;
        completion.stored(pendingGeneration);
    }

    /** Reports the pending snapshot failed (nothing is written). */
    void fail(RuntimeException error) {
        assertNotNull(pending, "nothing pending");
        pending = null;
        completion.failed(pendingGeneration, error);
    }
}
