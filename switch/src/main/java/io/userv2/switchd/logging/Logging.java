package io.userv2.switchd.logging;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Configures java.util.logging (the System.Logger backend) for the daemon: one line per record on stderr. */
public final class Logging {
    private Logging() {
    }

    /** Sets the root level from a name (ERROR, WARNING, INFO, DEBUG, TRACE) and installs the one-line format. */
    public static void configure(String levelName) {
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
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new SimpleFormatter());
        console.setLevel(level);
        root.addHandler(console);
        root.setLevel(level);
    }
}
