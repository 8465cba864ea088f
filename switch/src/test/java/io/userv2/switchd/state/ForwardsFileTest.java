package io.userv2.switchd.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.userv2.switchd.forward.ForwardSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The forwards file is written by the background writer; a clean shutdown leaves the latest list on disk. */
class ForwardsFileTest {
    static final ForwardSpec SSH = ForwardSpec.of("tcp", "127.0.0.1:2222", "192.168.104.3:22");
    static final ForwardSpec DNS = ForwardSpec.of("udp", "127.0.0.1:5353", "192.168.104.3:53");

    @TempDir
    Path dir;

    @Test
    void theLatestListIsOnDiskAfterCloseAndReadsBack() {
        Path file = dir.resolve("forwards.json");
        LinkedBlockingQueue<Runnable> loop = new LinkedBlockingQueue<>();
        StateWriter writer = new StateWriter(loop::add, 10_000);
        ForwardsFile forwards = new ForwardsFile(file, writer);
        forwards.save(List.of(SSH));
        forwards.save(List.of(SSH, DNS));
        writer.close();
        assertEquals(List.of(SSH, DNS), new ForwardsFile(file, writer).load());
    }

    @Test
    void aFailedWriteIsReportedOnTheLoopAndDoesNotThrow() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("plain"), "x");
        LinkedBlockingQueue<Runnable> loop = new LinkedBlockingQueue<>();
        StateWriter writer = new StateWriter(loop::add, 10_000);
        try {
            new ForwardsFile(dir.resolve("plain/forwards.json"), writer).save(List.of(SSH));
            Runnable outcome = loop.poll(10, TimeUnit.SECONDS);
            assertNotNull(outcome, "the failure comes back to the loop");
            outcome.run(); // logs a warning
        } finally {
            writer.close();
        }
    }
}
