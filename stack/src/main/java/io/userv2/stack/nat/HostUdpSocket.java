package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * The host end of one NAT'd UDP flow: a non-blocking datagram socket connected to the flow's translated destination,
 * implemented by the engine's owner (NIO in the daemon, in memory in tests). Called only on the engine's thread.
 *
 * <p>Buffers: neither method keeps, releases or retains the engine's buffers.
 */
public interface HostUdpSocket {
    /** {@link #receive} found no datagram. */
    int NONE = -1;
    /** {@link #receive} learned that the destination port is unreachable (the host saw ICMP port unreachable). */
    int PORT_UNREACHABLE = -2;
    /** {@link #receive} learned that the destination host is unreachable (EHOSTUNREACH: ICMP host unreachable). */
    int HOST_UNREACHABLE = -3;
    /** {@link #receive} learned that the destination network is unreachable (ENETUNREACH). */
    int NET_UNREACHABLE = -4;

    /**
     * Sends the readable bytes of {@code payload} as one datagram (its indices are not moved).
     *
     * @return false when the socket could not take it now (dropped and counted by the engine)
     * @throws IOException for a failure the engine counts; a {@link java.net.PortUnreachableException} is answered
     *                     with ICMP port unreachable to the guest, a {@link java.net.NoRouteToHostException} with
     *                     host unreachable
     */
    boolean send(ByteBuf payload) throws IOException;

    /**
     * Receives one datagram into {@code dst} (moving its writer index; {@code dst} has room for 65,535 bytes).
     *
     * @return the datagram's length, {@link #NONE} when none is waiting, {@link #PORT_UNREACHABLE},
     *         {@link #HOST_UNREACHABLE} or {@link #NET_UNREACHABLE} when the host reported that error for the
     *         destination
     * @throws IOException for any other failure (counted)
     */
    int receive(ByteBuf dst) throws IOException;

    /** Closes the socket. Idempotent, never throws. */
    void close();
}
