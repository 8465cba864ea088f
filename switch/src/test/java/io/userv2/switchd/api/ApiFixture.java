package io.userv2.switchd.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A running {@link ApiServer} on a fresh socket, with its {@link FakeControlPlane} and a {@link Curl} for it. */
final class ApiFixture implements AutoCloseable {
    final FakeControlPlane plane = new FakeControlPlane();
    final Path dir;
    final Path socket;
    final ApiServer server;
    final Curl curl;

    ApiFixture() throws IOException {
        this(ApiLimits.DEFAULT);
    }

    ApiFixture(Duration idleTimeout) throws IOException {
        this(ApiLimits.DEFAULT.withIdleTimeout(idleTimeout));
    }

    ApiFixture(ApiLimits limits) throws IOException {
        dir = Files.createTempDirectory("userv2-api");
        socket = dir.resolve("api.sock");
        server = ApiServer.start(plane, socket, limits);
        curl = new Curl(socket, dir);
    }

    @Override
    public void close() throws IOException {
        server.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
