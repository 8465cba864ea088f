package io.userv2.switchd.e2e;

import java.util.ArrayDeque;
import java.util.Deque;

/** Closes everything registered with it in reverse order, even if some closes fail (cleanup must not stop halfway). */
public final class Closer implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    public synchronized <T extends AutoCloseable> T add(T resource) {
        resources.push(resource);
        return resource;
    }

    @Override
    public synchronized void close() {
        Throwable first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                }
            }
        }
        if (first != null) {
            throw new AssertionError("cleanup failed", first);
        }
    }
}
