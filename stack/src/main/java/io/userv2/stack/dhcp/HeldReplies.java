package io.userv2.stack.dhcp;

import java.util.ArrayDeque;
import java.util.Objects;

/**
 * "A lease is on disk before its answer leaves", for the DHCP servers of both families: a {@link SaveCompletion}
 * that holds each reply until the lease store has settled the snapshot with the change the reply reports. The server
 * hands it every such reply with the generation of the snapshot its change made; the reply goes out at once when that
 * generation is already settled (always, with a synchronous store), or later, in order, when the store reports it.
 *
 * <p>A failed write settles a snapshot too: the replies waiting for it are sent anyway, because the lease is valid in
 * memory and withholding the answer would only take the client's address away while the daemon keeps running; what
 * is lost is the address after a restart, as with no lease file. Every failure goes to
 * {@link Handler#storeFailed}, marked as the first of a run until a write succeeds again.
 *
 * <p>Bounded: at most {@code capacity} replies wait; one more goes to {@link Handler#dropped} instead (the lease
 * stays bound; the client retransmits and is answered then). Holds whatever the server passes (its reply values, not
 * buffers). Not thread-safe: the engine's thread only.
 *
 * @param <R> the server's held reply
 */
public final class HeldReplies<R> implements SaveCompletion {
    /** What becomes of the replies, and what the server hears of store failures. */
    public interface Handler<R> {
        /** {@code reply} leaves now. */
        void send(R reply);

        /** {@code reply} is dropped: {@code capacity} replies already wait. */
        void dropped(R reply);

        /** A snapshot could not be written; {@code firstOfRun} until a later write succeeds. */
        void storeFailed(RuntimeException error, boolean firstOfRun);
    }

    private record Held<R>(long generation, R reply) {
    }

    private final Handler<R> handler;
    private final int capacity;
    /** In generation order (replies are handed over in the order their snapshots were made). */
    private final ArrayDeque<Held<R>> held = new ArrayDeque<>();
    /** Every snapshot up to this one is durable or failed. */
    private long settled;
    private boolean failing;

    /** A gate sending through {@code handler} that holds at most {@code capacity} replies. */
    public HeldReplies(Handler<R> handler, int capacity) {
        this.handler = Objects.requireNonNull(handler, "handler");
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
    }

    /** Sends {@code reply} now if snapshot {@code generation} is settled (0 always is), else holds it or drops it. */
    public void send(long generation, R reply) {
        if (generation <= settled) { // then nothing is held: settling released every older reply
            handler.send(reply);
        } else if (held.size() >= capacity) {
            handler.dropped(reply);
        } else {
            held.addLast(new Held<>(generation, reply));
        }
    }

    /** Replies waiting for the store. */
    public int held() {
        return held.size();
    }

    @Override
    public void stored(long generation) {
        failing = false;
        settle(generation);
    }

    @Override
    public void failed(long generation, RuntimeException error) {
        boolean first = !failing;
        failing = true;
        handler.storeFailed(error, first);
        settle(generation);
    }

    private void settle(long generation) {
        settled = Math.max(settled, generation);
        while (!held.isEmpty() && held.peekFirst().generation() <= settled) {
            handler.send(held.pollFirst().reply());
        }
    }
}
