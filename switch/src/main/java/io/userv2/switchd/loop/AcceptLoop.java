package io.userv2.switchd.loop;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The accept step every listening transport shares: when its listening socket is ready, take up to
 * {@link #PER_EVENT} pending connections and hand each to the transport, then let the other handlers have their
 * turn (the rest are taken at the next readiness). A failed accept is logged and ends the round; the listener stays.
 */
public final class AcceptLoop {
    /** Connections accepted per readiness at most. */
    public static final int PER_EVENT = 16;
    private static final System.Logger LOG = System.getLogger(AcceptLoop.class.getName());

    /** Takes one pending connection without blocking. */
    @FunctionalInterface
    public interface Accept<C> {
        /** The next pending connection, or null when there is none. */
        C next() throws IOException;
    }

    private AcceptLoop() {
    }

    /** Accepts up to {@link #PER_EVENT} connections from {@code accept} and passes each to {@code attach}. */
    public static <C> void acceptSome(Object listener, Accept<C> accept, Consumer<C> attach) {
        for (int i = 0; i < PER_EVENT; i++) {
            C c;
            try {
                c = accept.next();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, listener + ": accept failed: " + e.getMessage());
                return;
            }
            if (c == null) {
                return;
            }
            attach.accept(c);
        }
    }
}
