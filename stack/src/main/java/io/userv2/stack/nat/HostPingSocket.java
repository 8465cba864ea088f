package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * The host end of one NAT'd ICMP echo flow: a Linux ping socket ({@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)},
 * see icmp(7)), or its ICMPv6 twin ({@code socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)}), connected to the flow's
 * translated destination, implemented by the engine's owner (JNA in the daemon, in memory in tests). Called only on
 * the engine's thread.
 *
 * <p>What the kernel does with such a socket, and the engine relies on: on send it takes an ICMP message whose type
 * is Echo (8; ICMPv6: Echo Request, 128) and code 0, replaces the identifier with the socket's own (its "port") and
 * computes the checksum; it delivers to the socket only the Echo Replies that carry that identifier, as the ICMP message without the IP
 * header. The sequence number and the data pass unchanged both ways.
 *
 * <p>Buffers: neither method keeps, releases or retains the engine's buffers.
 */
public interface HostPingSocket {
    /** {@link #receive} found no message. */
    int NONE = -1;

    /**
     * Sends the readable bytes of {@code message}, a whole ICMP echo request (header and data), as one message (its
     * indices are not moved).
     *
     * @return false when the socket could not take it now (dropped and counted by the engine)
     * @throws IOException for a failure the engine counts
     */
    boolean send(ByteBuf message) throws IOException;

    /**
     * Receives one ICMP message from the connected destination into {@code dst} (moving its writer index;
     * {@code dst} has room for 65,536 bytes).
     *
     * @return the message's length, or {@link #NONE} when none is waiting
     * @throws IOException for an error the socket reports (an ICMP error about an earlier request, say); counted
     */
    int receive(ByteBuf dst) throws IOException;

    /** Closes the socket. Idempotent, never throws. */
    void close();
}
