package io.userv2.stack.dhcp;

import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Holds DHCPACKs until the {@link LeaseStore} has settled the snapshot with their lease: "a lease is on disk before
 * its ACK leaves". It is the {@link SaveCompletion} the {@link LeaseTable} passes to the store; the server hands it
 * every ACK with the generation of the table's latest snapshot, and the ACK goes out at once when that generation is
 * already settled (always, with a synchronous store), or later, in order, when the store reports it.
 *
 * <p>A failed write settles a snapshot too: the ACKs waiting for it are sent anyway, because the lease is valid in
 * memory and withholding the ACK would only take the client's address away while the daemon keeps running; what is
 * lost is the address after a restart, as with no lease file. The failure is counted every time and reported to
 * the {@link DhcpEventListener} once per run of failures (again after a write has succeeded).
 *
 * <p>Bounded: at most {@code capacity} ACKs wait; one more is dropped and counted as
 * {@link DhcpDropReason#ACK_BACKLOG} (the lease stays bound, the client's retransmitted REQUEST is answered). Holds
 * {@link DhcpRepr}s, not frames: an ACK is encoded when it leaves, so nothing pooled is held. Not thread-safe: the
 * engine's thread only.
 */
final class AckGate implements SaveCompletion {
    /** Sends one ACK (and counts it). */
    interface Sender {
        void send(DhcpRepr ack, Ipv4Address to, MacAddress mac);
    }

    private record Held(long generation, DhcpRepr ack, Ipv4Address to, MacAddress mac) {
    }

    private final Sender out;
    private final DhcpCounters counters;
    private final int capacity;
    /** In generation order (ACKs are handed over in the order their snapshots were made). */
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private DhcpEventListener events = new DhcpEventListener() { };
    /** Every snapshot up to this one is durable or failed. */
    private long settled;
    private boolean failing;

    AckGate(Sender out, DhcpCounters counters, int capacity) {
        this.out = Objects.requireNonNull(out, "out");
        this.counters = Objects.requireNonNull(counters, "counters");
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
    }

    void setEventListener(DhcpEventListener events) {
        this.events = Objects.requireNonNull(events, "events");
    }

    /** Sends {@code ack} now if snapshot {@code generation} is settled, else holds it (or drops it when full). */
    void send(long generation, DhcpRepr ack, Ipv4Address to, MacAddress mac) {
        if (generation <= settled) { // then nothing is held: settling released every older ACK
            out.send(ack, to, mac);
        } else if (held.size() >= capacity) {
            counters.drop(DhcpDropReason.ACK_BACKLOG);
        } else {
            held.addLast(new Held(generation, ack, to, mac));
        }
    }

    /** ACKs waiting for the store. */
    int held() {
        return held.size();
    }

    @Override
    public void stored(long generation) {
        failing = false;
        settle(generation);
    }

    @Override
    public void failed(long generation, RuntimeException error) {
        counters.storeFailed();
        if (!failing) {
            failing = true;
            events.storeFailed(error);
        }
        settle(generation);
    }

    private void settle(long generation) {
        settled = Math.max(settled, generation);
        while (!held.isEmpty() && held.peekFirst().generation() <= settled) {
            Held h = held.pollFirst();
            out.send(h.ack(), h.to(), h.mac());
        }
    }
}
