package io.userv2.switchd.api;

import io.userv2.switchd.transport.UnixSocketFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.HostPort;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The HTTP API served on a unix socket ({@code --api PATH}) with Jetty: HTTP/1.1, JSON bodies, the calls Lima and
 * gvproxy clients make (see {@link ApiRoutes}).
 *
 * <p>The socket file is mode {@code 0600} from the moment it can be reached: it is bound inside a private directory,
 * made 0600 there and renamed into place (for paths too long for that detour it is chmod'ed right after binding). A
 * stale socket file is replaced and one a live process serves is refused ({@link UnixSocketFile}); the file is
 * removed on {@link #close()}.
 *
 * <p>One client cannot hold the API for the others: a connection must send a complete request head within
 * {@link #REQUEST_TIMEOUT} of connecting (or of its previous answer) or it is closed, whether it sends nothing or
 * trickles bytes ({@code RequestDeadline}); up to {@value #MAX_CONNECTIONS} connections are served at once and
 * {@value #ACCEPT_QUEUE} more wait in the listen backlog, so hundreds of clients connecting non-blocking at the same
 * moment (as Lima's and podman's Go clients do) are all accepted instead of failing with EAGAIN. A few daemon threads
 * (at most {@value #MAX_THREADS}, plus one scheduler thread) serve them all: no handler blocks a thread on a client
 * (bodies are read asynchronously, wait_port polls on the scheduler), so a thread is busy only while a call runs.
 * Request heads are limited to {@value #MAX_HEADER_BYTES} bytes (431 beyond), bodies to {@value #MAX_BODY_BYTES}
 * bytes (413 beyond), and a connection silent mid-body, or not reading its answer, for {@link #IDLE_TIMEOUT} is
 * closed; a long poll (wait_port) is exempt from both timeouts while it waits.
 */
public final class ApiServer implements AutoCloseable {
    /** The largest request body accepted. */
    public static final int MAX_BODY_BYTES = 64 * 1024;
    /** The largest request head (request line plus headers) accepted. */
    public static final int MAX_HEADER_BYTES = 8 * 1024;
    /**
     * Connections served at once; more wait in the listen backlog. Hundreds of clients (one per VM, port forward or
     * CLI call) must fit, while a runaway client cannot take every file descriptor the switch needs for its VMs and
     * NAT flows (the JVM raises the soft RLIMIT_NOFILE to the hard limit at start). An idle connection costs about
     * 4 KiB of heap (measured with 1000 of them) and no thread: Jetty holds no read buffer on a connection with
     * nothing to read.
     */
    public static final int MAX_CONNECTIONS = 1024;
    /**
     * The listen backlog: connects the kernel completes before Jetty accepts them. A non-blocking connect to a unix
     * socket whose backlog is full fails at once with EAGAIN (there is no SYN retry as with TCP), so a burst of
     * clients needs room here. Jetty passes the number to {@code listen(2)} as is; Linux caps it at
     * {@code net.core.somaxconn} (4096 by default since 5.4, 128 before; per network namespace).
     */
    public static final int ACCEPT_QUEUE = 1024;
    /**
     * Threads in the server's pool, one acceptor and one selector among them. Calls are short (a look at the
     * switch through its loop) and none waits on a client, so six workers answer hundreds of queued requests
     * quickly (500 clients at once in well under a second in the tests); more threads would only cost memory.
     */
    public static final int MAX_THREADS = 8;
    /**
     * How long a connection may take to send a complete request head, from its connect or from the end of its
     * previous answer. Clients send the whole head in one write right after connecting; a few seconds allows for a
     * loaded host.
     */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long a connection may stay silent mid-body, or leave its answer unread, before it is closed. Longer than
     * the control plane's own 5 s wait for the switch, so that wait answers 503 itself.
     */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

    private static final System.Logger LOG = System.getLogger(ApiServer.class.getName());
    /** Jetty logs every start and stop at INFO; the daemon says "api: serving on" itself. Held so it stays set. */
    private static final java.util.logging.Logger JETTY_LOG = java.util.logging.Logger.getLogger("org.eclipse.jetty");

    private final Server server;
    private final UnixSocketFile socketFile;
    private final AtomicInteger activeWaits;
    private final RequestDeadline deadline;

    private ApiServer(Server server, UnixSocketFile socketFile, AtomicInteger activeWaits, RequestDeadline deadline) {
        this.server = server;
        this.socketFile = socketFile;
        this.activeWaits = activeWaits;
        this.deadline = deadline;
    }

    /** Longest unix socket path Linux takes (sun_path is 108 bytes with the terminating NUL). */
    private static final int MAX_SOCKET_PATH = 107;

    /**
     * Binds {@code socket} and serves the API for {@code plane} until {@link #close()}.
     *
     * @throws IOException when the path is served by a live process, is not a socket, or cannot be bound or chmod'ed
     */
    public static ApiServer start(ControlPlane plane, Path socket) throws IOException {
        return start(plane, socket, ApiLimits.DEFAULT);
    }

    /** {@link #start(ControlPlane, Path)} with other limits (for tests). */
    static ApiServer start(ControlPlane plane, Path socket, ApiLimits limits) throws IOException {
        if (JETTY_LOG.getLevel() == null) {
            JETTY_LOG.setLevel(java.util.logging.Level.WARNING);
        }
        UnixSocketFile socketFile = UnixSocketFile.prepare(socket);

        QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), 2);
        threads.setName("userv2-api");
        threads.setDaemon(true);
        threads.setReservedThreads(0);
        ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("userv2-api-scheduler", true);
        Server server = new Server(threads, scheduler, null);
        server.setStopAtShutdown(false);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        // A unix socket has no host:port; HTTP/1.0 requests without a Host header would otherwise be refused, and
        // requests with an empty one (EmptyHostTolerance) are taken as addressed to it.
        http.setServerAuthority(new HostPort("localhost"));
        // Call the handler as soon as the head is complete, so the head's deadline ends there; bodies are read
        // asynchronously and watched by the idle timeout.
        http.setDelayDispatchUntilContent(false);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server, 1, 1,
                new EmptyHostTolerance(http));
        // Bind inside a private (0700) directory, make the socket 0600 there, then rename it into place: the socket
        // is never reachable with the umask's mode. Falls back to binding in place when the path would be too long.
        Path privateDir = null;
        Path bindPath = socket;
        Path parent = socket.toAbsolutePath().getParent();
        if (parent.toString().length() + 24 + socket.getFileName().toString().length() < MAX_SOCKET_PATH) {
            privateDir = Files.createTempDirectory(parent, ".api-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            bindPath = privateDir.resolve(socket.getFileName());
        }
        connector.setUnixDomainPath(bindPath);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(limits.acceptQueue());
        RequestDeadline deadline = new RequestDeadline(scheduler, limits.requestTimeout().toMillis());
        connector.addEventListener(deadline);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));

        server.setErrorHandler(new PlainErrorHandler());
        AtomicInteger activeWaits = new AtomicInteger();
        ApiHandler api = new ApiHandler(ApiRoutes.create(plane, scheduler, threads, activeWaits), MAX_BODY_BYTES,
                plane, threads);
        server.setHandler(deadline.wrap(new SizeLimitHandler(MAX_BODY_BYTES, -1) {
            {
                setHandler(api);
            }
        }));

        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            throw new IOException("cannot serve the API on " + socket + ": " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(bindPath, PosixFilePermissions.fromString("rw-------"));
            if (privateDir != null) {
                Files.move(bindPath, socket, StandardCopyOption.ATOMIC_MOVE);
            }
            socketFile.bound();
        } catch (IOException | UnsupportedOperationException e) {
            stopQuietly(server);
            socketFile.remove();
            throw new IOException("cannot make the API socket " + socket + " private: " + e.getMessage(), e);
        } finally {
            if (privateDir != null) {
                Files.deleteIfExists(bindPath);
                Files.deleteIfExists(privateDir);
            }
        }
        // DEBUG, and not "listening on": that phrase announces VM sockets (scripts and tests wait for it); the
        // daemon says "api: serving on" itself.
        LOG.log(System.Logger.Level.DEBUG, "HTTP API serving on " + socket);
        return new ApiServer(server, socketFile, activeWaits, deadline);
    }

    /** The socket file's path. */
    public Path path() {
        return socketFile.path();
    }

    /** The wait_port calls now waiting for their port. */
    public int activeWaits() {
        return activeWaits.get();
    }

    /** The connections closed so far because their request head did not come within the request timeout. */
    long requestTimeouts() {
        return deadline.expired();
    }

    /** Stops serving (pending calls are cut), releases the threads and removes the socket file. */
    @Override
    public void close() {
        stopQuietly(server);
        socketFile.remove();
    }

    private static void stopQuietly(Server server) {
        try {
            server.setStopTimeout(0);
            server.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the HTTP API: " + e);
        }
    }
}
