package io.userv2.switchd.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.userv2.switchd.forward.ForwardSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The port forwards kept across restarts ({@code --state-dir}), as the API lists them:
 * {@code [{"local": "127.0.0.1:2222", "remote": "192.168.104.3:22", "protocol": "tcp"}, ...]}, written atomically.
 * A missing file is an empty list; an unreadable one is logged, renamed aside and treated as empty.
 */
public final class ForwardsFile {
    private static final System.Logger LOG = System.getLogger(ForwardsFile.class.getName());
    private final Path file;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The forwards kept in {@code file}. */
    public ForwardsFile(Path file) {
        this.file = file;
    }

    /** The stored forwards; never throws. */
    public List<ForwardSpec> load() {
        List<ForwardSpec> out = new ArrayList<>();
        try {
            JsonNode root = json.readTree(Files.readAllBytes(file));
            if (!root.isArray()) {
                throw new IOException("not a JSON array");
            }
            for (JsonNode n : root) {
                out.add(ForwardSpec.of(n.path("protocol").asText(), n.path("local").asText(),
                        n.path("remote").asText()));
            }
            return out;
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException | RuntimeException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + System.currentTimeMillis());
            LOG.log(System.Logger.Level.WARNING, "forwards file " + file + " unreadable (" + e.getMessage()
                    + "); moved to " + aside + ", starting with none");
            try {
                Files.move(file, aside);
            } catch (IOException ignored) {
                // leave it; we will overwrite it on the next change
            }
            return new ArrayList<>();
        }
    }

    /** Replaces the stored forwards; logs (never throws) on failure. */
    public void save(List<ForwardSpec> forwards) {
        ArrayNode root = json.createArrayNode();
        for (ForwardSpec f : forwards) {
            root.addObject().put("local", f.localText()).put("remote", f.remoteText()).put("protocol", f.protocol());
        }
        try {
            AtomicFile.write(file, json.writeValueAsBytes(root));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write forwards file " + file + ": " + e);
        }
    }
}
