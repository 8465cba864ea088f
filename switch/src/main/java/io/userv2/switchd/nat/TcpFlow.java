package io.userv2.switchd.nat;

import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.wire.MacAddress;

/**
 * One guest TCP connection terminated at the gateway, and whatever serves its other end (a host socket, or a local
 * service such as DNS). {@link TcpNat} feeds it segments and timer ticks and calls {@link #pump} after each; the flow
 * moves bytes between the two ends within the limits of both, so that flow control runs end to end. Loop thread only.
 */
abstract class TcpFlow {
    final TcpConnection conn;
    /** The guest's MAC, from its latest segment (null until known for a flow we open): where segments go. */
    MacAddress guestMac;
    /** The deadline this flow is queued under in the timer queue, or Long.MAX_VALUE. */
    long queuedAt = Long.MAX_VALUE;
    /** Set once the flow has been removed; later events are ignored. */
    boolean finished;
    /** Set while the flow waits in {@link TcpNat}'s list for the end of the loop iteration. */
    boolean touched;
    /** When the last ARP request for the guest went out (flows opened towards a guest), or 0. */
    long arpSentAt;
    /** Set while the flow has data to send but the queue towards its guest is too long. */
    boolean heldBack;

    TcpFlow(TcpConnection conn, MacAddress guestMac) {
        this.conn = conn;
        this.guestMac = guestMac;
    }

    /** A deadline of the flow's own (a dial timeout, say), or Long.MAX_VALUE. */
    long deadline() {
        return Long.MAX_VALUE;
    }

    /** Moves what can move between the guest connection and the other end now. */
    abstract void pump(long now);

    /** The guest connection is gone: close the other end (abortively if {@code reset}). */
    abstract void closeOtherEnd(boolean reset);
}
