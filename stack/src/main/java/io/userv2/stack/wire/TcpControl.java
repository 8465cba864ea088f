package io.userv2.stack.wire;

/**
 * The one control function a TCP segment carries, instead of independent SYN/FIN/RST/PSH booleans (as smoltcp's
 * {@code TcpControl}): a segment is a SYN, a FIN, a RST, a data push, or none of these. Combinations that RFC 9293
 * gives no meaning to (SYN+FIN, SYN+RST, FIN+RST) cannot be represented and are rejected as malformed by
 * {@link TcpRepr#parse}. ACK is not a control here: its presence is the presence of {@link TcpRepr#ackNumber()}.
 * PSH together with SYN, FIN or RST is read as that control (PSH has no effect on them).
 */
public enum TcpControl {
    /** No control flag. */
    NONE,
    /** PSH: deliver the data to the application now. */
    PSH,
    /** SYN: synchronise sequence numbers; occupies one sequence number. */
    SYN,
    /** FIN: no more data from the sender; occupies one sequence number. */
    FIN,
    /** RST: reset the connection. */
    RST;

    /** How many sequence numbers the control occupies: 1 for SYN and FIN, otherwise 0 (RFC 9293 section 3.4). */
    public int sequenceLength() {
        return this == SYN || this == FIN ? 1 : 0;
    }

    /** The flag bits of this control as in the TCP header's flags octet (PSH 0x08, RST 0x04, SYN 0x02, FIN 0x01). */
    int flagBits() {
        return switch (this) {
            case NONE -> 0;
            case PSH -> TcpPacket.FLAG_PSH;
            case SYN -> TcpPacket.FLAG_SYN;
            case FIN -> TcpPacket.FLAG_FIN;
            case RST -> TcpPacket.FLAG_RST;
        };
    }
}
