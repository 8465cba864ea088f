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
    /** Too many retransmissions without progress (or SYN-ACK retries exhausted). */
    TIMED_OUT
}
