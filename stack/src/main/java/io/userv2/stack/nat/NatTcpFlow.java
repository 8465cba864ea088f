package io.userv2.stack.nat;

import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.wire.MacAddress;

/**
 * One guest TCP connection terminated at the gateway, and whatever serves its other end: a host socket
 * ({@link HostTcpRelay}), a service of the gateway itself such as DNS ({@link LocalTcpFlow}), or nothing but a
 * question (a {@link GuestProbe}). {@link TcpNat} feeds it segments, host events and timer ticks, and calls
 * {@link #pump} once per loop iteration after any of them; the flow moves bytes between the two ends within the limits
 * of both, so that flow control runs end to end.
 *
 * <p>The engine's owner sees flows only as opaque handles: it gets one in {@link HostSockets#dialTcp} and names it in
 * the host events it reports. Engine thread only.
 */
public abstract sealed class NatTcpFlow permits HostTcpRelay, LocalTcpFlow, GuestProbe {
    final TcpConnection conn;
    /** {@link #guestMac} while the guest's MAC is not known (no MAC's 48 bits can be all ones in 64). */
    static final long NO_MAC = -1L;
    /**
     * The guest's MAC ({@link MacAddress#bits()}), from its latest segment, where segments go; {@link #NO_MAC} until
     * known for a flow we open. A primitive: no object per flow, no pointer to follow per segment sent.
     */
    long guestMac;
    /** The switch port the guest's segments come in on: the flow goes when that port does. */
    int owner;
    /** The deadline this flow is queued under in the timer queue, or Long.MAX_VALUE. */
    long queuedAt = Long.MAX_VALUE;
    /** The flow's slot in {@link FlowTimers}, or -1 while it is not queued. */
    int timerSlot = -1;
    /** Set once the flow has been removed; later events are ignored. */
    boolean finished;
    /** Set while the flow waits in {@link TcpNat}'s list for the end of the loop iteration. */
    boolean touched;
    /** When the last ARP request for the guest went out (flows opened towards a guest), or 0. */
    long arpSentAt;
    /** Set while the flow has data to send but the queue towards its guest is too long. */
    boolean heldBack;
    /** Set while the flow counts against its owner's TCP cap, and while its host dial is pending. */
    boolean countsTcp;
    boolean countsPendingDial;
    /** The next flow in the same {@link NatFlowTable} bucket (same ports and gateway side, another guest). */
    NatTcpFlow nextInBucket;

    NatTcpFlow(TcpConnection conn, long guestMac, int owner) {
        this.conn = conn;
        this.guestMac = guestMac;
        this.owner = owner;
    }

    /** A deadline of the flow's own (a dial timeout, an idle timeout), or Long.MAX_VALUE. */
    long deadline() {
        return Long.MAX_VALUE;
    }

    /** Moves what can move between the guest connection and the other end now. */
    abstract void pump(long now);

    /** The guest connection is gone: close the other end (abortively if {@code reset}). Never throws. */
    abstract void closeOtherEnd(boolean reset);

    /** The switch port that owns this flow. */
    public final int owner() {
        return owner;
    }

    /** The guest-side endpoint, for its state and counters (engine thread only; the engine drives it). */
    public final TcpConnection connection() {
        return conn;
    }

    @Override
    public String toString() {
        return "tcp " + conn.key();
    }
}
