package io.userv2.stack.dhcp6;

import io.userv2.stack.dhcp.SaveCompletion;
import java.util.List;

/**
 * Where the DHCPv6 server keeps its stateful bindings across restarts, exactly as the IPv4 server's
 * {@link io.userv2.stack.dhcp.LeaseStore} does (read that for the contract): {@link #load} once when the server is
 * created, {@link #save} with the complete table after every change that matters (a new binding, a renewal, a
 * release, a decline), numbered snapshots reported back to the {@link SaveCompletion} on the engine's thread. Every
 * Reply that reports a change waits until its snapshot is reported, so a client never holds an address the store
 * could lose.
 *
 * <p>{@link #load} may block (once, at start). {@link #save} must not block on I/O and should not throw (a
 * {@link RuntimeException} that escapes counts as {@link SaveCompletion#failed}).
 */
public interface Dhcp6LeaseStore {
    /** A store that forgets everything and reports every snapshot stored at once. */
    Dhcp6LeaseStore NONE = new Dhcp6LeaseStore() {
        @Override
        public List<Dhcp6Lease> load() {
            return List.of();
        }

        @Override
        public void save(long generation, List<Dhcp6Lease> leases, SaveCompletion completion) {
            completion.stored(generation);
        }
    };

    /** The leases saved last, in any order; empty when there are none or they cannot be read. Never null. */
    List<Dhcp6Lease> load();

    /**
     * Starts replacing the stored table with {@code leases} (immutable), snapshot number {@code generation} (greater
     * than any before from this server), and reports the outcome to {@code completion} on the engine's thread.
     */
    void save(long generation, List<Dhcp6Lease> leases, SaveCompletion completion);
}
