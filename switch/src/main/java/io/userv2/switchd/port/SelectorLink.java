package io.userv2.switchd.port;

import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link Link} over channels the event loop's own selector watches: a stream socket (one channel both ways) or
 * the two ends of a pair of pipes (stdio: one channel to read, another to write).
 *
 * <p>The selector is level-triggered and changing interest costs a system call, so read interest stays on for the
 * link's whole life, also while its port waits for the next iteration (a readiness then finds the port's budget
 * spent, or a new iteration's budget); write interest is on only while a write would have blocked.
 */
public final class SelectorLink implements Link, IoHandler {
    private final EventLoop loop;
    private final SelectableChannel in;
    private final SelectableChannel out;
    private LinkPort port;
    private SelectionKey readKey;
    private SelectionKey writeKey;
    private boolean writeInterest;

    /** A link reading and writing {@code channel} (non-blocking). */
    public static <C extends SelectableChannel & ReadableByteChannel & WritableByteChannel> SelectorLink of(
            EventLoop loop, C channel) {
        return new SelectorLink(loop, channel, channel);
    }

    /** A link reading {@code in} and writing {@code out}, two different non-blocking channels. */
    public static <I extends SelectableChannel & ReadableByteChannel, O extends SelectableChannel & WritableByteChannel>
            SelectorLink of(EventLoop loop, I in, O out) {
        return new SelectorLink(loop, in, out);
    }

    private SelectorLink(EventLoop loop, SelectableChannel in, SelectableChannel out) {
        this.loop = loop;
        this.in = in;
        this.out = out;
    }

    @Override
    public ReadableByteChannel source() {
        return (ReadableByteChannel) in;
    }

    @Override
    public WritableByteChannel sink() {
        return (WritableByteChannel) out;
    }

    @Override
    public void watch(LinkPort port) throws IOException {
        this.port = port;
        readKey = loop.register(in, SelectionKey.OP_READ, this);
        writeKey = out == in ? readKey : loop.register(out, 0, this);
    }

    @Override
    public void want(boolean read, boolean write) {
        if (write == writeInterest || !writeKey.isValid()) {
            return;
        }
        writeInterest = write;
        int ops = write ? SelectionKey.OP_WRITE : 0;
        writeKey.interestOps(writeKey == readKey ? SelectionKey.OP_READ | ops : ops);
    }

    @Override
    public void ready(SelectionKey key) {
        if (key.isValid() && key.isWritable()) {
            port.writable();
        }
        if (key.isValid() && key.isReadable()) {
            port.readable();
        }
    }

    /** Level-triggered in the loop's own selector, so reading ahead of readiness loses nothing. */
    @Override
    public void sent() {
        loop.expectReadFrom(this);
    }

    @Override
    public boolean pollRead() {
        return readKey.isValid() && port.pollReadable();
    }

    @Override
    public void shutdown() {
        port.shutdown();
    }

    @Override
    public void close() {
        loop.close(this, readKey, in);
        if (out != in) {
            loop.close(this, writeKey, out);
        }
    }

    @Override
    public String toString() {
        return port == null ? "link" : port.name();
    }
}
