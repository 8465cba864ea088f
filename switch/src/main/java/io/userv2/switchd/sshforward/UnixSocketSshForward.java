package io.userv2.switchd.sshforward;

import io.userv2.switchd.transport.UnixSocketFile;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * gvproxy's {@code -forward-sock}: a unix socket on the host whose every connection is carried over SSH to a unix
 * socket in the guest ({@code direct-streamlocal@openssh.com}, served by the guest's own sshd). Podman uses it for
 * the API socket of {@code podman machine}.
 *
 * <p>{@link #start} creates the socket file at once (mode {@code 0600}, bound under a private name and renamed into
 * place, so it is never reachable with the umask's mode; a stale file is replaced, one a live process serves is
 * refused), before the guest is up: podman starts the network before the VM. The SSH session is made on the first
 * client connection and again whenever it is found down ({@link GuestSshSession}), so a guest whose sshd comes later
 * or restarts is served without restarting us. A connection that cannot be served within the bounds of
 * {@link ForwardTiming} is closed, never left hanging. {@link #close()} closes the socket (and removes its file if it
 * is still ours), every relayed connection, the session and MINA's client.
 *
 * <p>Threads: one accept thread, and a pool of at most two per relayed connection, with at most
 * {@link ForwardTiming#maxConnections()} connections at once (one more is closed at once, with a warning); plus
 * MINA's own ({@link GuestSshSession}).
 */
public final class UnixSocketSshForward implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(UnixSocketSshForward.class.getName());
    /** Listen backlog: clients connecting in a burst wait here until accepted (podman's clients connect in bursts). */
    static final int BACKLOG = 512;
    /** Longest unix socket path Linux takes (sun_path is 108 bytes with the terminating NUL). */
    private static final int MAX_SOCKET_PATH = 107;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final SshForwardSettings settings;
    private final InetSocketAddress sshd;
    private final UnixSocketFile socketFile;
    private final ServerSocketChannel server;
    private final GuestSshSession ssh;
    private final ThreadPoolExecutor pool;
    private final Semaphore slots;
    private final Set<SocketRelay> live = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean full = new AtomicBoolean();

    private UnixSocketSshForward(SshForwardSettings settings, InetSocketAddress sshd, UnixSocketFile socketFile,
            ServerSocketChannel server, GuestSshSession ssh, ForwardTiming timing) {
        this.settings = settings;
        this.sshd = sshd;
        this.socketFile = socketFile;
        this.server = server;
        this.ssh = ssh;
        this.slots = new Semaphore(timing.maxConnections());
        // Two threads per connection, plus room for the ones still returning from a connection that just ended.
        int maxThreads = 2 * timing.maxConnections() + 8;
        this.pool = new ThreadPoolExecutor(0, maxThreads, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "userv2-ssh-forward-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "userv2-ssh-forward-accept " + settings.socket());
        this.acceptor.setDaemon(true);
    }

    /**
     * Reads the identity, creates the host socket and starts accepting; connects to sshd only when the first client
     * comes.
     *
     * @param settings the forward (from {@link SshForwardSettings#of} or {@link SshForwardSettings#fromFlags})
     * @param sshd where the guest's sshd is reached from here, e.g. a loopback port forwarded to the guest's port 22
     * @throws IOException when the key cannot be read ({@code failed to parse identity "...": ...}) or the socket
     *     cannot be created (in use by a live process, not a socket, no permission)
     */
    public static UnixSocketSshForward start(SshForwardSettings settings, InetSocketAddress sshd) throws IOException {
        return start(settings, sshd, ForwardTiming.DEFAULT);
    }

    /** {@link #start(SshForwardSettings, InetSocketAddress)} with other bounds (tests). */
    static UnixSocketSshForward start(SshForwardSettings settings, InetSocketAddress sshd, ForwardTiming timing)
            throws IOException {
        GuestSshSession.quietLibraryLogs(); // before MINA's first word (reading the key already logs)
        KeyPair key = IdentityKey.load(settings.identity());
        UnixSocketFile file = UnixSocketFile.prepare(settings.socket());
        ServerSocketChannel server = bindPrivate(file);
        GuestSshSession ssh;
        try {
            ssh = new GuestSshSession(settings.user(), key, sshd, timing);
        } catch (RuntimeException e) {
            file.closeAndRemove(server);
            throw new IOException("cannot start the ssh client: " + e.getMessage(), e);
        }
        UnixSocketSshForward forward = new UnixSocketSshForward(settings, sshd, file, server, ssh, timing);
        forward.acceptor.start();
        LOG.log(System.Logger.Level.INFO, "ssh forward: " + settings.socket() + " -> " + settings.dest()
                + " in the guest, over ssh " + settings.user() + "@" + sshd.getAddress().getHostAddress() + ":"
                + sshd.getPort());
        return forward;
    }

    /**
     * Binds and listens at the socket's path with mode 0600 from the first moment it can be reached: inside a private
     * (0700) directory beside it, then renamed into place; paths too long for that detour are bound in place and
     * chmod'ed at once.
     */
    private static ServerSocketChannel bindPrivate(UnixSocketFile file) throws IOException {
        Path socket = file.path();
        Path parent = socket.toAbsolutePath().getParent();
        Path privateDir = null;
        Path bindPath = socket;
        String name = socket.getFileName().toString();
        if ((parent + "/.sshfwd-0123456789012345/" + name).getBytes(StandardCharsets.UTF_8).length
                <= MAX_SOCKET_PATH) {
            try {
                privateDir = Files.createTempDirectory(parent, ".sshfwd-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (IOException e) {
                throw new IOException("cannot listen on " + socket + ": " + e, e);
            }
            bindPath = privateDir.resolve(name);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        boolean bound = false;
        try {
            server.bind(UnixDomainSocketAddress.of(bindPath), BACKLOG);
            bound = true;
            Files.setPosixFilePermissions(bindPath, PosixFilePermissions.fromString("rw-------"));
            if (privateDir != null) {
                Files.move(bindPath, socket, StandardCopyOption.ATOMIC_MOVE);
            }
            file.bound();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            if (privateDir == null && bound) {
                Files.deleteIfExists(bindPath);
            }
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        } finally {
            if (privateDir != null) {
                Files.deleteIfExists(bindPath);
                Files.deleteIfExists(privateDir);
            }
        }
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed.get()) {
                    return;
                }
                // EMFILE and the like: say so, and do not spin.
                LOG.log(System.Logger.Level.WARNING, "ssh forward " + settings.socket() + ": accept: " + e);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            serve(client);
        }
    }

    private void serve(SocketChannel client) {
        if (!slots.tryAcquire()) {
            if (full.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "ssh forward " + settings.socket() + ": " + live.size()
                        + " connections already; closing new ones until one ends");
            }
            closeQuietly(client);
            return;
        }
        full.set(false);
        SocketRelay[] self = new SocketRelay[1];
        SocketRelay relay = new SocketRelay(client, ssh, settings.dest(), pool, () -> {
            live.remove(self[0]);
            slots.release();
        });
        self[0] = relay;
        live.add(relay);
        if (closed.get()) {
            relay.end(true);
            return;
        }
        try {
            pool.execute(relay::run);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            relay.end(true);
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** The host socket's path. */
    public Path socket() {
        return settings.socket();
    }

    /** This forward's settings. */
    public SshForwardSettings settings() {
        return settings;
    }

    /** Where sshd is reached. */
    public InetSocketAddress sshd() {
        return sshd;
    }

    /** Client connections being relayed now (or waiting for their channel). */
    public int activeConnections() {
        return live.size();
    }

    /** Whether the SSH session is up now (it is made on demand, so false before the first client). */
    public boolean sessionUp() {
        return ssh.connected();
    }

    /**
     * Stops accepting, removes the socket file (if it is still ours), ends every relayed connection, closes the SSH
     * session and MINA's client, and stops our threads. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        socketFile.closeAndRemove(server);
        ssh.close(); // wakes relays waiting for a session
        for (SocketRelay r : live) {
            r.end(true);
        }
        pool.shutdownNow();
        try {
            acceptor.join(2000);
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "ssh forward " + settings.socket()
                        + ": relay threads still running after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(System.Logger.Level.DEBUG, "ssh forward " + settings.socket() + " closed");
    }
}
