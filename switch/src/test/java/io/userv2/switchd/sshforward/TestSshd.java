package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.SshServer;

/**
 * An in-process SSH server on 127.0.0.1 for the unit tests: one user, one authorized public key, an in-memory host
 * key, and {@code direct-streamlocal@openssh.com} channels only ({@link StreamLocalServerChannel}).
 */
final class TestSshd implements AutoCloseable {
    private static final KeyPair HOST_KEY;

    static {
        try {
            HOST_KEY = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private final SshServer server;
    final AtomicInteger sessions = new AtomicInteger();

    private TestSshd(SshServer server) {
        this.server = server;
    }

    /** Starts on {@code port} (0: any free one) accepting {@code user} with {@code authorized}. */
    static TestSshd start(int port, String user, PublicKey authorized) {
        GuestSshSession.quietLibraryLogs();
        SshServer s = SshServer.setUpDefaultServer();
        s.setHost("127.0.0.1");
        s.setPort(port);
        s.setKeyPairProvider(KeyPairProvider.wrap(HOST_KEY));
        s.setPublickeyAuthenticator((u, key, session) -> u.equals(user) && KeyUtils.compareKeys(key, authorized));
        s.setPasswordAuthenticator(null);
        s.setKeyboardInteractiveAuthenticator(null);
        s.setChannelFactories(List.of(StreamLocalServerChannel.FACTORY));
        TestSshd sshd = new TestSshd(s);
        s.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                sshd.sessions.incrementAndGet();
            }
        });
        try {
            s.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sshd;
    }

    int port() {
        return server.getPort();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    /** Stops listening and drops every session at once (as an sshd that dies). */
    @Override
    public void close() {
        try {
            server.stop(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
