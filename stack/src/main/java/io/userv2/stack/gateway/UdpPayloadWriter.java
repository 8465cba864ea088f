package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;

/**
 * Writes a UDP payload straight into the frame being built, so that no intermediate buffer is needed (used with
 * {@link UdpSender#sendUdp(io.userv2.stack.wire.MacAddress, io.userv2.stack.wire.Ipv4Address, int,
 * io.userv2.stack.wire.Ipv4Address, int, int, UdpPayloadWriter)}). {@code DhcpRepr::emit} fits this shape.
 */
@FunctionalInterface
public interface UdpPayloadWriter {
    /**
     * Writes exactly the announced number of payload bytes at absolute index {@code offset} of {@code frame}, without
     * moving its indices, retaining or releasing it (the frame belongs to the sender until it is handed to the sink).
     * Any return value is ignored (so that {@code emit(buf, offset)} methods returning a length fit).
     */
    void write(ByteBuf frame, int offset);
}
