package io.userv2.switchd.transport;

import io.userv2.switchd.loop.AcceptLoop;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.port.Framing;
import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.Port;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Lima's fd socket ({@code limactl usernet --listen FD_SOCK}, used with the vz driver): a SOCK_STREAM unix listener
 * on which each client sends one message carrying, by SCM_RIGHTS, one end of a SOCK_DGRAM socketpair (Lima sends it
 * with Go's {@code syscall.Sendmsg}, which adds a one-byte dummy payload on stream sockets; any payload is ignored).
 * The passed socket then becomes a switch port on which every datagram is one bare Ethernet frame; the stream
 * connection has done its job and is closed.
 *
 * <p>A connection that ends, or sends more than {@link #MAX_HANDSHAKE_BYTES} bytes, without passing a descriptor is
 * dropped. The datagram peer going away is noticed at the next send to it ("connection refused"): a socketpair end
 * reports nothing when its other end closes.
 *
 * <p>Each passed socket is a {@link LinkPort} on a {@link PolledLink}, framed {@link Framing#ONE_PER_PACKET}.
 * Threads: the loop's {@link AfPoller} waits for readiness; accepting, reading, switching and writing happen on the
 * event loop. Receiving the descriptor happens on a short-lived handshake thread per connection (blocking,
 * with a timeout, at most {@link #MAX_PENDING} at once), which hands it to the loop with {@link EventLoop#execute}.
 */
public final class FdPassingTransport {
    private static final System.Logger LOG = System.getLogger(FdPassingTransport.class.getName());
    /** Payload bytes tolerated on a connection before its descriptor arrives. */
    static final int MAX_HANDSHAKE_BYTES = 1024;
    /** Connections at once still waiting to pass their descriptor; more are refused. */
    static final int MAX_PENDING = 64;
    /** How long a connection may take to pass its descriptor. */
    static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final Path path;
    private final AFUNIXServerSocketChannel server;
    private final UnixSocketFile socketFile;
    private final AfPoller poller;
    private final EventLoop loop;
    private final ExecutorService handshakers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "userv2-fd-handshake");
        t.setDaemon(true);
        return t;
    });
    private final PortGroup ports;
    private AfPoller.Registration registration;
    private boolean closed;
    private int accepted;
    private int handshakes;
    private long handshakeFailures;

    /**
     * Reads one connection's descriptor, blocking with a timeout, on a handshake thread. Not through the poller: when
     * a client sends and closes at once, poll(2) reports the hang-up with the data and junixsocket's selector closes
     * the channel before the descriptor could be read.
     */
    private void handshake(AFUNIXSocketChannel channel) {
        AFUNIXDatagramChannel passed = null;
        String failure = null;
        try {
            channel.configureBlocking(true);
            channel.socket().setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
            ByteBuffer buf = ByteBuffer.allocate(256);
            int bytes = 0;
            while (failure == null && passed == null) {
                buf.clear();
                int n = channel.read(buf);
                FileDescriptor[] fds = channel.getReceivedFileDescriptors();
                if (fds != null && fds.length > 0) {
                    for (int i = 1; i < fds.length; i++) {
                        closeQuietly(fds[i]); // one socket per connection; extra ones are not ours to keep
                    }
                    try {
                        // junixsocket closes received descriptors together with the connection: keep a duplicate
                        // (which the port closes itself: a channel made by a cast leaves its descriptor open).
                        passed = FileDescriptorCast.duplicating(fds[0]).as(AFUNIXDatagramChannel.class);
                    } catch (IOException | RuntimeException e) {
                        closeQuietly(fds[0]);
                        failure = "passed descriptor is not a unix socket: " + e;
                    }
                } else if (n < 0) {
                    failure = "closed without passing a socket";
                } else if ((bytes += n) > MAX_HANDSHAKE_BYTES) {
                    failure = bytes + " bytes without a socket";
                }
            }
        } catch (IOException e) {
            failure = "no socket passed: " + e;
        } finally {
            closeQuietly(channel); // the connection has done its job either way
        }
        AFUNIXDatagramChannel dgram = passed;
        String why = failure;
        loop.execute(() -> {
            handshakes--;
            if (why != null) {
                handshakeFailures++;
                LOG.log(System.Logger.Level.WARNING, path + ": dropped a connection: " + why);
            } else {
                attachPassed(dgram);
            }
        });
    }

    private void attachPassed(AFUNIXDatagramChannel dgram) {
        if (closed) {
            closeCast(dgram);
            return;
        }
        String name = "fd:" + path + "#" + (++accepted);
        FileDescriptor fd;
        try {
            fd = dgram.getFileDescriptor();
        } catch (IOException e) {
            closeQuietly(dgram);
            return;
        }
        try {
            ports.start(name, new PolledLink(dgram, fd, poller), Framing.ONE_PER_PACKET,
                    " (datagram socket passed by fd)");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, name + ": could not attach: " + e.getMessage());
        }
    }

    private FdPassingTransport(Path path, AFUNIXServerSocketChannel server, UnixSocketFile socketFile,
            AfPoller poller, LinkPorts maker) {
        this.path = path;
        this.server = server;
        this.socketFile = socketFile;
        this.poller = poller;
        this.loop = maker.loop();
        this.ports = new PortGroup(maker);
    }

    /**
     * Binds the stream socket at {@code path} (replacing a stale socket file, refusing a live one) and starts
     * accepting. Call before the loop runs or on the loop thread; shuts down with the loop.
     *
     * @param maker makes each peer's port (datagrams longer than its maximum frame are dropped and counted)
     */
    public static FdPassingTransport open(Path path, LinkPorts maker) throws IOException {
        UnixSocketFile file = UnixSocketFile.prepare(path);
        AFUNIXServerSocketChannel ch = AFUNIXServerSocketChannel.open();
        AfPoller poller;
        try {
            ch.bind(AFUNIXSocketAddress.of(path), 64);
            file.bound();
            ch.configureBlocking(false);
            poller = AfPoller.of(maker.loop());
        } catch (IOException | RuntimeException e) {
            file.closeAndRemove(ch);
            throw e;
        }
        FdPassingTransport t = new FdPassingTransport(path, ch, file, poller, maker);
        t.registration = poller.register(ch, SelectionKey.OP_ACCEPT, t::acceptReady);
        maker.loop().onShutdown(t::shutdown);
        LOG.log(System.Logger.Level.INFO, "listening for passed sockets on " + path);
        return t;
    }

    /** The socket path. */
    public Path path() {
        return path;
    }

    /** The ports of the passed sockets currently attached (loop thread only). */
    public List<Port> ports() {
        return ports.list();
    }

    /** Connections dropped before or while passing their socket. */
    public long handshakeFailures() {
        return handshakeFailures;
    }

    private void acceptReady(int readyOps) {
        if (closed) {
            return;
        }
        if ((readyOps & AfPoller.HANGUP) != 0 || !server.isOpen()) {
            LOG.log(System.Logger.Level.ERROR, path + ": listening socket failed; no more fd connections");
            shutdown();
            return;
        }
        AcceptLoop.acceptSome(path, server::accept, this::startHandshake);
        registration.arm(SelectionKey.OP_ACCEPT);
    }

    private void startHandshake(AFUNIXSocketChannel c) {
        if (handshakes >= MAX_PENDING) {
            handshakeFailures++;
            LOG.log(System.Logger.Level.WARNING, path + ": too many connections waiting to pass a socket");
            closeQuietly(c);
            return;
        }
        try {
            c.setAncillaryReceiveBufferSize(1024);
        } catch (RuntimeException e) {
            closeQuietly(c);
            return;
        }
        handshakes++;
        handshakers.execute(() -> handshake(c));
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    private static void closeCast(AFUNIXDatagramChannel dgram) {
        FileDescriptor fd = null;
        try {
            fd = dgram.getFileDescriptor();
        } catch (IOException ignored) {
            // closing anyway
        }
        closeQuietly(dgram);
        if (fd != null) {
            PolledLink.closeDescriptor(fd);
        }
    }

    private static void closeQuietly(FileDescriptor fd) {
        try {
            FileDescriptorCast.using(fd).as(java.io.FileInputStream.class).close();
        } catch (IOException | RuntimeException ignored) {
            // nothing more to do
        }
    }

    /** Closes every passed socket, pending connection and the listener, and removes the socket file (idempotent). */
    public void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        handshakers.shutdownNow(); // a blocked handshake ends at its timeout; its descriptor is then closed
        ports.shutdown();
        if (registration != null) {
            registration.close();
        }
        socketFile.closeAndRemove(server);
    }

    @Override
    public String toString() {
        return "fd socket " + path;
    }
}
