package io.userv2.switchd.e2e;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * When a test fails, prints the last lines of every switch (the jar in any of its modes: processes named {@code switch*},
 * {@code gvproxy*} or {@code usernet*}) started in its class so far, so that a rare failure in CI
 * (where the work directory with the full logs is gone) leaves the switch's side of the story in the build's output.
 * Registered for every test of this module through {@code META-INF/services} (JUnit's extension auto-detection,
 * turned on in {@code junit-platform.properties}); a class that starts no process prints nothing.
 */
public final class FailureLogs implements BeforeAllCallback, TestWatcher {
    /** Switches printed per failure, the latest ones. */
    private static final int SWITCHES = 3;
    private static final int LINES = 40;

    private final List<LoggedProcess> started = new ArrayList<>();

    @Override
    public void beforeAll(ExtensionContext context) {
        LoggedProcess.takeStarted(); // whatever an earlier class started
        started.clear();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        String report = report(context.getDisplayName());
        if (!report.isEmpty()) {
            System.err.print(report);
        }
    }

    private static boolean isSwitch(LoggedProcess p) {
        return p.name().startsWith("switch") || p.name().startsWith("gvproxy") || p.name().startsWith("usernet");
    }

    /** What a failure of {@code test} prints: the tails of the latest switches started so far ("" if none). */
    String report(String test) {
        started.addAll(LoggedProcess.takeStarted());
        List<LoggedProcess> switches = started.stream().filter(FailureLogs::isSwitch).toList();
        StringBuilder out = new StringBuilder();
        for (LoggedProcess p : switches.subList(Math.max(0, switches.size() - SWITCHES), switches.size())) {
            out.append("--- ").append(test).append(" failed; the last ").append(LINES).append(" lines of ")
                    .append(p.log()).append(":\n").append(p.tail(LINES)).append("\n---\n");
        }
        return out.toString();
    }
}
