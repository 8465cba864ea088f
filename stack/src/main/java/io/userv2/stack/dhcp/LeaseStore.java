package io.userv2.stack.dhcp;

import java.util.List;

/**
 * Where the DHCP server keeps its lease table across restarts (so the same MAC gets the same address after a restart).
 * The server calls {@link #load} once when it is created, and {@link #save} with the complete table after every
 * change that matters: a new binding, a renewal (expiry moved), a host name change, a release or a decline. It does
 * not save on expiry (the stored expiry is already in the past).
 *
 * <p>{@link #save} is called on the engine's thread with an immutable list; an implementation that does slow I/O may
 * hand the list to another thread. Neither method should throw: a store that cannot read starts empty, a store that
 * cannot write reports it itself (the server counts any {@link RuntimeException} that escapes and carries on).
 */
public interface LeaseStore {
    /** A store that forgets everything: loads nothing, saves nowhere. */
    LeaseStore NONE = new LeaseStore() {
        @Override
        public List<Lease> load() {
            return List.of();
        }

        @Override
        public void save(List<Lease> leases) {
        }
    };

    /** The leases saved last, in any order; empty when there are none or they cannot be read. Never null. */
    List<Lease> load();

    /** Replaces the stored table with {@code leases} (immutable; static leases included when they were bound). */
    void save(List<Lease> leases);
}
