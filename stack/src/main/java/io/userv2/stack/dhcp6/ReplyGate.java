package io.userv2.stack.dhcp6;

import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Holds Replies until the {@link Dhcp6LeaseStore} has settled the snapshot with the change they report: "a lease is on
 * disk before its Reply leaves", as the IPv4 server's gate does for DHCPACKs. It is the {@link SaveCompletion} the
 * {@link Dhcp6LeaseTable} passes to the store; the server hands it every Reply with the generation of the snapshot its
 * change made (0 when it changed nothing), and the Reply leaves at once when that generation is settled (always,
 * with a synchronous store), or later, in order, when the store reports it.
 *
 * <p>A failed write settles a snapshot too (the binding is valid in memory; only its survival across a restart is
 * lost): counted every time, reported to the {@link Dhcp6EventListener} once per run of failures. At most
 * {@code capacity} Replies wait; one more is dropped and counted as {@link Dhcp6DropReason#REPLY_BACKLOG} (the
 * binding stays; the client retransmits and is answered then). Holds {@link Dhcp6Repr}s, not buffers. Not
 * thread-safe: the engine's thread only.
 */
final class ReplyGate implements SaveCompletion {
    /** Sends one reply (and counts it). */
    interface Sender {
        void send(Dhcp6Repr reply, MacAddress mac, Inet6Address to);
    }

    private record Held(long generation, Dhcp6Repr reply, MacAddress mac, Inet6Address to) {
    }

    private final Sender out;
    private final Dhcp6Counters counters;
    private final int capacity;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private Dhcp6EventListener events = new Dhcp6EventListener() { };
    private long settled;
    private boolean failing;

    ReplyGate(Sender out, Dhcp6Counters counters, int capacity) {
        this.out = Objects.requireNonNull(out, "out");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.capacity = capacity;
    }

    void setEventListener(Dhcp6EventListener events) {
        this.events = Objects.requireNonNull(events, "events");
    }

    /** Sends {@code reply} now if snapshot {@code generation} is settled, else holds it (or drops it when full). */
    void send(long generation, Dhcp6Repr reply, MacAddress mac, Inet6Address to) {
        if (generation <= settled) {
            out.send(reply, mac, to);
        } else if (held.size() >= capacity) {
            counters.drop(Dhcp6DropReason.REPLY_BACKLOG);
        } else {
            held.addLast(new Held(generation, reply, mac, to));
        }
    }

    /** Replies waiting for the store. */
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
            out.send(h.reply(), h.mac(), h.to());
        }
    }
}
