package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.switchd.EventLoop;
import io.userv2.switchd.IoHandler;
import io.userv2.switchd.LearningSwitch;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A VM attached over a stream socket (unix or TCP) speaking the QEMU stream protocol: every Ethernet frame preceded
 * by its 4-byte big-endian length.
 *
 * <p>Ingress: one read brings as many bytes as the socket holds (up to 256 KiB) into the port's own reused buffer;
 * the {@link FrameDecoder} cuts them into frames in place and each is switched straight away; only a partial frame
 * left at the end is moved to the front for the next read. The port's {@link IngressBudget} bounds the frames
 * switched per loop iteration: when it is spent the rest waits in the buffer for the next iteration, and nothing more
 * is read until then, so a flooding VM fills its own socket and every other port gets its turn. Egress: frames for this VM
 * are copied, with their length prefix, into one staging buffer that is written with a single system call at the
 * end of the loop iteration (many frames per write). The staging buffer is bounded: when a VM does not read, frames
 * for it are dropped and counted and nobody else waits.
 *
 * <p>Why copy on egress instead of queueing zero-copy slices: a gathering write needs one {@code ByteBuffer} object
 * per frame (an allocation per frame), and queued slices would pin whole ingress buffers of other ports while a slow
 * reader drains. One copy at memory speed is cheaper than both on this path.
 */
public final class StreamPort extends Port implements IoHandler, EventLoop.Flushable {
    private static final System.Logger LOG = System.getLogger(StreamPort.class.getName());
    /** Ingress read buffer size; one read takes up to this many bytes (many frames). */
    static final int READ_BUFFER = 256 * 1024;
    /** Reads per readiness event before giving other ports their turn. */
    private static final int READS_PER_EVENT = 4;

    private final SocketChannel channel;
    private final EventLoop loop;
    private final LearningSwitch sw;
    private final FrameDecoder decoder;
    private final ByteBufAllocator alloc;
    private final int egressLimit;
    private final FrameDecoder.FrameConsumer onFrame = this::onFrame;
    private final Runnable onClosed;
    private final Runnable resume = this::resume;
    private SelectionKey key;
    private ByteBuf ingress;
    private ByteBuf egress;
    private boolean dirty;
    private boolean writeInterest;
    private boolean resumeScheduled;
    private long now;

    /**
     * A port for an accepted, non-blocking {@code channel}; call {@link #register} next.
     *
     * @param egressLimit the most bytes (frames plus prefixes) queued towards this VM before frames are dropped
     * @param onClosed run on the loop thread once the port has closed
     */
    public StreamPort(String name, SocketChannel channel, EventLoop loop, LearningSwitch sw, FrameDecoder decoder,
            ByteBufAllocator alloc, int egressLimit, Runnable onClosed) {
        super(name);
        this.channel = channel;
        this.loop = loop;
        this.sw = sw;
        this.decoder = decoder;
        this.alloc = alloc;
        this.egressLimit = Math.max(egressLimit, 2 * (decoder.maxFrame() + FrameDecoder.PREFIX));
        this.onClosed = onClosed;
    }

    /** Registers with the loop for reading and attaches to the switch. */
    public void register() throws IOException {
        key = loop.register(channel, SelectionKey.OP_READ, this);
        sw.attach(this);
    }

    @Override
    public void ready(SelectionKey k) {
        if (k.isValid() && k.isWritable() && !dirty) {
            dirty = true; // written with the others at the end of this iteration, then producers hear of it
            loop.markDirty(this);
        }
        if (k.isValid() && k.isReadable()) {
            pump();
        }
    }

