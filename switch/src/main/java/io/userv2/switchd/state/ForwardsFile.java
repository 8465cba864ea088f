package io.userv2.switchd.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.userv2.switchd.forward.ForwardSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The port forwards kept across restarts ({@code --state-dir}), as the API lists them:
 * {@code [{"local": "127.0.0.1:2222", "remote": "192.168.104.3:22", "protocol": "tcp"}, ...]}, written atomically by
 * the {@link StateWriter} (off the loop; the latest list wins, and a clean shutdown flushes it). A missing file is an
 * empty list; an unreadable one is logged, renamed aside and treated as empty. A failed write is logged once per run
 * of failures. {@link #load} runs at start-up; {@link #save} and the failure bookkeeping on the loop thread.
 */
public final class ForwardsFile {
    private static final System.Logger LOG = System.getLogger(ForwardsFile.class.getName());
    private final Path file;
    private final StateWriter writer;
    /** The last write failed (and was logged); loop thread only. */
    private boolean failing;

    /** The forwards kept in {@code file}, written by {@code writer}. */
    public ForwardsFile(Path file, StateWriter writer) {
        this.file = file;
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    /** The stored forwards; never throws. */
    public List<ForwardSpec> load() {
        List<ForwardSpec> out = new ArrayList<>();
        try {
            JsonNode root = StateJson.mapper().readTree(Files.readAllBytes(file));
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

    /**
     * Hands {@code forwards} (copied) to the writer and returns; a failure is logged when it happens. Call on the loop
     * thread.
     */
    public void save(List<ForwardSpec> forwards) {
        List<ForwardSpec> snapshot = List.copyOf(forwards);
        writer.write(file, () -> encode(snapshot), new StateWriter.Listener() {
            @Override
            public void written() {
                if (failing) {
                    failing = false;
                    LOG.log(System.Logger.Level.INFO, "forwards file " + file + " written again");
                }
            }

            @Override
            public void failed(IOException error) {
                if (!failing) {
                    failing = true;
                    LOG.log(System.Logger.Level.WARNING, "cannot write forwards file " + file + ": " + error);
                }
            }
        });
    }

    private byte[] encode(List<ForwardSpec> forwards) throws IOException {
        ArrayNode root = StateJson.mapper().createArrayNode();
        for (ForwardSpec f : forwards) {
            root.addObject().put("local", f.localText()).put("remote", f.remoteText()).put("protocol", f.protocol());
        }
        return StateJson.mapper().writeValueAsBytes(root);
    }
}
