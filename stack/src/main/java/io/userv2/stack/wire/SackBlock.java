package io.userv2.stack.wire;

import java.util.Objects;

/**
 * One block of a TCP SACK option (RFC 2018 section 3): a contiguous range of received sequence numbers
 * {@code [left, right)}, "Left Edge of Block" being the first sequence number of the block and "Right Edge of Block"
 * the sequence number immediately following its last one.
 *
 * @param left  the first sequence number of the block
 * @param right the sequence number just after the block
 */
public record SackBlock(SeqNumber left, SeqNumber right) {
    /** Requires both edges. */
    public SackBlock {
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
    }

    /** tcpdump style: {@code {left:right}}. */
    @Override
    public String toString() {
        return "{" + left + ":" + right + "}";
    }
}
