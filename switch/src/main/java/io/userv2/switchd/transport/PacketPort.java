package io.userv2.switchd.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.switchd.EventLoop;
import io.userv2.switchd.LearningSwitch;
import io.userv2.switchd.port.FrameDecoder;
import io.userv2.switchd.port.FrameStaging;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortCounters;
import io.userv2.switchd.port.PortDropReason;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A switch port whose peer speaks in packets: one datagram (SOCK_DGRAM) or one sequenced packet (SOCK_SEQPACKET) is
 * exactly one Ethernet frame, with no header.
 *
 * <p>Ingress: the transport receives each packet into a reused buffer of {@code maxFrame + 1} bytes and hands it to
 * {@link #ingress}; a packet that filled the buffer was longer than the maximum (the kernel cut it) and is dropped and
 * counted as a framing error, without closing anything, since packet boundaries stay intact; a packet shorter than an
 * Ethernet header is dropped and counted as a runt by the switch.
 *
 * <p>Egress: as for stream ports, frames for the peer are copied into one bounded staging buffer of
 * {@code [4-byte length][frame]} records, and sent at the end of the loop iteration, one packet per record, until the
 * socket would block; what is left waits for {@link #resume()}. A full staging buffer drops and counts.
 *
 * <p>Loop thread only.
 */
abstract class PacketPort extends Port implements EventLoop.Flushable {
    private static final System.Logger LOG = System.getLogger(PacketPort.class.getName());
    private static final int PREFIX = FrameDecoder.PREFIX;

    private final EventLoop loop;
    private final LearningSwitch sw;
    private final ByteBufAllocator alloc;
    private final int maxFrame;
    private final int egressLimit;
    private final Runnable onClosed;
    private ByteBuf egress;
    private boolean dirty;
    private boolean attached;
    private long oversize;

    PacketPort(String name, EventLoop loop, LearningSwitch sw, ByteBufAllocator alloc, int maxFrame, int egressLimit,
            Runnable onClosed) {
        super(name);
        this.loop = loop;
        this.sw = sw;
        this.alloc = alloc;
        this.maxFrame = maxFrame;
        this.egressLimit = Math.max(egressLimit, 2 * (maxFrame + PREFIX));
        this.onClosed = onClosed;
    }

    /** Attaches the port to the switch. */
    final void attach() {
        sw.attach(this);
        attached = true;
    }

    /** The largest frame taken or sent. */
    final int maxFrame() {
        return maxFrame;
    }

    /** Packets dropped because they were longer than the maximum frame (also counted as framing errors). */
    final long dropsOversize() {
        return oversize;
    }

    /**
     * One packet received from the peer: {@code length} bytes at {@code buf[index]} (read into a buffer of
     * {@code maxFrame + 1} bytes, so a longer packet shows as {@code maxFrame + 1}). The caller keeps the buffer.
     *
     * @return false when the port's budget for this loop iteration does not cover the packet (see
     *     {@link LearningSwitch#forward}): the caller keeps it and offers it again in a later iteration, or, on a
     *     socket shared with other VMs, drops it with {@link #dropOverBudget}
     */
    final boolean ingress(ByteBuf buf, int index, int length, long now) {
        budget().begin(loop.iteration());
        if (length > maxFrame) {
            oversize++;
            counters().countFramingError();
            if (oversize == 1 || Long.bitCount(oversize) == 1) {
                LOG.log(System.Logger.Level.WARNING, name() + ": dropped a packet longer than the maximum frame of "
                        + maxFrame + " bytes (" + oversize + " so far)");
            }
            return true;
        }
        return sw.forward(buf, index, length, this, now);
    }

    /** True when the port's budget for the current loop iteration is spent: read no more until the next one. */
    final boolean budgetSpent() {
        budget().begin(loop.iteration());
        return budget().paused();
    }

    /** Counts (and now and then logs) a packet {@link #ingress} refused, dropped because others share its socket. */
    final void dropOverBudget(long now) {
        PortCounters c = counters();
        long n = c.countDrop(PortDropReason.OVER_BUDGET);
        if (c.dropReportDue(now, LearningSwitch.DROP_LOG_NANOS)) {
            LOG.log(System.Logger.Level.WARNING, name() + ": dropped a frame beyond its budget per loop iteration on"
                    + " a shared socket (" + n + " so far)");
        }
    }

    @Override
    public final void deliver(ByteBuf buf, int index, int length, Port ingress) {
        if (isClosed()) {
            return;
        }
        if (length > maxFrame) {
            counters().countQueueFull(); // the peer could not take it
            return;
        }
        ByteBuf out = egress;
        if (out == null) {
            out = egress = alloc.directBuffer(Math.min(64 * 1024, egressLimit), egressLimit);
        }
        if (!FrameStaging.append(out, buf, index, length)) {
            counters().countQueueFull();
            return;
        }
        counters().countOut(length);
        markDirty();
    }

    private void markDirty() {
        if (!dirty) {
            dirty = true;
            loop.markDirty(this);
        }
    }

    @Override
    public final int queuedBytes() {
        return egress == null ? 0 : egress.readableBytes();
    }

    @Override
    public final void flush() {
        dirty = false;
        ByteBuf out = egress;
        if (out == null || isClosed()) {
            return;
        }
        int r = out.readerIndex();
        int w = out.writerIndex();
        try {
            while (r < w) {
                int len = out.getInt(r);
                ByteBuffer frame = out.internalNioBuffer(r + PREFIX, len);
                if (send(frame) == 0) {
                    out.readerIndex(r);
                    sendBlocked();
                    return;
                }
                r += PREFIX + len;
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, name() + ": send failed (" + e.getMessage() + "); peer gone");
            close();
            return;
        }
        out.clear();
        drained();
    }

    /** Everything queued has been sent. */
    protected void drained() {
    }

    /** Asks for another {@link #flush()} of what is queued (the socket became writable again). */
    final void resume() {
        if (!isClosed() && egress != null && egress.isReadable()) {
            markDirty();
        }
    }

    /**
     * Sends one frame as one packet.
     *
     * @return the bytes sent, or 0 if the socket would block (the frame stays queued)
     * @throws IOException if the peer is gone; the port closes
     */
    protected abstract int send(ByteBuffer frame) throws IOException;

    /** A send would block; arrange for {@link #resume()} once it may succeed. */
    protected abstract void sendBlocked();

    /** Releases the port's own socket, if any. */
    protected abstract void closeSocket();

    @Override
    protected final void onClose() {
        if (attached) {
            sw.detach(this);
        }
        closeSocket();
        if (egress != null) {
            egress.release();
            egress = null;
        }
        PortCounters c = counters();
        LOG.log(System.Logger.Level.INFO, name() + " disconnected (in " + c.framesIn() + " frames/" + c.bytesIn()
                + " B, out " + c.framesOut() + " frames/" + c.bytesOut() + " B, dropped " + c.dropsQueueFull()
                + ", oversize " + oversize + ", runts " + c.dropsRunt() + ")");
        onClosed.run();
    }
}
