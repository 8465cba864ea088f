package io.userv2.switchd.sshforward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flag checks of {@link SshForwardSettings}, with gvproxy's messages where gvproxy has one. */
class SshForwardSettingsTest {
    @TempDir
    Path dir;

    private Path key() throws IOException {
        return Files.writeString(dir.resolve("id"), "key");
    }

    @Test
    void aForwardKeepsItsValues() throws IOException {
        String id = key().toString();
        SshForwardSettings s = SshForwardSettings.of("/run/podman.sock", "/run/user/501/podman/podman.sock", "core", id);
        assertEquals(new SshForwardSettings(Path.of("/run/podman.sock"), "/run/user/501/podman/podman.sock", "core",
                Path.of(id)), s);
    }

    @Test
    void aUnixUrlIsAPathAndOtherSchemesAreRefused() throws IOException {
        String id = key().toString();
        assertEquals(Path.of("/tmp/a.sock"), SshForwardSettings.of("unix:///tmp/a.sock", "/d", "u", id).socket());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SshForwardSettings.of("npipe:////./pipe/x", "/d", "u", id));
        assertEquals("URI scheme not supported: npipe", e.getMessage());
    }

    @Test
    void aMissingIdentityFileIsRefusedAsGvproxyDoes() {
        Path missing = dir.resolve("nope");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SshForwardSettings.of("/tmp/a.sock", "/d", "u", missing.toString()));
        assertEquals("identity file \"" + missing + "\" can't be loaded: stat " + missing
                + ": no such file or directory", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SshForwardSettings.of("/tmp/a.sock", "/d", "u", ""));
        assertEquals("identity file \"\" can't be loaded: stat : no such file or directory", e.getMessage());
    }

    @Test
    void emptyValuesAreRefused() throws IOException {
        String id = key().toString();
        assertThrows(IllegalArgumentException.class, () -> SshForwardSettings.of("", "/d", "u", id));
        assertThrows(IllegalArgumentException.class, () -> SshForwardSettings.of("/tmp/a.sock", "", "u", id));
        assertThrows(IllegalArgumentException.class, () -> SshForwardSettings.of("/tmp/a.sock", "/d", "", id));
    }

    @Test
    void repeatedFlagsPairByPositionAndMustComeInEqualNumbers() throws IOException {
        String id = key().toString();
        List<SshForwardSettings> two = SshForwardSettings.fromFlags(List.of("/tmp/a.sock", "/tmp/b.sock"),
                List.of("/a", "/b"), List.of("ua", "ub"), List.of(id, id));
        assertEquals(2, two.size());
        assertEquals("/b", two.get(1).dest());
        assertEquals("ub", two.get(1).user());
        assertEquals(List.of(), SshForwardSettings.fromFlags(List.of(), List.of(), List.of(), List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SshForwardSettings.fromFlags(
                List.of("/tmp/a.sock"), List.of("/a"), List.of(), List.of(id)));
        assertEquals("--forward-sock, --forward-dest, --forward-user, and --forward-identity must all be specified"
                + " together, the same number of times, or not at all", e.getMessage());
    }
}