    /**
     * Switches what the read buffer still holds, then reads and switches up to {@link #READS_PER_EVENT} times, all
     * within this iteration's {@link IngressBudget}: when the budget refuses a frame, the rest stays in the buffer
     * (and in the socket, where it backs up onto the sender) and the port goes on in the next iteration.
     */
    private void pump() {
        if (isClosed()) {
            return;
        }
        IngressBudget budget = budget();
        budget.begin(loop.iteration());
        if (budget.paused()) {
            // Already spent in this iteration (readiness and the deferred resume can both land in one iteration):
            // the frames left in the buffer need a resume of their own, as no readiness event will announce them.
            scheduleResume();
            return;
        }
        if (!switchBuffered()) {
            return;
        }
        for (int i = 0; i < READS_PER_EVENT; i++) {
            ByteBuf in = ingress;
            if (in == null) {
                // Room for one full read behind the largest partial frame that can be left over.
                int capacity = READ_BUFFER + decoder.maxFrame() + FrameDecoder.PREFIX;
                in = ingress = alloc.directBuffer(capacity, capacity);
            }
            int room = in.writableBytes();
            int n;
            try {
                n = in.writeBytes(channel, room);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, name() + ": read failed: " + e.getMessage());
                close();
                return;
            }
            if (n < 0) {
                close();
                return;
            }
            if (n == 0 || !switchBuffered() || n < room) {
                return;
            }
        }
    }

    /**
     * Switches every complete frame in the read buffer. Returns false when the port closed, or when its budget ran
     * out first (the frames left wait in the buffer, and the port resumes in the next iteration).
     */
    private boolean switchBuffered() {
        ByteBuf in = ingress;
        if (in == null || !in.isReadable()) {
            return true;
        }
        now = System.nanoTime();
        FrameDecoder.Outcome outcome = decoder.decode(in, onFrame);
        if (outcome == FrameDecoder.Outcome.BAD_LENGTH) {
            counters().countFramingError();
            LOG.log(System.Logger.Level.WARNING, name() + ": bad length prefix " + in.getUnsignedInt(in.readerIndex())
                    + " (frames must be 1.." + decoder.maxFrame() + " bytes); closing this connection");
            close();
            return false;
        }
        if (isClosed()) {
            return false;
        }
        if (outcome == FrameDecoder.Outcome.PAUSED) {
            counters().countBudgetPause();
            scheduleResume();
            return false;
        }
        if (in.isReadable()) {
            in.discardReadBytes(); // moves at most one partial frame to the front
        } else {
            in.clear();
        }
        return true;
    }

    private void scheduleResume() {
        if (!resumeScheduled) {
            resumeScheduled = true;
            loop.nextIteration(resume);
        }
    }

    private void resume() {
        resumeScheduled = false;
        pump();
    }

    private boolean onFrame(ByteBuf buf, int index, int length) {
        return sw.forward(buf, index, length, this, now);
    }

    @Override
    public void deliver(ByteBuf buf, int index, int length, Port ingress) {
        if (isClosed()) {
            return;
        }
        ByteBuf out = egress;
        if (out == null) {
            out = egress = alloc.directBuffer(64 * 1024, egressLimit);
        }
        if (!FrameStaging.append(out, buf, index, length)) {
            counters().countQueueFull();
            return;
        }
        counters().countOut(length);
        if (!dirty) {
            dirty = true;
            loop.markDirty(this);
        }
    }

    @Override
    public int queuedBytes() {
        return egress == null ? 0 : egress.readableBytes();
    }

    @Override
    public void flush() {
        dirty = false;
        ByteBuf out = egress;
        if (out == null || isClosed()) {
            return;
        }
        try {
            if (out.isReadable()) {
                out.readBytes(channel, out.readableBytes());
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, name() + ": write failed: " + e.getMessage());
            close();
            return;
        }
        boolean drained = !out.isReadable();
        if (drained) {
            out.clear();
        }
        if (drained == writeInterest) {
            writeInterest = !drained;
            key.interestOps(drained ? SelectionKey.OP_READ : SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
    }

    @Override
    public void releaseIdleBuffers() {
        if (ingress != null && !ingress.isReadable()) {
            ingress.release();
            ingress = null;
        }
        if (egress != null && !egress.isReadable() && !writeInterest) {
            egress.release();
            egress = null;
        }
    }

    @Override
    protected void onClose() {
        sw.detach(this);
        loop.unregister(this);
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (ingress != null) {
            ingress.release();
            ingress = null;
        }
        if (egress != null) {
            egress.release();
            egress = null;
        }
        PortCounters c = counters();
        LOG.log(System.Logger.Level.INFO, name() + " disconnected (in " + c.framesIn() + " frames/" + c.bytesIn()
                + " B, out " + c.framesOut() + " frames/" + c.bytesOut() + " B, dropped " + c.dropsQueueFull() + ")");
        onClosed.run();
    }

    @Override
    public void shutdown() {
        if (egress != null && !isClosed()) {
            flush();
        }
        close();
    }
}
