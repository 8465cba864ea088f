package io.userv2.switchd.logging;

import io.userv2.switchd.warmup.WarmUp;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Configures java.util.logging (the System.Logger backend) for the daemon: one line per record on stderr or in a file. */
public final class Logging {
    private Logging() {
    }

    /** Sets the root level from a name (ERROR, WARNING, INFO, DEBUG, TRACE) and installs the one-line format. */
    public static void configure(String levelName) {
        try {
            configure(levelName, null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // never: no file is opened
        }
    }

    /**
     * As {@link #configure(String)}, logging to {@code file} (created or truncated, flushed after every record)
     * instead of stderr when it is not null, as gvproxy's {@code -log-file}.
     *
     * @throws IOException when the file cannot be opened
     */
    public static void configure(String levelName, Path file) throws IOException {
        OutputStream out = file == null ? null : Files.newOutputStream(file);
        System.setProperty("java.util.logging.SimpleFormatter.format",
                "%1$tF %1$tT.%1$tL %4$s userv2: %5$s%6$s%n");
        Level level = switch (levelName.toUpperCase(Locale.ROOT)) {
            case "ERROR" -> Level.SEVERE;
            case "WARNING", "WARN" -> Level.WARNING;
            case "DEBUG" -> Level.FINE;
            case "TRACE" -> Level.FINEST;
            default -> Level.INFO;
        };
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler;
        if (out == null) {
            handler = new ConsoleHandler();
        } else {
            handler = new StreamHandler(out, new SimpleFormatter()) {
                @Override
                public synchronized void publish(LogRecord record) {
                    super.publish(record);
                    flush();
                }
            };
        }
        handler.setFormatter(new SimpleFormatter());
        handler.setFilter(record -> !WarmUp.silences(record)); // the start-up warm-up's private network
        handler.setLevel(level);
        root.addHandler(handler);
        root.setLevel(level);
    }
}
