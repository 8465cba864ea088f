package io.userv2.switchd.api;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.MemoryConnector;
import org.eclipse.jetty.server.ProxyConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.HostPort;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The API guests reach at the gateway's port 80, as gvproxy serves it there: only {@code GET /services/forwarder/all}
 * and {@code POST /services/forwarder/expose|unexpose} ({@link ApiRoutes#forwarder}), every other path 404. An
 * expose whose remote leaves the host out ({@code "remote": ":8080"}) forwards to the calling guest.
 *
 * <p>No socket: Jetty serves on an in-memory connector, and the NAT relays each guest connection to a fresh
 * in-memory connection ({@link #connect}). The relay first writes a PROXY protocol v1 line naming the guest's
 * address and port (HAProxy's PROXY protocol, which Jetty's {@link ProxyConnectionFactory} reads), so the calls see
 * the guest as their remote address. Nothing outside the process can reach it.
 *
 * <p>Off unless asked for ({@code --guest-api}; gvproxy always serves it): with it any guest can make the host
 * listen on its ports and socket paths. Limits as on the unix socket: a request head within
 * {@link ApiServer#REQUEST_TIMEOUT}, bodies up to {@link ApiServer#MAX_BODY_BYTES}, idle connections closed after
 * {@link ApiServer#IDLE_TIMEOUT}; a few daemon threads.
 */
public final class GuestApiServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GuestApiServer.class.getName());
    private static final int MAX_THREADS = 4;

    private final Server server;
    private final MemoryConnector connector;

    private GuestApiServer(Server server, MemoryConnector connector) {
        this.server = server;
        this.connector = connector;
    }

    /** Serves the guest API for {@code plane} until {@link #close()}. */
    public static GuestApiServer start(ControlPlane plane) throws IOException {
        return start(plane, ApiServer.REQUEST_TIMEOUT);
    }

    /** {@link #start(ControlPlane)} with another request-head deadline (for tests). */
    static GuestApiServer start(ControlPlane plane, Duration requestTimeout) throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 1);
        threads.setName("userv2-guest-api");
        threads.setDaemon(true);
        threads.setReservedThreads(0);
        ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("userv2-guest-api-scheduler", true);
        Server server = new Server(threads, scheduler, null);
        server.setStopAtShutdown(false);

        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setRequestHeaderSize(ApiServer.MAX_HEADER_BYTES);
        http.setServerAuthority(new HostPort("gateway"));
        http.setDelayDispatchUntilContent(false);
        MemoryConnector connector = new MemoryConnector(server, new ProxyConnectionFactory(),
                new HttpConnectionFactory(http));
        connector.setIdleTimeout(ApiServer.IDLE_TIMEOUT.toMillis());
        RequestDeadline deadline = new RequestDeadline(scheduler, requestTimeout.toMillis());
        connector.addEventListener(deadline);
        server.addConnector(connector);
        server.setErrorHandler(new PlainErrorHandler());
        ApiHandler api = new ApiHandler(ApiRoutes.forwarder(plane), ApiServer.MAX_BODY_BYTES);
        server.setHandler(deadline.wrap(new SizeLimitHandler(ApiServer.MAX_BODY_BYTES, -1) {
            {
                setHandler(api);
            }
        }));
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            throw new IOException("cannot serve the guest API: " + e.getMessage(), e);
        }
        return new GuestApiServer(server, connector);
    }

    /**
     * A new connection for a guest at {@code guest} that connected to {@code local}: the client end, on which the
     * PROXY line has already been written. The caller relays the guest's bytes into it and closes it.
     */
    public EndPoint connect(InetSocketAddress guest, InetSocketAddress local) throws IOException {
        if (!server.isRunning()) {
            throw new IOException("the guest API is stopped");
        }
        EndPoint client = connector.connect().getLocalEndPoint();
        // PROXY protocol v1: "PROXY TCP4 <src> <dst> <srcport> <dstport>\r\n" (haproxy.org proxy-protocol.txt 2.1).
        String line = "PROXY TCP4 " + guest.getAddress().getHostAddress() + " " + local.getAddress().getHostAddress()
                + " " + guest.getPort() + " " + local.getPort() + "\r\n";
        if (!client.flush(ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII)))) {
            client.close();
            throw new IOException("the in-memory connection did not take the PROXY line");
        }
        return client;
    }

    /** Stops serving: open connections are cut. */
    @Override
    public void close() {
        stopQuietly(server);
    }

    private static void stopQuietly(Server server) {
        try {
            server.setStopTimeout(0);
            server.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the guest API: " + e);
        }
    }
}
