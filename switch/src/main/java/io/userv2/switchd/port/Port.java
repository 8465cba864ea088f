package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;

/**
 * One port of the learning switch: a VM connection or the virtual gateway. Ports live on the event-loop thread and
 * are never touched from elsewhere.
 */
public abstract class Port {
    private static int nextId = 1;

    private final int id;
    private final String name;
    private final PortCounters counters = new PortCounters();
    private final IngressBudget budget = new IngressBudget();
    private final FloodLimit floodLimit = new FloodLimit();
    private boolean closed;
    private int macEntries;

    /** Source MAC learned most recently from this port, and when, so learning can skip the table on most frames. */
    long lastLearnedMac = -1;
    long lastLearnedAt;

    protected Port(String name) {
        synchronized (Port.class) {
            this.id = nextId++;
        }
        this.name = name;
    }

    /** A small number unique within this process. */
    public final int id() {
        return id;
    }

    /** Human-readable name for logs and statistics, e.g. {@code unix:/tmp/net.sock#3}. */
    public final String name() {
        return name;
    }

    /** This port's counters. */
    public final PortCounters counters() {
        return counters;
    }

    /** This port's work budget per event-loop iteration (unlimited unless the switch limited it). */
    public final IngressBudget budget() {
        return budget;
    }

    /** This port's storm control: how many frames a second it may have flooded (unlimited unless limited). */
    public final FloodLimit floodLimit() {
        return floodLimit;
    }

    /** MAC addresses the switch's table holds for this port (learned on it and not yet aged out or moved). */
    public final int macEntries() {
        return macEntries;
    }

    /** Adds {@code delta} to {@link #macEntries()}; for the switch's table, which keeps the count. */
    public final void adjustMacEntries(int delta) {
        macEntries += delta;
    }

    /** True once the port has been closed; closed ports are removed from the switch. */
    public final boolean isClosed() {
        return closed;
    }

    /** Marks the port closed; subclasses release their resources in {@link #onClose()}. */
    public final void close() {
        if (!closed) {
            closed = true;
            onClose();
        }
    }

    /** Releases the port's resources; called once. */
    protected abstract void onClose();

    /**
     * Queues (or, for a virtual port, delivers) one Ethernet frame for this port's peer.
     *
     * @param buf holds the frame; the caller keeps ownership and may reuse the bytes after this returns, so a port
     *     that queues the frame copies it
     * @param index absolute index of the first byte of the frame (destination MAC)
     * @param length the frame's length in bytes
     * @param ingress the port the frame came in on (the owner of whatever the frame makes an endpoint hold)
     */
    public abstract void deliver(ByteBuf buf, int index, int length, Port ingress);

    /**
     * Room to build one frame of {@code length} bytes for this port's peer in place, where it is sent from (the
     * gateway's segments, saving their copy into the queue): the frame goes at {@code [writerIndex, writerIndex +
     * length)} of the returned buffer, written with absolute setters, then {@link #commitReserved} queues it or
     * {@link #cancelReserved} forgets it, before anything else reaches this port. The buffer stays the port's. Null
     * when the port has no such room (closed, queue full, or a port without a queue: the default): then
     * {@link #deliver}.
     */
    public ByteBuf reserve(int length) {
        return null;
    }

    /** Queues the frame built in the room {@link #reserve} gave; returns its length. */
    public int commitReserved() {
        throw new IllegalStateException(name + ": nothing reserved");
    }

    /** Forgets the room {@link #reserve} gave; nothing is queued. */
    public void cancelReserved() {
        throw new IllegalStateException(name + ": nothing reserved");
    }

    /**
     * Whether this port leads to another switch of the same LAN (a VXLAN remote) rather than to one VM: on a switch
     * without a gateway of its own, only such a port may carry the LAN gateway's MAC as a source.
     */
    public boolean isUplink() {
        return false;
    }

    /** Bytes queued towards this port's peer and not yet written; 0 for ports without a queue. */
    public int queuedBytes() {
        return 0;
    }

    /**
     * Gives the port's read and write buffers back to the allocator where they hold nothing (they are allocated
     * again on the next read or frame). Loop thread only; called when the process compacts its memory after a
     * quiet spell, never on the per-frame path.
     */
    public void releaseIdleBuffers() {
    }

    /**
     * Source MAC last learned from this port, or -1; together with {@link #lastLearnedAt()} it lets the switch
     * skip relearning the same address on every frame.
     */
    public final long lastLearnedMac() {
        return lastLearnedMac;
    }

    /** Nano time of the last learning of {@link #lastLearnedMac()}. */
    public final long lastLearnedAt() {
        return lastLearnedAt;
    }

    /** Remembers that {@code mac} was learned from this port at {@code now}. */
    public final void learned(long mac, long now) {
        lastLearnedMac = mac;
        lastLearnedAt = now;
    }

    @Override
    public String toString() {
        return name;
    }
}
