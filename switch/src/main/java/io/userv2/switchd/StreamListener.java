package io.userv2.switchd;

import io.netty.buffer.ByteBufAllocator;
import io.userv2.switchd.port.FrameDecoder;
import io.userv2.switchd.port.StreamPort;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Accepts VM connections on one listening stream socket (unix or TCP) and attaches each as a {@link StreamPort}.
 * Any number of VMs may connect. Owned by the event loop.
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
    private final EventLoop loop;
    private final LearningSwitch sw;
    private final FrameDecoder decoder;
    private final ByteBufAllocator alloc;
    private final int egressLimit;
    private int accepted;

    private StreamListener(ListenAddress address, ServerSocketChannel server, UnixSocketFile socketFile,
            EventLoop loop, LearningSwitch sw, FrameDecoder decoder, ByteBufAllocator alloc, int egressLimit) {
        this.address = address;
        this.server = server;
        this.socketFile = socketFile;
        this.loop = loop;
        this.sw = sw;
        this.decoder = decoder;
        this.alloc = alloc;
        this.egressLimit = egressLimit;
    }

    /**
     * Binds {@code address} (replacing a stale unix socket file), or takes the socket {@link EarlyListeners} bound for
     * it at start-up, and registers for accepting.
     */
    public static StreamListener open(ListenAddress address, EventLoop loop, LearningSwitch sw, FrameDecoder decoder,
            ByteBufAllocator alloc, int egressLimit) throws IOException {
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
        StreamListener l = new StreamListener(address, server, file, loop, sw, decoder, alloc, egressLimit);
        loop.register(server, SelectionKey.OP_ACCEPT, l);
        return l;
    }

    /** The address actually bound (with the real port for {@code tcp://...:0}). */
    public ListenAddress address() {
        return address;
    }

    @Override
    public void ready(SelectionKey key) {
        for (int i = 0; i < 16; i++) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, address + ": accept failed: " + e.getMessage());
                return;
            }
            if (ch == null) {
                return;
            }
            attach(ch);
        }
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
            StreamPort port = new StreamPort(name, ch, loop, sw, decoder, alloc, egressLimit, () -> { });
            port.register();
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
