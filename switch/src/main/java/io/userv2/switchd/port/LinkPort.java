package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.switching.LearningSwitch;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The switch port of every transport: a VM (or bess peer) at the other end of a {@link Link}, whose bytes carry
 * frames as its {@link Framing} says. Stream sockets, stdio, datagram, seqpacket and fd-passed sockets differ only
 * in those two.
 *
 * <p>Ingress: one receive brings as much as the link holds (up to 256 KiB) into the port's own reused read buffer
 * as length-prefixed records; the {@link FrameDecoder} cuts them in place and each frame is switched straight away,
 * as a zero-copy slice; only a partial frame left at the end is moved to the front for the next receive. The port's
 * {@link IngressBudget} bounds the frames switched per loop iteration: when it is spent the rest waits in the buffer
 * for the next iteration and nothing more is read until then, so a flooding VM fills its own socket and every other
 * port gets its turn. A port that goes on in the next iteration schedules that itself ({@link EventLoop#nextIteration});
 * one whose budget is already spent when that runs schedules another, since no readiness will announce the frames
 * it holds. A corrupt length prefix closes this port only, counted as a framing error. Each receive that brings bytes
 * is reported to the loop with how many frames it brought, the largest of them, whether the last ended a sender's
 * write and whether the port's previous receive ended one ({@link EventLoop#received}); the loop holds its next poll
 * for a moment while the port streams, so that the next receive carries a batch, and does not busy-poll while
 * receives come in batches ({@code ReceiveCoalescing}).
 *
 * <p>Egress, frames from another VM: the frames one receive of another port brings for this one lie in that port's
 * read buffer already as records of this port's format, most often back to back. While nothing is queued here, such a
 * run of records is only noted ({@link #deliver}) and written from where it lies by this port's {@link #flush()} at
 * the end of the iteration, as staged frames would be: one write (or one send per frame for packets), no copy in the
 * switch. That port leaves its read buffer as it is until then ({@link #switchBuffered}); should it need the buffer
 * earlier (a second receive in the same iteration), it copies the runs into their holders' staging buffers first, so
 * a sender that is ahead still gets one write of all its receives per iteration, or has them written at once
 * ({@link #writeRuns}) when the buffer goes. What the link does not take is copied into the staging buffer below, and
 * so is a run when a frame that does not continue it comes first, so frames keep their order.
 * Measured VM to VM (2026-12-06, the builds side by side): the loop's CPU time per Gbit/s 7-25% lower at MTU 65520
 * (its user time 0.03 s a second against 0.04-0.06), the same at MTU 1500; throughput unchanged within the spread
 * (paired runs: at MTU 65520 better in 11 of 24, on average 0.09 Gbit/s less; at MTU 1500 better in 5 of 9, 0.03
 * more). A first version wrote each run as soon as its receive was switched, in the middle of the iteration:
 * it did as well on CPU but moved 2-3% less at MTU 65520 (worse in 30 of 42 paired runs); not measured why, but
 * it woke the receiving VM's reader while the loop still had the other direction to read.
 *
 * <p>Egress, everything else (the gateway's frames, frames while some are queued): frames for the peer are copied,
 * with their length prefix, into one bounded staging buffer ({@link FrameStaging}), written at the end of the loop
 * iteration by one {@link EventLoop.Flushable#flush()}: one write for a stream, one send per frame for packets, until
 * the link would block; then the rest waits for {@link #writable()} (or the next flush). When the staging buffer is
 * full (a peer that does not read), frames for it are dropped and counted and nobody else waits. The gateway's TCP
 * segments are not copied there but built there, in place ({@link #reserve}): its headers and the data from the
 * connection's send buffer go straight into the record. Measured host to guest through the NAT at MTU 65520
 * (2026-12-06, two 10 s transfers per build): the loop's user time 0.19-0.21 CPU-s a second against 0.21-0.24, per
 * Gbit/s 0.022-0.025 against 0.023-0.031.
 *
 * <p>Why copy into staging instead of queueing zero-copy slices: a gathering write needs one {@code ByteBuffer} object
 * per frame (an allocation per frame), and queued slices would pin whole read buffers of other ports while a slow
 * reader drains. A run, by contrast, lives at most until the end of the iteration that received it.
 *
 * <p>Ownership: the port owns its read and staging buffers (from the allocator it was given) and its link; closing
 * releases all three, detaches the port from the switch (whose detach listeners release what the VM made others
 * hold: NAT flows, MAC entries) and then runs {@code onClosed}. Loop thread only.
 */
public final class LinkPort extends Port implements EventLoop.Flushable {
    private static final System.Logger LOG = System.getLogger(LinkPort.class.getName());
    /** Read buffer size; one receive takes up to this many bytes (many frames). */
    static final int READ_BUFFER = 256 * 1024;
    /** Receives per readiness before giving other ports their turn. */
    private static final int RECEIVES_PER_EVENT = 4;

    private final Link link;
    private final Framing framing;
    private final EventLoop loop;
    private final LearningSwitch sw;
    private final FrameDecoder decoder;
    private final ByteBufAllocator alloc;
    private final int egressLimit;
    private final Consumer<? super LinkPort> onClosed;
    private final FrameDecoder.FrameConsumer onFrame = this::onFrame;
    private final Runnable resume = this::resume;
    private ByteBuf ingress;
    private ByteBuf egress;
    private boolean attached;
    private boolean dirty;
    private boolean writeBlocked;
    private boolean resumeScheduled;
    private long oversize;
    /** When a receive last brought bytes (System.nanoTime), for the loop's receive coalescing. */
    private long lastReceive = Long.MIN_VALUE / 2;
    /** Whether that receive's last frame ended a sender's write, for the same. */
    private boolean lastReceiveEndedWrite;
    /** The largest frame switched since the last receive, for the loop's receive coalescing. */
    private int largestFrame;
    /** The frames switched since the last receive, for the same. */
    private int frames;
    /** Whether the last frame switched ended a sender's write ({@link WriteBoundary}), for the same. */
    private boolean lastEndsWrite;
    /** Where the last frame switched lies in the read buffer (length 0: none since it was looked at). */
    private int lastFrameIndex;
    private int lastFrameLength;
    /** Receives that brought bytes, ever: whether a {@link #pollReadable} found any. */
    private long receives;
    /**
     * A run of records for this port lying in another port's read buffer ({@link #deliver}), not owned: null when
     * there is none; {@code [runFrom, runTo)} are whole records.
     */
    private ByteBuf run;
    private int runFrom;
    private int runTo;
    /** The ports holding a run in this port's read buffer, written before it changes ({@link #writeRuns}). */
    private LinkPort[] runHolders = new LinkPort[2];
    private int runHolderCount;
    /** The length of the frame being built in place in the staging buffer ({@link #reserve}), or -1. */
    private int reservedLength = -1;

    /**
     * A port on {@code link}; call {@link #start} next.
     *
     * @param maxFrame the largest Ethernet frame taken or sent
     * @param alloc where the read and staging buffers come from
     * @param egressLimit the most bytes (frames plus prefixes) queued towards the peer before frames are dropped
     * @param onClosed runs on the loop thread once the port has closed (its transport forgets it there)
     */
    public LinkPort(String name, Link link, Framing framing, EventLoop loop, LearningSwitch sw, int maxFrame,
            ByteBufAllocator alloc, int egressLimit, Consumer<? super LinkPort> onClosed) {
        super(name);
        this.link = link;
        this.framing = framing;
        this.loop = loop;
        this.sw = sw;
        this.decoder = new FrameDecoder(maxFrame);
        this.alloc = alloc;
        this.egressLimit = Math.max(egressLimit, 2 * (maxFrame + FrameDecoder.PREFIX));
        this.onClosed = onClosed;
    }

    /** Attaches to the switch and starts watching the link; on failure the port is closed and the error thrown. */
    public void start() throws IOException {
        sw.attach(this);
        attached = true;
        try {
            link.watch(this);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The largest frame taken or sent. */
    public int maxFrame() {
        return decoder.maxFrame();
    }

    /** Packets dropped because they were longer than the maximum frame (also counted as framing errors). */
    public long dropsOversize() {
        return oversize;
    }

    // ---- readiness, from the link ----

    /** The link's source has something (or has ended). */
    public void readable() {
        pump();
        rearm();
    }

    /**
     * Reads the link now, as {@link #readable} does, without readiness to say it has anything (the loop's busy-poll
     * tries the port it expects an answer from that way, one system call instead of a poll and a read); true if a
     * receive brought bytes.
     */
    boolean pollReadable() {
        long before = receives;
        readable();
        return receives != before;
    }

    /** A write that would have blocked may go on: flushed with the others at the end of this iteration. */
    public void writable() {
        if (writeBlocked) {
            markDirty();
        }
        rearm();
    }

    /** The peer is gone: switches what it sent before it went (one budget's worth), then closes. */
    public void hungUp() {
        if (!isClosed()) {
            pump();
            close();
        }
    }

    /** Writes what is queued (once, without waiting) and closes; for the loop's or the transport's shutdown. */
    public void shutdown() {
        if (!isClosed()) {
            if (egress != null) {
                flush();
            }
            close();
        }
    }

    private void rearm() {
        if (!isClosed()) {
            link.want(!resumeScheduled, writeBlocked);
        }
    }

    // ---- ingress ----

    /**
     * Switches what the read buffer still holds, then receives and switches up to {@link #RECEIVES_PER_EVENT}
     * times, all within this iteration's {@link IngressBudget}: when the budget refuses a frame, the rest stays in
     * the buffer (and in the socket, where it backs up onto the sender) and the port goes on in the next iteration.
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
        if (runHolderCount > 0) {
            // Runs of the last receive, normally written by their holders' flush at the end of that iteration: the
            // buffer may change now.
            writeRuns();
            compact(ingress);
        }
        if (!switchBuffered(false)) { // a receive follows
            return;
        }
        for (int i = 0; i < RECEIVES_PER_EVENT; i++) {
            ByteBuf in = ingress;
            if (in == null) {
                // Room for one full receive behind the largest partial frame that can be left over.
                int capacity = READ_BUFFER + decoder.maxFrame() + FrameDecoder.PREFIX;
                in = ingress = alloc.directBuffer(capacity, capacity);
            }
            int before = in.writerIndex();
            Framing.Fill fill;
            try {
                fill = framing.receive(link.source(), in, this);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.INFO, name() + ": read failed: " + e.getMessage());
                close();
                return;
            }
            if (fill == Framing.Fill.ENDED) {
                close();
                return;
            }
            int got = i == 0 ? in.writerIndex() - before : 0;
            largestFrame = 0;
            frames = 0;
            int toGatewayBefore = budget().gatewayFramesTaken();
            lastEndsWrite = false;
            boolean goOn = switchBuffered(fill == Framing.Fill.DRAINED || i == RECEIVES_PER_EVENT - 1);
            if (got > 0) {
                receives++;
                loop.received(lastReceive, lastReceiveEndedWrite, got, largestFrame, frames, lastEndsWrite,
                        budget().gatewayFramesTaken() == toGatewayBefore); // no frame to the gateway
                lastReceive = loop.now();
                lastReceiveEndedWrite = lastEndsWrite;
            }
            if (!goOn || fill == Framing.Fill.DRAINED) {
                return;
            }
        }
        scheduleResume(); // the link may hold more: the other ports first
    }

    /**
     * Switches every complete frame in the read buffer. Returns false when the port closed, or when its budget ran
     * out first (the frames left wait in the buffer, and the port resumes in the next iteration).
     *
     * @param lastOfIteration whether the port receives nothing more in this iteration: then the runs others hold in the
     *     read buffer stay there, for their holders to write at the end of the iteration (the buffer is compacted
     *     at the next {@link #pump}); otherwise they are copied to the holders' staging buffers, so that what this
     *     iteration's receives bring goes out in one write per port at its end, as large as before
     */
    private boolean switchBuffered(boolean lastOfIteration) {
        ByteBuf in = ingress;
        if (in == null || !in.isReadable()) {
            return true;
        }
        FrameDecoder.Outcome outcome = decoder.decode(in, onFrame);
        boolean runsWait = lastOfIteration && outcome == FrameDecoder.Outcome.NEED_MORE && runHolderCount > 0;
        if (!runsWait) {
            stageRuns();
        }
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
        if (lastFrameLength > 0) {
            // Only the last frame of a receive matters to the coalescing: its header is read once, here, before the
            // buffer is compacted, rather than every frame's on the way through.
            lastEndsWrite = WriteBoundary.endsWrite(in, lastFrameIndex, lastFrameLength);
            lastFrameLength = 0;
        }
        if (outcome == FrameDecoder.Outcome.PAUSED) {
            counters().countBudgetPause();
            scheduleResume();
            return false;
        }
        if (!runsWait) {
            compact(in);
        }
        return true;
    }

    /** Moves the partial frame left at the end of the read buffer (if any) to its front. */
    private static void compact(ByteBuf in) {
        if (in.isReadable()) {
            in.discardReadBytes(); // at most one partial frame
        } else {
            in.clear();
        }
    }

    private boolean onFrame(ByteBuf buf, int index, int length) {
        largestFrame = Math.max(largestFrame, length);
        frames++;
        lastFrameIndex = index;
        lastFrameLength = length;
        return sw.forward(buf, index, length, this, loop.now()); // the iteration's time, no clock read
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
        rearm();
    }

    /**
     * One frame its transport received for this port (a socket shared by several ports, which it reads itself):
     * switched at once within this iteration's budget.
     *
     * @param buf holds the frame at {@code [index, index + length)}; the caller keeps it
     * @return false when the budget did not cover the frame (the caller drops it with {@link #dropOverBudget})
     */
    public boolean offer(ByteBuf buf, int index, int length, long now) {
        budget().begin(loop.iteration());
        if (length > decoder.maxFrame()) {
            dropOversize();
            return true;
        }
        return sw.forward(buf, index, length, this, now);
    }

    /** Counts (and now and then logs) a frame {@link #offer} refused, dropped because others share its socket. */
    public void dropOverBudget(long now) {
        PortCounters c = counters();
        long n = c.countDrop(PortDropReason.OVER_BUDGET);
        if (c.dropReportDue(now, LearningSwitch.DROP_LOG_NANOS)) {
            LOG.log(System.Logger.Level.WARNING, name() + ": dropped a frame beyond its budget per loop iteration on"
                    + " a shared socket (" + n + " so far)");
        }
    }

    /** Counts (and logs, the 1st, 2nd, 4th, 8th... time) a packet longer than the maximum frame, dropped. */
    void dropOversize() {
        oversize++;
        counters().countFramingError();
        if (Long.bitCount(oversize) == 1) {
            LOG.log(System.Logger.Level.WARNING, name() + ": dropped a packet longer than the maximum frame of "
                    + decoder.maxFrame() + " bytes (" + oversize + " so far)");
        }
    }

    // ---- egress ----

    @Override
    public void deliver(ByteBuf buf, int index, int length, Port ingress) {
        if (isClosed()) {
            return;
        }
        if (length > decoder.maxFrame()) {
            counters().countQueueFull(); // the peer could not take it
            return;
        }
        int record = index - FrameDecoder.PREFIX;
        if (ingress instanceof LinkPort from && buf == from.ingress && !writeBlocked
                && (egress == null || !egress.isReadable())) {
            // A record in the read buffer of the port it came from: note it, written when that port has switched.
            if (run == null) {
                run = buf;
                runFrom = record;
                runTo = index + length;
                from.holdsRun(this);
                markDirty(); // written by flush(), unless that port must reuse its buffer first (writeRuns)
                return;
            }
            if (run == buf && runTo == record) {
                runTo = index + length;
                return;
            }
        }
        if (run != null) {
            stageRun(); // the frames noted before this one go first
        }
        stage(buf, index, length);
    }

    @Override
    public ByteBuf reserve(int length) {
        if (isClosed() || length > decoder.maxFrame()) {
            return null;
        }
        if (run != null) {
            stageRun(); // the frames noted before this one go first
        }
        ByteBuf out = egress();
        if (!FrameStaging.makeRoom(out, length)) {
            return null; // the caller's deliver counts the drop
        }
        int record = out.writerIndex();
        out.setInt(record, length);
        out.writerIndex(record + FrameDecoder.PREFIX); // the frame goes here; commitReserved moves past it
        reservedLength = length;
        return out;
    }

    @Override
    public int commitReserved() {
        int length = reservedLength;
        if (length < 0) {
            throw new IllegalStateException(name() + ": nothing reserved");
        }
        reservedLength = -1;
        egress.writerIndex(egress.writerIndex() + length);
        counters().countOut(length);
        markDirty();
        return length;
    }

    @Override
    public void cancelReserved() {
        if (reservedLength < 0) {
            throw new IllegalStateException(name() + ": nothing reserved");
        }
        reservedLength = -1;
        egress.writerIndex(egress.writerIndex() - FrameDecoder.PREFIX); // the record's length prefix goes too
    }

    /** Copies one frame into the staging buffer (counted out, or dropped as queue-full when it does not fit). */
    private void stage(ByteBuf buf, int index, int length) {
        if (!FrameStaging.append(egress(), buf, index, length)) {
            counters().countQueueFull();
            return;
        }
        counters().countOut(length);
        markDirty();
    }

    /** The staging buffer, allocated on first use (released again while idle, {@link #releaseIdleBuffers}). */
    private ByteBuf egress() {
        if (egress == null) {
            egress = alloc.directBuffer(Math.min(64 * 1024, egressLimit), egressLimit);
        }
        return egress;
    }

    // ---- runs of records passed on from another port's read buffer ----

    /** Remembers that {@code holder} has a run in this port's read buffer. */
    private void holdsRun(LinkPort holder) {
        if (runHolderCount == runHolders.length) {
            runHolders = Arrays.copyOf(runHolders, 2 * runHolderCount);
        }
        runHolders[runHolderCount++] = holder;
    }

    /**
     * Has every port holding a run in this port's read buffer write it (or, if {@code copy}, copy it into its staging
     * buffer), before the buffer changes. A holder whose flush wrote its run already may have one in another port's
     * buffer by now: that one is left alone.
     */
    private void settleRuns(boolean copy) {
        for (int i = 0; i < runHolderCount; i++) {
            LinkPort holder = runHolders[i];
            runHolders[i] = null;
            if (holder.run == ingress) {
                if (copy) {
                    holder.stageRun();
                } else {
                    holder.writeRun();
                }
            }
        }
        runHolderCount = 0;
    }

    /** {@link #settleRuns}: writes them. */
    private void writeRuns() {
        settleRuns(false);
    }

    /** {@link #settleRuns}: copies them to staging. */
    private void stageRuns() {
        settleRuns(true);
    }

    /**
     * Writes this port's run from where it lies, until the link would block; what stays behind is copied into the
     * staging buffer (the rest of a record cut by the write always, whole records as the bound allows) and waits for
     * {@link #writable()}.
     */
    private void writeRun() {
        ByteBuf buf = run;
        run = null;
        if (buf == null || isClosed()) {
            return;
        }
        assert egress == null || !egress.isReadable() : "a run is noted only while nothing is staged";
        int reached;
        try {
            reached = framing.sendRun(buf, runFrom, runTo, link.sink());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, name() + ": write failed (" + e.getMessage() + "); peer gone");
            close();
            return;
        }
        stageRecords(buf, runFrom, runTo, reached);
        if (reached == runTo) {
            link.sent();
        } else {
            writeBlocked = true; // it was not: runs are noted only while nothing waits
            link.want(!resumeScheduled, true);
        }
    }

    /** Copies this port's run into the staging buffer, all of it, to keep the run's frames ahead of the next one. */
    private void stageRun() {
        ByteBuf buf = run;
        run = null;
        stageRecords(buf, runFrom, runTo, runFrom);
    }

    /**
     * Counts the records at {@code buf[from, to)} that went out up to {@code reached} and copies the rest into the
     * staging buffer: a record the write cut goes in whatever the bound (its first bytes are on the link already, and
     * the staging buffer, empty while a run exists, holds two of the largest), later ones as {@link #stage} allows.
     */
    private void stageRecords(ByteBuf buf, int from, int to, int reached) {
        PortCounters c = counters();
        for (int r = from; r < to; ) {
            int length = buf.getInt(r);
            int end = r + FrameDecoder.PREFIX + length;
            if (end <= reached) {
                c.countOut(length);
            } else if (r < reached) {
                ByteBuf out = egress();
                out.clear(); // nothing in it: a run is noted only then
                out.writeBytes(buf, reached, end - reached);
                c.countOut(length);
            } else {
                stage(buf, r + FrameDecoder.PREFIX, length);
            }
            r = end;
        }
    }

    private void markDirty() {
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
        if (run != null) {
            writeRun();
            if (writeBlocked) {
                return;
            }
        }
        ByteBuf out = egress;
        if (out == null || isClosed() || !out.isReadable()) {
            return;
        }
        boolean drained;
        try {
            drained = framing.send(out, link.sink());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.INFO, name() + ": write failed (" + e.getMessage() + "); peer gone");
            close();
            return;
        }
        if (drained) {
            out.clear();
            link.sent();
        }
        if (drained == writeBlocked) { // blocked for the first time, or no longer
            writeBlocked = !drained;
            link.want(!resumeScheduled, writeBlocked);
        }
    }

    @Override
    public void releaseIdleBuffers() {
        if (runHolderCount > 0) {
            writeRuns(); // none should be left by now (their holders' flush wrote them), but the buffer goes
        }
        if (ingress != null && !ingress.isReadable()) {
            ingress.release();
            ingress = null;
        }
        if (egress != null && !egress.isReadable() && !writeBlocked) {
            egress.release();
            egress = null;
        }
    }

    @Override
    protected void onClose() {
        run = null; // its frames go nowhere now
        writeRuns(); // others' runs in this port's read buffer, before it goes
        if (attached) {
            sw.detach(this);
        }
        link.close();
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
                + " B, out " + c.framesOut() + " frames/" + c.bytesOut() + " B, dropped " + c.dropsQueueFull()
                + ", framing errors " + c.framingErrors() + ", runts " + c.dropsRunt() + ")");
        onClosed.accept(this);
    }
}
