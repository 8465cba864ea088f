package io.userv2.switchd.transport;

import io.userv2.switchd.loop.AcceptLoop;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.port.Framing;
import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.Port;
import java.io.IOException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.SelectionKey;
import java.nio.file.Path;
import java.util.List;
import org.newsclub.net.unix.AFDatagramSocket;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The bess transport: SOCK_SEQPACKET unix sockets on which one packet is one bare Ethernet frame (gvproxy
 * {@code -listen-bess}, User Mode Linux's {@code vec0:transport=bess}, slirp4netns {@code --target-type=bess}).
 *
 * <p>{@link #listen} ({@code --listen-bess unixpacket://PATH}) binds the socket and makes each accepted connection
 * its own switch port. {@link #connect} goes the other way: it attaches to a bess <em>server</em> as one port, which
 * is how slirp4netns {@code --target-type=bess} is joined to the LAN (slirp4netns listens; it does not connect).
 *
 * <p>Every connection is a {@link LinkPort} on a {@link PolledLink}, framed {@link Framing#ONE_PER_PACKET}.
 * Threads: the loop's {@link AfPoller} waits for readiness of the listening socket and of every connection;
 * accepting, reading, switching and writing happen on the event loop.
 */
public final class SeqpacketTransport {
    private static final System.Logger LOG = System.getLogger(SeqpacketTransport.class.getName());

    private final String label;
    private final AFUNIXDatagramChannel server;
    private final UnixSocketFile socketFile;
    private final AfPoller poller;
    private final EventLoop loop;
    private final PortGroup ports;
    private AfPoller.Registration registration;
    private boolean closed;
    private int accepted;

    private SeqpacketTransport(String label, AFUNIXDatagramChannel server, UnixSocketFile socketFile,
            AfPoller poller, LinkPorts maker) {
        this.label = label;
        this.server = server;
        this.socketFile = socketFile;
        this.poller = poller;
        this.loop = maker.loop();
        this.ports = new PortGroup(maker);
    }

    /**
     * Binds a SOCK_SEQPACKET socket at {@code path} (replacing a stale socket file, refusing a live one) and accepts
     * any number of peers. Call before the loop runs or on the loop thread; shuts down with the loop.
     *
     * @param maker makes each peer's port (packets longer than its maximum frame are dropped and counted)
     */
    public static SeqpacketTransport listen(Path path, LinkPorts maker) throws IOException {
        UnixSocketFile file = SocketFiles.prepare(path, AFSocketType.SOCK_SEQPACKET);
        AFUNIXDatagramChannel ch = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        AfPoller poller = null;
        try {
            ch.setDeleteOnClose(false); // UnixSocketFile removes it, if it is still ours
            ch.bind(AFUNIXSocketAddress.of(path));
            file.bound();
            ch.socket().listen(128);
            ch.configureBlocking(false);
            poller = AfPoller.of(maker.loop());
        } catch (IOException | RuntimeException e) {
            file.closeAndRemove(ch);
            throw e;
        }
        SeqpacketTransport t = new SeqpacketTransport("unixpacket://" + path, ch, file, poller, maker);
        t.registration = poller.register(ch, SelectionKey.OP_READ, t::acceptReady);
        maker.loop().onShutdown(t::shutdown);
        LOG.log(System.Logger.Level.INFO, "listening on unixpacket://" + path);
        return t;
    }

    /**
     * Connects to the bess server at {@code path} (slirp4netns {@code --target-type=bess PATH}, say) and attaches
     * that connection as one port. When the server hangs up the port closes and the transport stays idle until
     * {@link #shutdown()}. Call before the loop runs or on the loop thread; shuts down with the loop.
     */
    public static SeqpacketTransport connect(Path path, LinkPorts maker) throws IOException {
        AFUNIXDatagramChannel ch = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        AfPoller poller;
        try {
            ch.connect(AFUNIXSocketAddress.of(path));
            poller = AfPoller.of(maker.loop());
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        SeqpacketTransport t = new SeqpacketTransport("bess-client:" + path, null, null, poller, maker);
        try {
            t.attach(ch);
        } catch (IOException | RuntimeException e) {
            t.shutdown();
            throw e;
        }
        maker.loop().onShutdown(t::shutdown);
        return t;
    }

    /** The ports of the current connections (loop thread only). */
    public List<Port> ports() {
        return ports.list();
    }

    private void acceptReady(int readyOps) {
        if (closed) {
            return;
        }
        if ((readyOps & AfPoller.HANGUP) != 0 || !server.isOpen()) {
            LOG.log(System.Logger.Level.ERROR, label + ": listening socket failed; no more bess connections");
            shutdown();
            return;
        }
        AcceptLoop.acceptSome(label, this::acceptOne, s -> {
            try {
                attach((AFUNIXDatagramChannel) s.getChannel());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, label + ": could not attach a connection: " + e.getMessage());
                s.close();
            }
        });
        registration.arm(SelectionKey.OP_READ);
    }

    private AFDatagramSocket<AFUNIXSocketAddress> acceptOne() throws IOException {
        try {
            return server.socket().accept();
        } catch (IllegalBlockingModeException nothingPending) {
            return null; // junixsocket's way of saying EAGAIN on a non-blocking accept
        }
    }

    private void attach(AFUNIXDatagramChannel ch) throws IOException {
        ports.start(label + "#" + (++accepted), new PolledLink(ch, null, poller), Framing.ONE_PER_PACKET, "");
    }

    /** Closes every connection and the listening socket and removes the socket file; loop thread (idempotent). */
    public void shutdown() {
        if (closed) {
            return;
        }
        closed = true;
        ports.shutdown();
        if (registration != null) {
            registration.close();
        }
        if (server != null) {
            socketFile.closeAndRemove(server); // a listener: connect() has neither
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
