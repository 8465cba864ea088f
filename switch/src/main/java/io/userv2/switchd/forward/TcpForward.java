package io.userv2.switchd.forward;

import io.userv2.switchd.loop.AcceptLoop;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import io.userv2.switchd.nat.NatLoop;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A TCP port forward: a host listening socket whose every accepted connection becomes a connection from the
 * gateway into the guest ({@link NatLoop#openToGuest}). Owned by the event loop.
 */
final class TcpForward implements IoHandler {
    private static final System.Logger LOG = System.getLogger(TcpForward.class.getName());

    final ForwardSpec spec;
    private final ServerSocketChannel server;
    private final EventLoop loop;
    private final NatLoop nat;

    private TcpForward(ForwardSpec spec, ServerSocketChannel server, EventLoop loop, NatLoop nat) {
        this.spec = spec;
        this.server = server;
        this.loop = loop;
        this.nat = nat;
    }

    /** Binds the host side; throws IOException (address in use, say) with nothing left open. */
    static TcpForward open(ForwardSpec spec, EventLoop loop, NatLoop nat) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(spec.local(), 128);
            server.configureBlocking(false);
            TcpForward f = new TcpForward(spec, server, loop, nat);
            loop.register(server, SelectionKey.OP_ACCEPT, f);
            return f;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    @Override
    public void ready(SelectionKey key) {
        AcceptLoop.acceptSome(spec, server::accept, this::open);
    }

    private void open(SocketChannel client) {
        try {
            if (!nat.openToGuest(spec.guest(), spec.guestPort(), client)) {
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

    @Override
    public void shutdown() {
        loop.unregister(this);
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
