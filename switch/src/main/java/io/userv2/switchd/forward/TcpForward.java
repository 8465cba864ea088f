package io.userv2.switchd.forward;

import io.userv2.stack.wire.IpAddress;
import io.userv2.switchd.loop.AcceptLoop;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import io.userv2.switchd.nat.NatLoop;
import io.userv2.switchd.transport.UnixSocketFile;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A stream port forward: a host listening socket (TCP, or a unix stream socket for gvproxy's {@code unix} forwards)
 * whose every accepted connection becomes a TCP connection from the gateway into the guest
 * ({@link NatLoop#openToGuest}). A unix forward's socket file replaces a stale one (never a live one or a file that
 * is not a socket) and is removed when the forward stops, at unexpose or at exit. Owned by the event loop.
 */
final class TcpForward implements IoHandler {
    private static final System.Logger LOG = System.getLogger(TcpForward.class.getName());
    private static final int BACKLOG = 128;

    final ForwardSpec spec;
    private final ServerSocketChannel server;
    private final UnixSocketFile socketFile;
    private final EventLoop loop;
    private final NatLoop nat;
    private final GuestNames names;
    /** The guest's name had no answer at the last connection (logged once until it has one again). */
    private boolean unresolved;

    private TcpForward(ForwardSpec spec, ServerSocketChannel server, UnixSocketFile socketFile, EventLoop loop,
            NatLoop nat, GuestNames names) {
        this.spec = spec;
        this.server = server;
        this.socketFile = socketFile;
        this.loop = loop;
        this.nat = nat;
        this.names = names;
    }

    /** Binds the host side; throws IOException (address in use, say) with nothing left open. */
    static TcpForward open(ForwardSpec spec, EventLoop loop, NatLoop nat, GuestNames names) throws IOException {
        UnixSocketFile file = null;
        ServerSocketChannel server;
        if (spec.local() instanceof UnixDomainSocketAddress unix) {
            file = UnixSocketFile.prepare(unix.getPath());
            server = file.bindListening(BACKLOG);
        } else {
            server = ServerSocketChannel.open();
        }
        try {
            if (file == null) {
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(spec.local(), BACKLOG);
            }
            server.configureBlocking(false);
            TcpForward f = new TcpForward(spec, server, file, loop, nat, names);
            loop.register(server, SelectionKey.OP_ACCEPT, f);
            return f;
        } catch (IOException | RuntimeException e) {
            close(server, file);
            throw e;
        }
    }

    @Override
    public void ready(SelectionKey key) {
        AcceptLoop.acceptSome(spec, server::accept, this::open);
    }

    private void open(SocketChannel client) {
        try {
            IpAddress guest = GuestNames.of(spec, names);
            if (guest == null) {
                if (!unresolved) {
                    unresolved = true;
                    LOG.log(System.Logger.Level.WARNING, spec + ": " + spec.guestHost()
                            + " is not a name the gateway knows on the LAN (yet); closed the client");
                }
                client.close();
                return;
            }
            unresolved = false;
            if (!nat.openToGuest(guest, spec.guestPort(), client)) {
                LOG.log(System.Logger.Level.WARNING, spec + ": connection limit reached; closed the client");
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, spec + ": " + e.getMessage());
            try {
                client.close();
            } catch (IOException ignored) {
                // dropping it anyway
            }
        }
    }

    /** The host address it listens on (a unix forward's socket address, or the bound IP and port). */
    java.net.SocketAddress localAddress() throws IOException {
        return server.getLocalAddress();
    }

    @Override
    public void shutdown() {
        loop.unregister(this);
        close(server, socketFile);
    }

    private static void close(ServerSocketChannel server, UnixSocketFile file) {
        if (file != null) {
            file.closeAndRemove(server);
            return;
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "forward " + spec;
    }
}
