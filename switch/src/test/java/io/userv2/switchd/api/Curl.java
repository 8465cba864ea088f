package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** Drives the API with the real curl over the unix socket, as a person (or Lima's Go client) would. */
final class Curl {
    /**
     * One exchange.
     *
     * @param status the HTTP status (0 when curl got none)
     * @param body the response body
     * @param headers the response head, lower-cased
     */
    record Result(int status, String body, String headers) {
        /** The body without its trailing newline. */
        String line() {
            return body.endsWith("\n") ? body.substring(0, body.length() - 1) : body;
        }
    }

    /** A curl running in the background. */
    record Running(Process process, Path dir) {
        Result await(long seconds) throws Exception {
            assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "curl did not finish in " + seconds + " s");
            return result(process, dir);
        }
    }

    private final Path socket;
    private final Path workDir;

    Curl(Path socket, Path workDir) {
        this.socket = socket;
        this.workDir = workDir;
    }

    Result get(String pathAndQuery) throws Exception {
        return start("GET", pathAndQuery, null).await(30);
    }

    Result post(String path, String body) throws Exception {
        return start("POST", path, body).await(30);
    }

    /** Starts curl; {@code extra} are added to the command line before the URL. */
    Running start(String method, String pathAndQuery, String body, String... extra) throws IOException {
        Path dir = Files.createTempDirectory(workDir, "curl");
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "60", "--unix-socket",
                socket.toString(), "-X", method, "-o", dir.resolve("body").toString(), "-D",
                dir.resolve("headers").toString(), "-w", "%{http_code}", "-H", "Expect:"));
        if (body != null) {
            Files.writeString(dir.resolve("request"), body);
            command.addAll(List.of("-H", "Content-Type: application/json", "--data-binary",
                    "@" + dir.resolve("request")));
        }
        command.addAll(List.of(extra));
        command.add("http://localhost" + pathAndQuery);
        Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("status").toFile())
                .redirectError(dir.resolve("stderr").toFile()).start();
        return new Running(process, dir);
    }

    private static Result result(Process process, Path dir) throws IOException {
        String status = Files.readString(dir.resolve("status")).trim();
        String body = Files.exists(dir.resolve("body")) ? Files.readString(dir.resolve("body"), StandardCharsets.UTF_8)
                : "";
        String headers = Files.exists(dir.resolve("headers")) ? Files.readString(dir.resolve("headers"))
                .toLowerCase(Locale.ROOT) : "";
        int code = status.isEmpty() ? 0 : Integer.parseInt(status);
        if (code == 0) {
            body = "curl exit " + process.exitValue() + ": " + Files.readString(dir.resolve("stderr"));
        }
        return new Result(code, body, headers);
    }
}
