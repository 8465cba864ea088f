package io.userv2.stack.dhcp;

/**
 * How a {@link LeaseStore} tells the {@link DhcpServer} what became of a snapshot it was given with
 * {@link LeaseStore#save}: durable, or not writable. The server holds each DHCPACK until the snapshot holding its
 * lease is reported here (see {@link DhcpServer}).
 *
 * <p>Rules for the store (the caller of these methods):
 * <ul>
 *   <li>Call on the engine's thread (the event loop), never on a writer thread: hand the call over to the loop.
 *       A store that writes synchronously (or has nowhere to write) calls it from inside {@link LeaseStore#save}.</li>
 *   <li>A report for generation {@code g} covers every earlier generation too: a store that skips superseded
 *       snapshots (it writes only the latest) reports only the one it wrote. Reports may therefore skip
 *       generations, but must never be withheld for the latest snapshot handed over.</li>
 * </ul>
 */
public interface SaveCompletion {
    /** Snapshot {@code generation} (and so every earlier one) is on stable storage. */
    void stored(long generation);

    /**
     * Writing snapshot {@code generation} failed (the table in memory is intact). Earlier snapshots are settled by
     * this too: nothing more will be reported for them.
     */
    void failed(long generation, RuntimeException error);
}
