package io.userv2.switchd.transport;

import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.loop.AcceptLoop;
import io.userv2.switchd.loop.IoHandler;
import io.userv2.switchd.port.Framing;
import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.SelectorLink;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Accepts VM connections on one listening stream socket (unix or TCP) speaking the QEMU stream protocol and
 * attaches each as a {@link LinkPort} on a {@link SelectorLink}, framed {@link Framing#LENGTH_PREFIXED}. Any number
 * of VMs may connect. Owned by the event loop.
 */
public final class StreamListener implements IoHandler {
    private static final System.Logger LOG = System.getLogger(StreamListener.class.getName());
    /** Socket buffer size asked for on each VM connection: room for many large frames per system call. */
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    /** Connections the kernel completes before the loop accepts them (VMs starting together; see EarlyListeners). */
    static final int BACKLOG = 128;

    private final ListenAddress address;
    private final ServerSocketChannel server;
    private final UnixSocketFile socketFile;
    private final LinkPorts maker;
    private int accepted;

    private StreamListener(ListenAddress address, ServerSocketChannel server, UnixSocketFile socketFile,
            LinkPorts maker) {
        this.address = address;
        this.server = server;
        this.socketFile = socketFile;
        this.maker = maker;
    }

    /**
     * Binds {@code address} (replacing a stale unix socket file), or takes the socket {@link EarlyListeners} bound for
     * it at start-up, and registers for accepting.
     *
     * @param maker makes each connection's port (a length prefix above its maximum frame closes that connection)
     */
    public static StreamListener open(ListenAddress address, LinkPorts maker) throws IOException {
        ServerSocketChannel server;
        UnixSocketFile file = null;
        EarlyListeners.Bound early = address instanceof ListenAddress.Unix unix ? EarlyListeners.take(unix.path()) : null;
        if (early != null) {
            server = early.channel();
            file = early.file();
        } else if (address instanceof ListenAddress.Unix unix) {
            file = UnixSocketFile.prepare(unix.path());
            server = file.bindListening(BACKLOG);
        } else {
            ListenAddress.Tcp tcp = (ListenAddress.Tcp) address;
            server = ServerSocketChannel.open();
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(tcp.address(), BACKLOG);
            if (tcp.address().getPort() == 0) {
                java.net.InetSocketAddress actual = (java.net.InetSocketAddress) server.getLocalAddress();
                address = new ListenAddress.Tcp(actual);
            }
        }
        server.configureBlocking(false);
        StreamListener l = new StreamListener(address, server, file, maker);
        maker.loop().register(server, SelectionKey.OP_ACCEPT, l);
        return l;
    }

    /** The address actually bound (with the real port for {@code tcp://...:0}). */
    public ListenAddress address() {
        return address;
    }

    @Override
    public void ready(SelectionKey key) {
        AcceptLoop.acceptSome(address, server::accept, this::attach);
    }

    private void attach(SocketChannel ch) {
        String name = address + "#" + (++accepted);
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            if (address instanceof ListenAddress.Tcp) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            maker.make(name, SelectorLink.of(maker.loop(), ch), Framing.LENGTH_PREFIXED, closed -> { }).start();
            LOG.log(System.Logger.Level.INFO, name + " connected");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, name + ": could not attach: " + e.getMessage());
            try {
                ch.close();
            } catch (IOException ignored) {
                // dropping it anyway
            }
        }
    }

    @Override
    public void shutdown() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (socketFile != null) {
            socketFile.remove();
        }
    }

    @Override
    public String toString() {
        return "listener " + address;
    }
}
