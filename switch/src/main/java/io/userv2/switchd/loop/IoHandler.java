package io.userv2.switchd.loop;

import java.nio.channels.SelectionKey;

/** Reacts to readiness of one channel registered with the {@link EventLoop}; attached to its selection key. */
public interface IoHandler {
    /** Called on the event-loop thread when {@code key} is ready; must not block. */
    void ready(SelectionKey key);

    /** Called once when the event loop shuts down, to close the channel and release buffers. */
    void shutdown();

    /**
     * Reads what the channel holds now, as {@link #ready} would on a read readiness, without waiting to hear that it
     * has any; returns true if that brought anything. For the loop's busy-poll ({@link EventLoop#expectReadFrom}):
     * only a handler whose readiness is level-triggered in the loop's own selector may do this. By default it
     * reads nothing.
     */
    default boolean pollRead() {
        return false;
    }
}
