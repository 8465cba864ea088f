package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FailureLogsTest {
    private static LoggedProcess run(String name, String script) {
        LoggedProcess p = LoggedProcess.start(name, List.of("sh", "-c", script));
        assertEquals(Optional.of(0), p.awaitExit(Duration.ofSeconds(10)), name + " did not finish");
        return p;
    }

    @Test
    void aFailureReportsTheTailsOfTheSwitchesStartedInItsClassOnly() {
        FailureLogs logs = new FailureLogs();
        run("switch-earlier-class", "echo from-an-earlier-class");
        logs.beforeAll(null);
        LoggedProcess sw = run("switch-under-test", "for i in $(seq 1 60); do echo line-$i; done");
        run("tapbridge-not-a-switch", "echo from-a-bridge");
        LoggedProcess dropIn = run("gvproxy", "echo from-the-jar-as-gvproxy");
        String report = logs.report("someTest()");
        assertTrue(report.contains(dropIn.log() + ":\nfrom-the-jar-as-gvproxy\n"), report);
        assertTrue(report.contains("someTest() failed; the last 40 lines of " + sw.log()), report);
        assertTrue(report.contains("line-21\n") && report.contains("line-60\n"), report);
        assertFalse(report.contains("line-20\n"), "only the last 40 lines: " + report);
        assertFalse(report.contains("from-a-bridge"), report);
        assertFalse(report.contains("from-an-earlier-class"), report);
    }

    @Test
    void aClassThatStartedNoSwitchReportsNothing() {
        FailureLogs logs = new FailureLogs();
        logs.beforeAll(null);
        run("tapbridge-alone", "echo hello");
        assertEquals("", logs.report("otherTest()"));
    }
}
