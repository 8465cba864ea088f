package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;

/**
 * When a large frame from one VM is passed on to another before all of it has arrived (cut-through), and what the
 * switch decided for one such frame.
 *
 * <p>A {@link LinkPort} reading a byte stream often ends a receive inside a large frame: the sender has written only
 * part of it so far. Holding the head back until the tail arrives (store and forward) leaves the receiving VM idle
 * for that while; a relay that passes bytes on as they come does not. So when the head of such a frame holds its
 * Ethernet and IP headers, the switch decides on the head alone ({@link #worthCutting}): a learned unicast address on
 * another stream port, port security passed, room queued for the whole record. The head goes out with that port's
 * next write and the tail follows as it arrives, ahead of anything queued for that port in the meantime.
 *
 * <p>The bound: a sender that stops in the middle of such a frame would hold the receiver's stream. Once the frame
 * is older than {@link #DEADLINE_NANOS} and something else waits for that receiver, the rest of the frame is written
 * as zero bytes (the record stays whole, the guest drops the frame on its checksum), whatever the sender sends of it
 * later is skipped, and that sender's frames are no longer cut through while its connection lasts: it can hold a
 * receiver once, not again and again. When the sender's connection closes in the middle of a frame, its rest is
 * zeros too. Such frames are counted on the sender ({@link PortDropReason#UNFINISHED_FRAME}). Frames cut through
 * are counted on the sending port as in and on the receiving port as out, like any other.
 *
 * <p>Only frames whose first bytes decide everything port security checks are cut through: untagged IPv4, and IPv6
 * whose next header is TCP or UDP (no extension headers to walk). A running capture turns cut-through off, since it
 * sees every frame whole.
 */
public final class CutThrough {
    /** The smallest frame cut through: below this, holding it until whole costs little. */
    public static final int MIN_FRAME = 16 * 1024;
    /** Bytes of a frame (after its length prefix) that must have arrived before it is cut through. */
    public static final int MIN_HEAD = 128;
    /** How long a frame may stay unfinished while others wait for its receiver. */
    public static final long DEADLINE_NANOS = 500_000_000L;

    private static final int ETHERNET_HEADER = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int IPV6_NEXT_HEADER = 6;
    private static final int TCP = 6;
    private static final int UDP = 17;

    /** What became of a frame offered for cut-through. */
    public enum Decision {
        /** Not cut through: it waits until whole and is switched as usual. */
        NOT_CUT,
        /** Passed on: its head is queued for the receiver, its tail follows as it arrives. */
        CUT,
        /** Refused by port security (counted as the drop): its tail is skipped as it arrives. */
        DROPPED
    }

    private CutThrough() {
    }

    /**
     * Whether the head of a frame at {@code buf[index, index + available)} (of {@code length} bytes in all) is worth
     * cutting through and holds everything the switch decides on.
     */
    public static boolean worthCutting(ByteBuf buf, int index, int available, int length) {
        if (length < MIN_FRAME || available < MIN_HEAD) {
            return false;
        }
        int type = buf.getUnsignedShort(index + 12);
        if (type == ETHERTYPE_IPV4) {
            return true; // the IPv4 header's fixed part is within MIN_HEAD
        }
        if (type == ETHERTYPE_IPV6) {
            int next = buf.getUnsignedByte(index + ETHERNET_HEADER + IPV6_NEXT_HEADER);
            return next == TCP || next == UDP;
        }
        return false;
    }
}
