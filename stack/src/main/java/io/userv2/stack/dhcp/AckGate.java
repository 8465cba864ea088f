package io.userv2.stack.dhcp;

import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.Objects;

/**
 * The {@link DhcpServer}'s {@link HeldReplies}: DHCPACKs wait until the {@link LeaseStore} has settled the snapshot
 * with their lease (see there). It is the {@link SaveCompletion} the {@link LeaseTable} passes to the store. A
 * dropped ACK is counted as {@link DhcpDropReason#ACK_BACKLOG}; a failed write is counted every time and reported to
 * the {@link DhcpEventListener} once per run of failures. Holds {@link DhcpRepr}s, not frames: an ACK is encoded when
 * it leaves, so nothing pooled is held. Not thread-safe: the engine's thread only.
 */
final class AckGate implements SaveCompletion {
    /** Sends one ACK (and counts it). */
    interface Sender {
        void send(DhcpRepr ack, Ipv4Address to, MacAddress mac);
    }

    private record Ack(DhcpRepr ack, Ipv4Address to, MacAddress mac) {
    }

    private final HeldReplies<Ack> gate;
    private DhcpEventListener events = new DhcpEventListener() { };

    AckGate(Sender out, DhcpCounters counters, int capacity) {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(counters, "counters");
        this.gate = new HeldReplies<>(new HeldReplies.Handler<>() {
            @Override
            public void send(Ack a) {
                out.send(a.ack(), a.to(), a.mac());
            }

            @Override
            public void dropped(Ack a) {
                counters.drop(DhcpDropReason.ACK_BACKLOG);
            }

            @Override
            public void storeFailed(RuntimeException error, boolean firstOfRun) {
                counters.storeFailed();
                if (firstOfRun) {
                    events.storeFailed(error);
                }
            }
        }, capacity);
    }

    void setEventListener(DhcpEventListener events) {
        this.events = Objects.requireNonNull(events, "events");
    }

    /** Sends {@code ack} now if snapshot {@code generation} is settled, else holds it (or drops it when full). */
    void send(long generation, DhcpRepr ack, Ipv4Address to, MacAddress mac) {
        gate.send(generation, new Ack(ack, to, mac));
    }

    /** ACKs waiting for the store. */
    int held() {
        return gate.held();
    }

    @Override
    public void stored(long generation) {
        gate.stored(generation);
    }

    @Override
    public void failed(long generation, RuntimeException error) {
        gate.failed(generation, error);
    }
}
