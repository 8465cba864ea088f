package io.userv2.switchd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFileTest {
    @TempDir
    Path dir;

    private static final long ME = ProcessHandle.current().pid();
    /** Above any pid_max (Linux caps pids at 2^22). */
    private static final long NO_SUCH_PID = Integer.MAX_VALUE;

    @Test
    void writesOurPidAsLimaDoesAndRemovesItOnClose() throws IOException {
        Path file = dir.resolve("usernet_user-v2.pid");
        try (PidFile pid = PidFile.acquire(file)) {
            assertEquals(ME + "\n", Files.readString(file));
            assertEquals(ME, pid.pid());
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            try (var list = Files.list(dir)) {
                assertEquals(1, list.count(), "no temporary file left beside the pidfile");
            }
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void gvproxysPidfileHoldsTheBareDigits() throws IOException {
        // podman reads it with strconv.Atoi(string(content)): "123\n" would not parse
        Path file = dir.resolve("gvproxy.pid");
        try (PidFile pid = PidFile.acquireDigitsOnly(file)) {
            assertEquals(Long.toString(ME), Files.readString(file));
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void aLiveProcessIsRefusedAndItsFileKept() throws Exception {
        Path file = dir.resolve("x.pid");
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(file, sleeper.pid() + "\n");
            PidFile.AlreadyRunningException e = assertThrows(PidFile.AlreadyRunningException.class,
                    () -> PidFile.acquire(file));
            assertEquals(sleeper.pid(), e.pid());
            assertTrue(e.getMessage().contains(Long.toString(sleeper.pid())), e.getMessage());
            assertEquals(sleeper.pid() + "\n", Files.readString(file));
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
    }

    @Test
    void aDeadProcessesFileIsReplaced() throws Exception {
        Path file = dir.resolve("x.pid");
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(file, gone.pid() + "\n");
        try (PidFile pid = PidFile.acquire(file, ME, p -> p != gone.pid() && PidFile.isAlive(p))) {
            assertEquals(ME + "\n", Files.readString(file));
        }
        Files.writeString(file, NO_SUCH_PID + "\n");
        try (PidFile pid = PidFile.acquire(file)) {
            assertEquals(ME + "\n", Files.readString(file));
        }
    }

    @Test
    void garbageOrEmptyOrOurOwnPidIsStale() throws IOException {
        Path file = dir.resolve("x.pid");
        for (String content : new String[] {"", "\n", "not a pid", "-5", "0", "12 13", "99999999999999999999999"}) {
            Files.writeString(file, content);
            try (PidFile pid = PidFile.acquire(file, ME, p -> true)) {
                assertEquals(ME + "\n", Files.readString(file), "replacing '" + content + "'");
            }
        }
        Files.writeString(file, ME + "\n");
        try (PidFile pid = PidFile.acquire(file, ME, p -> true)) {
            assertEquals(ME + "\n", Files.readString(file));
        }
    }

    @Test
    void closeLeavesASuccessorsFileAlone() throws IOException {
        Path file = dir.resolve("x.pid");
        PidFile pid = PidFile.acquire(file);
        Files.writeString(file, "4242\n");
        pid.close();
        assertEquals("4242\n", Files.readString(file));
        pid.close(); // idempotent
    }

    @Test
    void readIsTolerant() throws IOException {
        Path file = dir.resolve("x.pid");
        assertEquals(OptionalLong.empty(), PidFile.read(file));
        Files.writeString(file, "  123 \n");
        assertEquals(OptionalLong.of(123), PidFile.read(file));
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe});
        assertEquals(OptionalLong.empty(), PidFile.read(file));
    }

    @Test
    void aMissingDirectoryIsAnError() {
        assertThrows(IOException.class, () -> PidFile.acquire(dir.resolve("absent/x.pid")));
    }
}
