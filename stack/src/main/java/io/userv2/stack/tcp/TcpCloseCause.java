package io.userv2.stack.tcp;

/** Why a {@link TcpConnection} reached {@link TcpState#CLOSED}; tells the NAT layer how to close the host side. */
public enum TcpCloseCause {
    /** Not closed yet. */
    NONE,
    /** Orderly close: both FINs sent and acknowledged (or TIME-WAIT expired). */
    NORMAL,
    /** The peer sent an acceptable RST. */
    RESET_BY_PEER,
    /** The owner called {@link TcpConnection#abort()}; a RST was sent. */
    ABORTED,
    /** The owner called {@link TcpConnection#refuse()}; a RST answered the SYN. */
    REFUSED,
    /**
     * The peer is presumed gone: too many retransmissions without progress (or SYN-ACK retries exhausted), keep-alive
     * probes or zero-window probes unanswered, or FIN-WAIT-2 silent too long (see {@link TcpStats} for which). A RST
     * was sent when the connection was synchronized.
     */
    TIMED_OUT
}
