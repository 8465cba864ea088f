package io.userv2.stack.dhcp6;

import io.userv2.stack.dhcp.SaveCompletion;
import java.util.List;

/**
 * A {@link Dhcp6LeaseStore} in memory, for tests and for running without a state directory: survives a server restart
 * as long as the same instance is given to the new server. Synchronous: every snapshot is reported stored from inside
 * {@link #save}, so Replies leave at once. Thread-safe (synchronized).
 */
public final class InMemoryDhcp6LeaseStore implements Dhcp6LeaseStore {
    private List<Dhcp6Lease> leases = List.of();
    private int saves;

    /** An empty store. */
    public InMemoryDhcp6LeaseStore() {
    }

    /** A store that already holds {@code leases}. */
    public InMemoryDhcp6LeaseStore(List<Dhcp6Lease> leases) {
        this.leases = List.copyOf(leases);
    }

    @Override
    public synchronized List<Dhcp6Lease> load() {
        return leases;
    }

    @Override
    public void save(long generation, List<Dhcp6Lease> leases, SaveCompletion completion) {
        replace(leases);
        completion.stored(generation);
    }

    /** Replaces the stored leases (what {@link #save} does before it reports the snapshot stored). */
    public synchronized void replace(List<Dhcp6Lease> leases) {
        this.leases = List.copyOf(leases);
        saves++;
    }

    /** How many snapshots were stored. */
    public synchronized int saves() {
        return saves;
    }
}
