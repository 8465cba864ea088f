package io.userv2.stack.dhcp;

import java.util.List;

/**
 * A {@link LeaseStore} in memory, for tests and for running without a state directory: survives a server restart as
 * long as the same instance is passed to the new server. Synchronous: every snapshot is reported stored from inside
 * {@link #save}, so DHCPACKs leave at once. Thread-safe (synchronized).
 */
public final class InMemoryLeaseStore implements LeaseStore {
    private List<Lease> leases = List.of();
    private int saves;

    /** An empty store. */
    public InMemoryLeaseStore() {
    }

    /** A store that already holds {@code leases}. */
    public InMemoryLeaseStore(List<Lease> leases) {
        this.leases = List.copyOf(leases);
    }

    @Override
    public synchronized List<Lease> load() {
        return leases;
    }

    @Override
    public void save(long generation, List<Lease> leases, SaveCompletion completion) {
        replace(leases);
        completion.stored(generation);
    }

    /** Replaces the stored leases (what {@link #save} does before it reports the snapshot stored). */
    public synchronized void replace(List<Lease> leases) {
        this.leases = List.copyOf(leases);
        saves++;
    }

    /** How many snapshots were stored ({@link #save} or {@link #replace} calls). */
    public synchronized int saves() {
        return saves;
    }
}
