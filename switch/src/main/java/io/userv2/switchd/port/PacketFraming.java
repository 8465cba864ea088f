package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * {@link Framing#ONE_PER_PACKET}: one datagram or sequenced packet is one bare Ethernet frame.
 *
 * <p>Ingress: each packet is received straight into the read buffer behind a 4-byte gap that then gets its length,
 * so the port cuts packets exactly as it cuts a stream (zero-copy slices, the same budget); up to
 * {@link #PACKETS_PER_RECEIVE} packets per call. Each receive gets {@code maxFrame + 1} bytes of room: a packet that
 * fills them was longer than the maximum (the kernel cut it) and is dropped and counted by the port
 * ({@link LinkPort#dropOversize}), without closing anything, since packet boundaries stay intact. A zero-length
 * packet reads like "nothing there" and ends the call.
 *
 * <p>Egress: each staged record goes out as one packet, until the link would block.
 */
final class PacketFraming implements Framing {
    /** Packets received per call at most (one system call each), before the port switches them. */
    static final int PACKETS_PER_RECEIVE = 64;
    private static final int PREFIX = FrameDecoder.PREFIX;

    @Override
    public Fill receive(ReadableByteChannel source, ByteBuf in, LinkPort port) throws IOException {
        int room = PREFIX + port.maxFrame() + 1;
        int w = in.writerIndex();
        for (int i = 0; i < PACKETS_PER_RECEIVE && in.capacity() - w >= room; i++) {
            int n = source.read(in.internalNioBuffer(w + PREFIX, room - PREFIX));
            if (n <= 0) {
                in.writerIndex(w);
                // The end shows once the records before it are switched: the port calls again and gets it first.
                return n == 0 ? Fill.DRAINED : w > in.readerIndex() ? Fill.FULL : Fill.ENDED;
            }
            if (n > port.maxFrame()) {
                port.dropOversize();
                continue;
            }
            in.setInt(w, n);
            w += PREFIX + n;
        }
        in.writerIndex(w);
        return Fill.FULL;
    }

    @Override
    public int sendRun(ByteBuf buf, int from, int to, WritableByteChannel sink) throws IOException {
        int r = from;
        while (r < to) {
            int len = buf.getInt(r);
            if (sink.write(buf.internalNioBuffer(r + PREFIX, len)) == 0) {
                break;
            }
            r += PREFIX + len;
        }
        return r;
    }
}
