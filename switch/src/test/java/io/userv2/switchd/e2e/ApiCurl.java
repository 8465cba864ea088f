package io.userv2.switchd.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Calls the switch's HTTP API on its unix socket with real curl, as Lima's and gvproxy's users do by hand: the
 * status code is printed on a line of its own after the body, so a test reads both from one run.
 */
final class ApiCurl {
    private static final Duration T = Duration.ofSeconds(20);

    private ApiCurl() {
    }

    /** {@code method path} on the API socket {@code sock}, with {@code body} as JSON when not null. */
    static Exec.Result api(Path sock, String method, String path, String body) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "15", "--unix-socket",
                sock.toString(), "-X", method, "-w", "\n%{http_code}", "http://localhost" + path));
        if (body != null) {
            cmd.addAll(List.of("-H", "Content-Type: application/json", "-d", body));
        }
        return Exec.run(T, cmd);
    }

    /** The status code curl printed on the last line. */
    static int status(Exec.Result r) {
        String out = r.output().strip();
        return Integer.parseInt(out.substring(out.lastIndexOf('\n') + 1).strip());
    }

    /** The body curl printed before the status line, without the newline JSON answers end with. */
    static String body(Exec.Result r) {
        String out = r.output().strip();
        int last = out.lastIndexOf('\n');
        return last < 0 ? "" : out.substring(0, last).strip();
    }
}
