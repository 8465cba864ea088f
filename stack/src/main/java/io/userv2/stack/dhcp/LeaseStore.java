package io.userv2.stack.dhcp;

import java.util.List;

/**
 * Where the DHCP server keeps its lease table across restarts (so the same MAC gets the same address after a restart).
 * The server calls {@link #load} once when it is created, and {@link #save} with the complete table after every
 * change that matters: a new binding, a renewal (expiry moved), a host name change, a release or a decline. It does
 * not save on expiry (the stored expiry is already in the past).
 *
 * <p>Saving is asynchronous, sans-IO style: the server numbers its snapshots (generations 1, 2, 3, ... per server)
 * and hands each one over with a {@link SaveCompletion}; the store later reports, on the engine's thread, that the
 * snapshot is durable (or that writing it failed). The server holds every DHCPACK until the snapshot with its lease
 * is reported, so a client never holds a lease the store could lose, and the engine never waits for a disk. A store
 * with nothing to write ({@link #NONE}, {@link InMemoryLeaseStore}) reports from inside {@code save}; the ACK then
 * leaves at once, as if there were no store.
 *
 * <p>Both methods are called on the engine's thread. {@link #load} may block (it runs once, before the engine
 * serves anyone). {@link #save} must not block on I/O: it may hand the list (immutable) to another thread, and may
 * skip a snapshot that a newer one supersedes before it was written. It should not throw: a
 * {@link RuntimeException} that escapes is treated as {@link SaveCompletion#failed} for that snapshot.
 */
public interface LeaseStore {
    /** A store that forgets everything: loads nothing, saves nowhere (and reports every snapshot stored at once). */
    LeaseStore NONE = new LeaseStore() {
        @Override
        public List<Lease> load() {
            return List.of();
        }

        @Override
        public void save(long generation, List<Lease> leases, SaveCompletion completion) {
            completion.stored(generation);
        }
    };

    /** The leases saved last, in any order; empty when there are none or they cannot be read. Never null. */
    List<Lease> load();

    /**
     * Starts replacing the stored table with {@code leases} (immutable; static leases included when they were bound),
     * snapshot number {@code generation} (greater than any given before by this server), and reports the outcome
     * to {@code completion} on the engine's thread: from inside this call when the store is synchronous, later
     * otherwise (see {@link SaveCompletion} for the rules).
     */
    void save(long generation, List<Lease> leases, SaveCompletion completion);
}
