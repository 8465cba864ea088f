package io.userv2.stack.tcp;

/**
 * The states of a {@link TcpConnection} (RFC 9293 section 3.3.2), plus {@link #SYN_PENDING} for dial-then-accept.
 *
 * <p>There is no LISTEN: listening is the owner's job (the NAT turns each SYN for an unknown four-tuple into a new
 * connection through {@link TcpConnection#acceptSyn}); a connection starts in {@link #SYN_PENDING} (passive) or
 * {@link #SYN_SENT} (active) and ends in {@link #CLOSED}.
 */
public enum TcpState {
    /** A guest's SYN has been received and is held, unanswered, until the owner calls accept() or refuse(). */
    SYN_PENDING,
    /** Active open: our SYN is out, waiting for the peer's SYN. */
    SYN_SENT,
    /** Our SYN-ACK is out, waiting for the ACK of it. */
    SYN_RECEIVED,
    /** Data flows both ways. */
    ESTABLISHED,
    /** We closed our side (FIN queued or sent), the peer has not acknowledged our FIN yet. */
    FIN_WAIT_1,
    /** Our FIN is acknowledged; the peer may still send. */
    FIN_WAIT_2,
    /** Both sides sent FIN at about the same time; waiting for the ACK of ours. */
    CLOSING,
    /** Both directions closed, we closed first; waiting 2*MSL for stray segments. */
    TIME_WAIT,
    /** The peer closed its side; we may still send. */
    CLOSE_WAIT,
    /** The peer closed first, then we did; waiting for the ACK of our FIN. */
    LAST_ACK,
    /** No connection: finished, reset, refused or timed out (see {@link TcpConnection#closeCause()}). */
    CLOSED;

    /** True in the states where the peer's SYN has been received and ours acknowledged (RFC 9293 "synchronized"). */
    public boolean isSynchronized() {
        return switch (this) {
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK -> true;
            default -> false;
        };
    }
}
