package io.userv2.switchd.logging;

import io.userv2.switchd.Main;
import java.util.logging.LogManager;

/**
 * A {@link LogManager} that ignores the JDK's reset at JVM shutdown, so the records our own shutdown hook writes
 * while closing connections ("disconnected ...", "stopped") still reach stderr. Installed by {@link Main} through
 * the {@code java.util.logging.manager} system property before any logger exists.
 */
public final class DaemonLogManager extends LogManager {
    @Override
    public void reset() {
        // Called by the JDK's own shutdown hook, concurrently with ours: keep the handlers.
    }
}
