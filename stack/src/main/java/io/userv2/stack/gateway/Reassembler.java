package io.userv2.stack.gateway;

/**
 * What the IPv4 and IPv6 reassemblers share: the packets held in reassembly ({@link HeldDatagrams}), the limits on
 * them, their expiry, and their release when the ingress port that sent them goes. Each subclass parses its own
 * family's fragments and rebuilds its own packets.
 *
 * <p>Ownership: the reassembler owns every buffer it holds and releases them on expiry, {@link #releaseOwner} and
 * {@link #close}. Not thread-safe: owned by the gateway's thread.
 */
public abstract sealed class Reassembler permits Ipv4Reassembler, Ipv6Reassembler {
    private final HeldDatagrams<?> held;

    Reassembler(HeldDatagrams<?> held) {
        this.held = held;
    }

    /** The limits in force. */
    public ReassemblyLimits limits() {
        return held.limits();
    }

    /** Packets (IPv4: datagrams) in reassembly now. */
    public int datagrams() {
        return held.size();
    }

    /** Packets in reassembly now for ingress {@code owner}. */
    public int datagrams(int owner) {
        return held.size(owner);
    }

    /** Bytes of reassembly buffers held now (their capacity). */
    public long bytes() {
        return held.bytes();
    }

    /** Drops (and counts as {@link DropReason#FRAGMENT_TIMEOUT}) every packet overdue at {@code nowNanos}. */
    public void expire(long nowNanos) {
        held.expire(nowNanos);
    }

    /** When {@link #expire} next has something to do: the earliest deadline, or {@link Long#MAX_VALUE} if none. */
    public long pollAt() {
        return held.pollAt();
    }

    /**
     * Drops everything held for ingress {@code owner} (its port went away), counted as
     * {@link DropReason#FRAGMENT_ABORTED}.
     */
    public void releaseOwner(int owner) {
        held.releaseOwner(owner);
    }

    /** Drops everything held, counted as {@link DropReason#FRAGMENT_ABORTED}, releasing every buffer. */
    public void close() {
        held.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + held.size() + " held, " + held.bytes() + " bytes}";
    }
}
