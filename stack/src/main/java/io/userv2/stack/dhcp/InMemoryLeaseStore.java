package io.userv2.stack.dhcp;

import java.util.List;

/**
 * A {@link LeaseStore} in memory, for tests and for running without a state directory: survives a server restart as
 * long as the same instance is passed to the new server. Thread-safe (synchronized).
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
    public synchronized void save(List<Lease> leases) {
        this.leases = List.copyOf(leases);
        saves++;
    }

    /** How many times {@link #save} was called. */
    public synchronized int saves() {
        return saves;
    }
}
