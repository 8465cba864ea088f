package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;

/**
 * Told by a reassembler when a datagram times out whose first fragment (offset 0) was received, so that its owner can
 * send ICMP Time Exceeded code 1, "fragment reassembly time exceeded" (RFC 792; RFC 1122 3.3.2; RFC 8200 4.5: "an
 * ICMP Time Exceeded -- Fragment Reassembly Time Exceeded message should be sent to the source of that fragment").
 * Called only on that path, never while fragments are merely held.
 */
interface ReassemblyTimeout {
    /**
     * A datagram timed out.
     *
     * @param ethSource     the first fragment's Ethernet source: where the error goes
     * @param ethDestination the first fragment's Ethernet destination (a group address: no error, RFC 1122 3.2.2,
     *                      RFC 4443 2.4 e.2)
     * @param firstFragment the first fragment as it was received, from its IP header on (IPv6: with its Fragment
     *                      header); a slice of the reassembler's buffer, valid only during the call, not to be
     *                      retained or released
     * @param nowNanos      the current time
     */
    void timedOut(long ethSource, long ethDestination, ByteBuf firstFragment, long nowNanos);
}
