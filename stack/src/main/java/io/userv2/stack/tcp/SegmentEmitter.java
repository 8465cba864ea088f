package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.TcpHeader;

/**
 * Where a {@link TcpConnection} puts the segments it wants sent; the owner turns them into IPv4 or IPv6 packets and
 * frames (addresses come from {@code key}: from its local side to its remote side, see {@link TcpConnectionKey}).
 *
 * <p>Ownership, exactly: {@code payload} is passed to the emitter, which must release it exactly once, when it has
 * copied or written the bytes, or when it drops the segment (also when it throws). Its readable bytes are exactly
 * {@code segment.payloadLength()} data octets. It is usually a retained slice of the connection's send buffer (or a
 * composite of two), so writing it is the only copy; it may be {@code Unpooled.EMPTY_BUFFER} for segments without
 * data (releasing that is a harmless no-op). The bytes stay valid until released: the connection never rewrites memory
 * a slice covers.
 *
 * <p>{@code segment} is the connection's own header or the one the emitter lends ({@link #header()}), filled again
 * for the next segment (no object per segment): the emitter reads it (or writes it out) during the call and must not
 * keep it; to keep one, copy it ({@link TcpHeader#toRepr()}). The emitter must not call back into the connection.
 */
@FunctionalInterface
public interface SegmentEmitter {
    /**
     * Sends (or queues) one segment of connection {@code key}; takes ownership of {@code payload}.
     *
     * @param key     the connection's four-tuple (source = local side, destination = remote side)
     * @param segment the header to write, valid during this call only; {@code segment.srcPort()} is the local port
     * @param payload the data, readable bytes = {@code segment.payloadLength()}; the emitter releases it
     */
    void emit(TcpConnectionKey key, TcpHeader segment, ByteBuf payload);

    /**
     * A header the connection may fill for the segment it emits next, lent by the emitter so that thousands of
     * connections need not keep one each; null (the default) when the emitter lends none, and the connection makes its
     * own. The connection fills it only to pass it to {@link #emit} at once, and keeps nothing in it between calls, so
     * one header can serve every connection of an engine that runs on one thread.
     */
    default TcpHeader header() {
        return null;
    }
}
