package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * The one SSH session a forward shares between its client connections, to the guest's sshd at a fixed address,
 * connected lazily and again whenever it is found down: podman starts the network before the VM boots, and the
 * guest's sshd may restart while we run.
 *
 * <p>Behaviour taken from gvproxy ({@code pkg/sshclient}): no host key checking (the key is the VM's, made fresh at
 * each boot); public key authentication with the forward's identity only; while sshd is not reachable, connect
 * attempts back off from 100 ms doubling to 1 s; a channel that cannot be opened is tried three times 200 ms apart,
 * and between tries a keepalive tells whether the session is still alive (if not, the next try reconnects). Unlike
 * gvproxy we never wait forever nor exit: each client waits at most {@link ForwardTiming#connectBudget()} for a
 * session, concurrent clients share one connect attempt, and an established session answers keepalives or is closed.
 *
 * <p>Threads: MINA's own (its NIO workers, two here, and its timer); callers block in {@link #openChannel}. Nothing
 * of the user's {@code ~/.ssh} is read (no config file, no default keys, no known_hosts).
 */
final class GuestSshSession implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GuestSshSession.class.getName());
    /**
     * MINA SSHD logs through SLF4J into java.util.logging; it reports every session, key exchange and channel at
     * INFO and some routine failures (a peer closing) at WARN, all of which we say ourselves in fewer words. Held
     * so that the level stays set.
     */
    private static final java.util.logging.Logger MINA_LOG = java.util.logging.Logger.getLogger("org.apache.sshd");
    /** OpenSSH's own client keepalive name; sshd answers it with a failure, which is all we need (it is alive). */
    private static final String KEEPALIVE = "keepalive@openssh.com";

    private final String user;
    private final KeyPair key;
    private final InetSocketAddress address;
    private final ForwardTiming timing;
    private final SshClient client;
    private final Object lock = new Object();
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    /** The established session, or null. Guarded by {@link #lock}. */
    private ClientSession session;
    /** The connect attempt under way, which every caller needing a session joins, or null. Guarded by {@link #lock}. */
    private CompletableFuture<ClientSession> connecting;
    private volatile boolean closed;

    /** Starts MINA's client (its threads); connects nothing yet. */
    GuestSshSession(String user, KeyPair key, InetSocketAddress address, ForwardTiming timing) {
        quietLibraryLogs();
        this.user = user;
        this.key = key;
        this.address = literal(address);
        this.timing = timing;
        this.client = newClient(timing);
        client.start();
    }

    /**
     * {@code address} without its host name: MINA connects to {@code getHostString()}, which for an address that
     * carries a name (even {@code InetAddress.getLoopbackAddress()}'s "localhost") would be looked up again.
     */
    private static InetSocketAddress literal(InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("sshd address must be an IP address, not a name: " + address);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address.getAddress().getAddress()),
                    address.getPort());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Keeps MINA's INFO chatter out of the daemon's log unless someone configured its logger. */
    static void quietLibraryLogs() {
        if (MINA_LOG.getLevel() == null) {
            MINA_LOG.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    private static SshClient newClient(ForwardTiming timing) {
        SshClient c = SshClient.setUpDefaultClient();
        // gvproxy: ssh.InsecureIgnoreHostKey(). (MINA's AcceptAllServerKeyVerifier would log a warning per connect.)
        c.setServerKeyVerifier((clientSession, remote, serverKey) -> true);
        c.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        c.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        c.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        c.setCipherFactories(preferAesGcm(c.getCipherFactories()));
        CoreModuleProperties.NIO_WORKERS.set(c, 2);
        // A relayed connection may stay silent for hours (docker events, logs -f); MINA would close the session
        // after 10 idle minutes. Dead sessions are found by the heartbeat instead.
        CoreModuleProperties.IDLE_TIMEOUT.set(c, Duration.ZERO);
        if (!timing.heartbeat().isZero()) {
            CoreModuleProperties.HEARTBEAT_INTERVAL.set(c, timing.heartbeat());
            CoreModuleProperties.HEARTBEAT_REQUEST.set(c, KEEPALIVE);
            CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(c, ForwardTiming.MISSED_HEARTBEATS);
        }
        return c;
    }

    /**
     * MINA's client offers chacha20-poly1305 first, which it computes in Java; the JDK's AES-GCM runs on the CPU's
     * AES instructions, so it goes first (sshd takes the first of the client's list it supports).
     */
    static List<NamedFactory<Cipher>> preferAesGcm(List<NamedFactory<Cipher>> ciphers) {
        List<NamedFactory<Cipher>> ordered = new java.util.ArrayList<>(ciphers);
        ordered.sort(java.util.Comparator.comparingInt(f -> f.getName().contains("-gcm@") ? 0 : 1));
        return ordered;
    }

    /**
     * Opens a {@code direct-streamlocal@openssh.com} channel to {@code dest} in the guest, connecting first if no
     * session is up. Blocks at most about {@link ForwardTiming#connectBudget()} plus the open tries.
     *
     * @throws IOException with a message for the log when no session could be had or sshd refused the channel
     *     every time (for instance because nothing listens on {@code dest} yet)
     */
    DirectStreamLocalChannel openChannel(String dest) throws IOException {
        for (int attempt = 1;; attempt++) {
            ClientSession s = session();
            DirectStreamLocalChannel channel = new DirectStreamLocalChannel(dest);
            try {
                s.getService(ConnectionService.class).registerChannel(channel);
                channel.open().verify(timing.openTimeout());
                return channel;
            } catch (IOException | RuntimeException e) {
                channel.close(true);
                if (closed) {
                    throw new IOException("shutting down");
                }
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                if (attempt >= timing.openTries()) {
                    // gvproxy's words.
                    throw new IOException("couldn't reestablish ssh tunnel on path: " + dest + ": " + why, e);
                }
                LOG.log(System.Logger.Level.DEBUG, () -> "ssh forward: channel to " + dest + " failed (" + why
                        + "), trying again");
                if (!alive(s)) {
                    discard(s);
                }
                pause(timing.retryDelay());
            }
        }
    }

    /** The established session, or the one the connect attempt under way (perhaps ours) makes. */
    private ClientSession session() throws IOException {
        CompletableFuture<ClientSession> pending;
        boolean ours = false;
        synchronized (lock) {
            if (closed) {
                throw new IOException("shutting down");
            }
            if (session != null && session.isOpen() && !session.isClosing()) {
                return session;
            }
            if (connecting == null) {
                connecting = new CompletableFuture<>();
                ours = true;
            }
            pending = connecting;
        }
        if (ours) {
            ClientSession made = null;
            IOException failure = null;
            try {
                made = connectWithRetries();
            } catch (IOException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new IOException(e.toString(), e);
            }
            synchronized (lock) {
                connecting = null;
                if (made != null && closed) {
                    made.close(true);
                    made = null;
                    failure = new IOException("shutting down");
                }
                session = made;
            }
            if (made != null) {
                pending.complete(made);
            } else {
                pending.completeExceptionally(failure);
            }
        }
        try {
            // The attempt ends within its budget; the margin only guards against a lost wake-up.
            long wait = timing.connectBudget().plus(timing.attemptTimeout()).plusSeconds(5).toMillis();
            return pending.get(wait, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? new IOException(io.getMessage(), io)
                    : new IOException(String.valueOf(cause), cause);
        } catch (TimeoutException e) {
            throw new IOException("no ssh session to " + address + " in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the ssh session");
        }
    }

    /** Connect attempts, backing off as gvproxy does, until one succeeds or the budget is spent. */
    private ClientSession connectWithRetries() throws IOException {
        long start = System.nanoTime();
        long deadline = start + timing.connectBudget().toNanos();
        Duration backoff = ForwardTiming.FIRST_BACKOFF;
        IOException last;
        int attempts = 0;
        while (true) {
            attempts++;
            long left = deadline - System.nanoTime();
            Duration limit = Duration.ofNanos(Math.max(Math.min(left, timing.attemptTimeout().toNanos()),
                    Duration.ofMillis(500).toNanos()));
            try {
                ClientSession s = connectOnce(limit);
                long ms = (System.nanoTime() - start) / 1_000_000;
                int n = attempts;
                LOG.log(System.Logger.Level.INFO, () -> "ssh forward: connected to sshd at " + hostPort() + " as "
                        + user + (n > 1 ? " (after " + n + " attempts, " + ms + " ms)" : ""));
                s.addCloseFutureListener(f -> {
                    if (!closed) {
                        LOG.log(System.Logger.Level.INFO, "ssh forward: session to " + hostPort() + " closed;"
                                + " the next connection reconnects");
                    }
                });
                return s;
            } catch (IOException e) {
                last = e;
                int n = attempts;
                LOG.log(System.Logger.Level.DEBUG, () -> "ssh forward: waiting for sshd at " + hostPort()
                        + " (attempt " + n + "): " + e.getMessage());
            }
            if (closed) {
                throw new IOException("shutting down");
            }
            left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("cannot reach sshd at " + hostPort() + " as " + user + " (" + attempts
                        + " attempts in " + (System.nanoTime() - start) / 1_000_000 + " ms): " + last.getMessage(),
                        last);
            }
            pause(Duration.ofNanos(Math.min(backoff.toNanos(), left)));
            backoff = backoff.multipliedBy(2).compareTo(ForwardTiming.MAX_BACKOFF) > 0 ? ForwardTiming.MAX_BACKOFF
                    : backoff.multipliedBy(2);
        }
    }

    /** One TCP connect, key exchange and authentication within {@code limit}; nothing is left open on failure. */
    private ClientSession connectOnce(Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        ConnectFuture cf = client.connect(user, address);
        ClientSession s = null;
        try {
            s = cf.verify(limit).getClientSession();
            s.addPublicKeyIdentity(key);
            s.auth().verify(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            return s;
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close(true);
            } else {
                cf.cancel();
            }
            throw e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
    }

    /** Whether sshd still answers on {@code s} (any answer to a keepalive counts). */
    private boolean alive(ClientSession s) {
        if (!s.isOpen() || s.isClosing()) {
            return false;
        }
        try {
            Buffer request = s.createBuffer(SshConstants.SSH_MSG_GLOBAL_REQUEST, KEEPALIVE.length() + 16);
            request.putString(KEEPALIVE);
            request.putBoolean(true);
            s.request(KEEPALIVE, request, timing.aliveTimeout());
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Forgets {@code s} (if it is still the current session) and closes it, so the next caller reconnects. */
    private void discard(ClientSession s) {
        synchronized (lock) {
            if (session == s) {
                session = null;
            }
        }
        s.close(true);
    }

    /** Sleeps, but returns at once when this is closed. */
    private void pause(Duration d) throws IOException {
        try {
            if (closedLatch.await(d.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IOException("shutting down");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** Whether a session is established now (for tests and stats). */
    boolean connected() {
        synchronized (lock) {
            return session != null && session.isOpen() && !session.isClosing();
        }
    }

    private String hostPort() {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** Closes the session and stops MINA's client and its threads; pending and later calls fail at once. */
    @Override
    public void close() {
        ClientSession s;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            s = session;
            session = null;
        }
        closedLatch.countDown();
        if (s != null) {
            s.close(true);
        }
        try {
            client.stop();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "ssh forward: stopping the ssh client: " + e);
        }
    }
}
