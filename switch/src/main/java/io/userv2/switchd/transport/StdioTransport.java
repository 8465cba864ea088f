package io.userv2.switchd.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.switchd.EventLoop;
import io.userv2.switchd.LearningSwitch;
import io.userv2.switchd.port.FrameDecoder;
import io.userv2.switchd.port.FrameStaging;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortCounters;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code --listen-stdio}: one VM whose frames come on stdin and go out on stdout in the QEMU stream framing (each
 * frame preceded by its 4-byte big-endian length), for tunnelling the switch over ssh.
 *
 * <p>Threads, honestly: stdin and stdout cannot be selected on in Java, so this port has two threads of its own.
 * The reader ({@code userv2-stdin}) reads up to {@link #CHUNK} bytes at a time, cuts off what follows the last
 * complete frame (kept for the next read) and hands the chunk of whole frames to the loop through a bounded queue of
 * {@link #QUEUED_CHUNKS} (when the loop falls behind, the reader blocks, and so does the sender on the other side of
 * the pipe); the loop switches each frame. Egress is the usual bounded staging buffer filled by the loop; at flush
 * time a non-empty staging buffer is handed whole to the writer ({@code userv2-stdout}), which writes it with one
 * blocking write while the loop fills the other of two buffers. So frames of this port change thread once each way;
 * the switch itself stays single-threaded.
 *
 * <p>A bad length prefix (0 or above the maximum frame) is a framing error that ends the port, as on a stream socket;
 * so do end of input and a failed write. {@code onEnd} runs on the loop thread then, so that the caller can stop the
 * daemon (an ssh tunnel that ended has nobody left to serve).
 */
public final class StdioTransport {
    private static final System.Logger LOG = System.getLogger(StdioTransport.class.getName());
    /** Bytes read from stdin per read call at most. */
    static final int CHUNK = 256 * 1024;
    /** Chunks waiting for the loop at most. */
    static final int QUEUED_CHUNKS = 8;

    private final StdioPort port;
    private final Thread reader;
    private final Thread writer;

    private StdioTransport(StdioPort port) {
        this.port = port;
        this.reader = new Thread(port::readLoop, "userv2-stdin");
        this.writer = new Thread(port::writeLoop, "userv2-stdout");
        reader.setDaemon(true);
        writer.setDaemon(true);
    }

    /**
     * Serves one VM on the process's stdin and stdout. Also points {@link System#out} at stderr, so that nothing
     * printed by mistake can corrupt the frame stream. Call before the loop runs or on the loop thread; shuts down
     * with the loop.
     *
     * @param onEnd runs on the loop thread once the port has ended (end of input, framing error, write error)
     */
    public static StdioTransport open(EventLoop loop, LearningSwitch sw, int maxFrame, ByteBufAllocator alloc,
            int egressLimit, Runnable onEnd) {
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        return open(new FileInputStream(FileDescriptor.in), stdout, loop, sw, maxFrame, alloc, egressLimit, onEnd);
    }

    /** As {@link #open(EventLoop, LearningSwitch, int, ByteBufAllocator, int, Runnable)}, on the given streams. */
    public static StdioTransport open(InputStream in, OutputStream out, EventLoop loop, LearningSwitch sw,
            int maxFrame, ByteBufAllocator alloc, int egressLimit, Runnable onEnd) {
        StdioPort port = new StdioPort(in, out, loop, sw, maxFrame, alloc, egressLimit, onEnd);
        StdioTransport t = new StdioTransport(port);
        sw.attach(port);
        loop.onShutdown(t::shutdown);
        t.reader.start();
        t.writer.start();
        LOG.log(System.Logger.Level.INFO, "serving one VM on stdin/stdout");
        return t;
    }

    /** The switch port of the VM on stdio. */
    public Port port() {
        return port;
    }

    /** Flushes what is queued (briefly, best effort) and closes the port; loop thread (idempotent). */
    public void shutdown() {
        if (!port.isClosed()) {
            port.flush();
            port.close();
        }
    }

    private static final class StdioPort extends Port implements EventLoop.Flushable {
        private final InputStream in;
        private final OutputStream out;
        private final EventLoop loop;
        private final LearningSwitch sw;
        private final FrameDecoder decoder;
        private final ByteBufAllocator alloc;
        private final int egressLimit;
        private final Runnable onEnd;
        private final BlockingQueue<ByteBuf> chunks = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
        private final AtomicBoolean drainScheduled = new AtomicBoolean();
        private final Runnable drain = this::drain;
        private final Runnable resume = this::resume;
        private final FrameDecoder.FrameConsumer onFrame = this::onFrame;
        private final BlockingQueue<ByteBuf> toWriter = new ArrayBlockingQueue<>(2); // one buffer + the stop marker
        private volatile boolean stopping;
        // Loop thread only:
        private ByteBuf staging;
        private ByteBuf spare;
        private boolean writerBusy;
        /** A chunk part-way switched when the budget ran out, or null. */
        private ByteBuf current;
        private boolean resumeScheduled;
        private boolean dirty;
        private long now;

        StdioPort(InputStream in, OutputStream out, EventLoop loop, LearningSwitch sw, int maxFrame,
                ByteBufAllocator alloc, int egressLimit, Runnable onEnd) {
            super("stdio");
            this.in = in;
            this.out = out;
            this.loop = loop;
            this.sw = sw;
            this.decoder = new FrameDecoder(maxFrame);
            this.alloc = alloc;
            this.egressLimit = Math.max(egressLimit, 2 * (maxFrame + FrameDecoder.PREFIX));
            this.onEnd = onEnd;
        }

        // ---- reader thread ----

        void readLoop() {
            int capacity = CHUNK + decoder.maxFrame() + FrameDecoder.PREFIX;
            ByteBuf chunk = alloc.heapBuffer(capacity, capacity);
            String end = "end of input";
            boolean framing = false;
            try {
                while (!stopping) {
                    int n = in.read(chunk.array(), chunk.arrayOffset() + chunk.writerIndex(),
                            Math.min(CHUNK, chunk.writableBytes()));
                    if (n < 0) {
                        break;
                    }
                    chunk.writerIndex(chunk.writerIndex() + n);
                    int start = chunk.readerIndex();
                    FrameDecoder.Outcome outcome = decoder.decode(chunk, (b, i, l) -> true);
                    int complete = chunk.readerIndex() - start;
                    if (complete > 0) {
                        ByteBuf next = alloc.heapBuffer(capacity, capacity);
                        next.writeBytes(chunk, chunk.readerIndex(), chunk.readableBytes());
                        chunk.writerIndex(chunk.readerIndex()).readerIndex(start);
                        hand(chunk);
                        chunk = next;
                    }
                    if (outcome == FrameDecoder.Outcome.BAD_LENGTH) {
                        framing = true;
                        end = "bad length prefix " + chunk.getUnsignedInt(chunk.readerIndex()) + " (frames must be 1.."
                                + decoder.maxFrame() + " bytes); closing";
                        break;
                    }
                }
            } catch (IOException e) {
                end = "read failed: " + e.getMessage();
            } catch (InterruptedException e) {
                end = "interrupted";
            } finally {
                chunk.release();
            }
            String why = end;
            boolean framingError = framing;
            loop.execute(() -> {
                if (framingError) {
                    drain();
                    counters().countFramingError();
                }
                ended(why);
            });
        }

        private void hand(ByteBuf chunk) throws InterruptedException {
            chunks.put(chunk);
            if (drainScheduled.compareAndSet(false, true)) {
                loop.execute(drain);
            }
        }

        // ---- loop thread ----

        private void drain() {
            drainScheduled.set(false);
            if (resumeScheduled) {
                return; // a chunk is part-way through; the loop goes on with it in the next iteration
            }
            switchChunks();
        }

        private void resume() {
            resumeScheduled = false;
            switchChunks();
        }

        /**
         * Switches the chunks the reader handed over, within this iteration's budget: when it runs out the chunk
         * stays current (and the reader, whose queue is bounded, waits) until the next iteration.
         */
        private void switchChunks() {
            budget().begin(loop.iteration());
            ByteBuf c = current;
            while (c != null || (c = chunks.poll()) != null) {
                current = c;
                if (!isClosed()) {
                    now = System.nanoTime();
                    if (decoder.decode(c, onFrame) == FrameDecoder.Outcome.PAUSED) {
                        counters().countBudgetPause();
                        resumeScheduled = true;
                        loop.nextIteration(resume);
                        return;
                    }
                }
                current = null;
                c.release();
                c = null;
            }
        }

        private boolean onFrame(ByteBuf buf, int index, int length) {
            return sw.forward(buf, index, length, this, now);
        }

        private void ended(String why) {
            drain(); // whatever whole frames came before the end
            if (resumeScheduled && !isClosed()) {
                loop.nextIteration(() -> ended(why)); // the rest of them first, a budget's worth per iteration
                return;
            }
            if (!isClosed()) {
                LOG.log(System.Logger.Level.INFO, "stdio: " + why);
                flush();
                close();
            }
        }

        @Override
        public void deliver(ByteBuf buf, int index, int length, Port ingress) {
            if (isClosed()) {
                return;
            }
            ByteBuf s = staging;
            if (s == null) {
                s = staging = alloc.heapBuffer(64 * 1024, egressLimit);
            }
            if (!FrameStaging.append(s, buf, index, length)) {
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
            return staging == null ? 0 : staging.readableBytes();
        }

        @Override
        public void flush() {
            dirty = false;
            if (writerBusy || isClosed() || staging == null || !staging.isReadable()) {
                return;
            }
            ByteBuf full = staging;
            staging = spare;
            spare = null;
            writerBusy = true;
            toWriter.add(full); // never full: at most one buffer is with the writer
        }

        private void written(ByteBuf buf) {
            writerBusy = false;
            if (isClosed()) {
                buf.release();
                return;
            }
            buf.clear();
            spare = buf;
            if (staging != null && staging.isReadable() && !dirty) {
                dirty = true;
                loop.markDirty(this);
            }
        }

        // ---- writer thread ----

        void writeLoop() {
            try {
                while (true) {
                    ByteBuf b = toWriter.take();
                    if (b == Unpooled.EMPTY_BUFFER) {
                        break; // the stop marker
                    }
                    try {
                        out.write(b.array(), b.arrayOffset() + b.readerIndex(), b.readableBytes());
                        out.flush();
                    } catch (IOException e) {
                        b.release();
                        String why = "write failed: " + e.getMessage();
                        loop.execute(() -> ended(why));
                        return;
                    }
                    loop.execute(() -> written(b));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        protected void onClose() {
            stopping = true;
            sw.detach(this);
            if (staging != null) {
                staging.release();
                staging = null;
            }
            if (spare != null) {
                spare.release();
                spare = null;
            }
            ByteBuf c;
            if (current != null) {
                current.release();
                current = null;
            }
            while ((c = chunks.poll()) != null) {
                c.release();
            }
            toWriter.offer(Unpooled.EMPTY_BUFFER); // the writer stops once it has written what it holds
            try {
                in.close(); // unblocks the reader where the stream allows it (a pipe does; the real stdin may not)
            } catch (IOException ignored) {
                // closing anyway
            }
            PortCounters k = counters();
            LOG.log(System.Logger.Level.INFO, "stdio port closed (in " + k.framesIn() + " frames/" + k.bytesIn()
                    + " B, out " + k.framesOut() + " frames/" + k.bytesOut() + " B, dropped " + k.dropsQueueFull()
                    + ", framing errors " + k.framingErrors() + ")");
            onEnd.run();
        }
    }
}
