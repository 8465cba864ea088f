package io.userv2.dns;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link DnsServer} in front of a {@link FakeUpstream}, started before each test and closed after it: the fixture
 * the DNS server tests share. A test class extends it and overrides {@link #seedUpstream()} to give the upstream
 * records and {@link #config()} to change the server's configuration; both run before the server starts.
 */
abstract class DnsServerFixture {

    @TempDir Path dir;
    FakeUpstream upstream;
    DnsServer server;

    /** Records the upstream serves; the upstream is running, the server not yet. */
    void seedUpstream() {
    }

    /** The server's configuration: by default the hosts file {@link DnsTestSupport#HOSTS}. */
    DnsConfig.Builder config() throws IOException {
        return DnsTestSupport.config(dir, upstream, DnsTestSupport.HOSTS);
    }

    @BeforeEach
    final void startServer() throws Exception {
        upstream = FakeUpstream.start();
        seedUpstream();
        server = DnsServer.create(config().build());
    }

    @AfterEach
    final void closeServer() throws Exception {
        server.close();
        upstream.close();
    }
}
