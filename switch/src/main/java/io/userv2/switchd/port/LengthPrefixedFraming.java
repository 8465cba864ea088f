package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * {@link Framing#LENGTH_PREFIXED}: the link's bytes are the records themselves. One read takes as many bytes as the
 * buffer has room for (many frames, perhaps ending mid-frame); one write sends every staged record (many frames per
 * system call). Goes through the buffers' cached NIO views, so neither direction allocates.
 */
final class LengthPrefixedFraming implements Framing {
    @Override
    public Fill receive(ReadableByteChannel source, ByteBuf in, LinkPort port) throws IOException {
        int w = in.writerIndex();
        int room = in.writableBytes();
        int n = source.read(in.internalNioBuffer(w, room));
        if (n < 0) {
            return Fill.ENDED;
        }
        in.writerIndex(w + n);
        return n < room ? Fill.DRAINED : Fill.FULL;
    }

    @Override
    public int sendRun(ByteBuf buf, int from, int to, WritableByteChannel sink) throws IOException {
        return from + sink.write(buf.internalNioBuffer(from, to - from));
    }
}
