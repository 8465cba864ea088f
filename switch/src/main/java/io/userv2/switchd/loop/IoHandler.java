package io.userv2.switchd.loop;

import java.nio.channels.SelectionKey;

/** Reacts to readiness of one channel registered with the {@link EventLoop}; attached to its selection key. */
public interface IoHandler {
    /** Called on the event-loop thread when {@code key} is ready; must not block. */
    void ready(SelectionKey key);

    /** Called once when the event loop shuts down, to close the channel and release buffers. */
    void shutdown();
}
