package io.userv2.switchd.port;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The I/O end of one {@link LinkPort}: the channels its frames are read from and written to, and whatever tells the
 * port when they can move (the event loop's selector, the junixsocket poller, a retry timer). The port does all
 * reading, writing and framing on the loop thread; a link only adapts one kind of channel and readiness to it.
 *
 * <p>Readiness goes to the port as {@link LinkPort#readable()}, {@link LinkPort#writable()} and
 * {@link LinkPort#hungUp()}, always on the loop thread. The port owns the link and closes it once.
 */
public interface Link {
    /** Where frames from the peer are read, or null for a link that only sends (its port is fed by its transport). */
    ReadableByteChannel source();

    /** Where frames for the peer are written (non-blocking: a write that would block writes nothing). */
    WritableByteChannel sink();

    /** Starts reporting readiness to {@code port}; called once, on the loop thread or before it runs. */
    void watch(LinkPort port) throws IOException;

    /**
     * Says what the port waits for now: {@code read} when it wants to hear that the source has more (false while
     * it goes on by itself in the next loop iteration), {@code write} when a write would have blocked. A link whose
     * readiness is one-shot re-arms here; called after every readiness the port handled and whenever these change.
     */
    void want(boolean read, boolean write);

    /**
     * The port just wrote to the peer, whose answer, if any, is what the loop most likely hears next: a link whose
     * source can be read before readiness says so asks the loop to try it first while it busy-polls
     * ({@link io.userv2.switchd.loop.EventLoop#expectReadFrom}). By default nothing.
     */
    default void sent() {
    }

    /** Stops watching and closes the channels the link owns; called once, on the loop thread. */
    void close();
}
