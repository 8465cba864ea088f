package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * How the bytes of one {@link Link} carry Ethernet frames: the one thing in which the transports differ. A
 * {@link LinkPort} keeps frames in both directions as {@code [4-byte big-endian length][frame]} records (the QEMU
 * stream format, {@link FrameStaging}); the framing moves those records between its buffers and the link.
 *
 * <ul>
 *   <li>{@link #LENGTH_PREFIXED}: the link's byte stream already is that record format (QEMU stream sockets,
 *       socket_vmnet, stdio), so bytes are read and written as they are, many frames per system call.
 *   <li>{@link #ONE_PER_PACKET}: one datagram or sequenced packet is one bare frame (vfkit, bess, fd passing): each
 *       packet received is written into the read buffer as one record, each staged record is sent as one packet.
 * </ul>
 *
 * <p>Stateless; the port owns both buffers throughout. (gvisor-tap-vsock's {@code pkg/tap/protocols.go} has the
 * same split between a stream protocol with a length header and datagram protocols without one.)
 */
public interface Framing {
    /** Length-prefixed frames on a byte stream. */
    Framing LENGTH_PREFIXED = new LengthPrefixedFraming();
    /** One bare frame per datagram or packet. */
    Framing ONE_PER_PACKET = new PacketFraming();

    /** What one {@link #receive} left behind. */
    enum Fill {
        /** The link had nothing more for now: wait for it to become readable again. */
        DRAINED,
        /** The read buffer (or the per-call bound) is full and the link may hold more. */
        FULL,
        /** The peer closed its end: nothing more will come. */
        ENDED
    }

    /**
     * Appends what {@code source} holds now to {@code in} as length-prefixed records (a byte stream may end
     * mid-record; the port keeps the partial record for the next call).
     *
     * @param in the port's read buffer; it has room for at least one whole record after whatever partial record
     *     it still holds
     * @param port the port reading; counts packets the framing drops (too long for its maximum frame)
     */
    Fill receive(ReadableByteChannel source, ByteBuf in, LinkPort port) throws IOException;

    /**
     * Writes the records between {@code out}'s reader and writer index to {@code sink}, advancing the reader index
     * past what went out.
     *
     * @return true when everything went out; false when the link would block (the rest stays queued)
     */
    default boolean send(ByteBuf out, WritableByteChannel sink) throws IOException {
        int to = out.writerIndex();
        int reached = sendRun(out, out.readerIndex(), to, sink);
        out.readerIndex(reached);
        return reached == to;
    }

    /**
     * Writes the whole records at {@code buf[from, to)} to {@code sink} as they lie, until the link would block; the
     * buffer may be another port's read buffer (frames passed on without a copy), so neither its indices nor its
     * contents change.
     *
     * @return how far the bytes went out: {@code to} when all of them did; a byte stream may stop inside a record,
     *     packets only between records
     */
    int sendRun(ByteBuf buf, int from, int to, WritableByteChannel sink) throws IOException;
}
