package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.IoHandler;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * A guest TCP connection relayed to a host socket. Bytes move only as fast as both ends take them: host data is read
 * only while the guest connection's send buffer has room (so a slow guest stops us reading the host socket), and
 * guest data is taken out of the connection's receive buffer only as the host socket accepts it (so a slow host
 * closes the guest's window). Half-close is kept in both directions.
 */
final class HostTcpFlow extends TcpFlow implements IoHandler {
    private static final System.Logger LOG = System.getLogger(HostTcpFlow.class.getName());
    /** Most bytes moved from the host into the connection per read. */
    private static final int READ_CHUNK = 256 * 1024;

    private final SocketChannel channel;
    private final TcpNat nat;
    private final ByteBufAllocator alloc;
    private final long dialDeadline;
    private SelectionKey key;
    private boolean connecting;
    private boolean hostReadable;
    private boolean hostEof;
    private boolean hostOutputShut;
    private boolean channelClosed;
    private ByteBuf toHost;
    private int interest = -1;

    HostTcpFlow(TcpConnection conn, MacAddress guestMac, SocketChannel channel, TcpNat nat, ByteBufAllocator alloc,
            long dialDeadline) {
        super(conn, guestMac);
        this.channel = channel;
        this.nat = nat;
        this.alloc = alloc;
        this.dialDeadline = dialDeadline;
    }

    /** Registers with the loop; {@code connected} when connect() completed at once (loopback often does). */
    void register(boolean connected, long now) throws IOException {
        key = nat.loop().register(channel, connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
        interest = key.interestOps();
        connecting = !connected;
        if (connected) {
            conn.accept(now);
        }
    }

    /** Registers a host socket that is already connected (a port forward's accepted client) for reading. */
    void registerConnected() throws IOException {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        key = nat.loop().register(channel, SelectionKey.OP_READ, this);
        interest = key.interestOps();
        connecting = false;
    }

    @Override
    long deadline() {
        return connecting ? dialDeadline : Long.MAX_VALUE;
    }

    @Override
    public void ready(SelectionKey k) {
        long now = System.nanoTime();
        if (!k.isValid() || finished) {
            return;
        }
        if (connecting && k.isConnectable()) {
            try {
                channel.finishConnect();
                connecting = false;
                conn.accept(now);
            } catch (IOException e) {
                connecting = false;
                dialFailed(e, now);
            }
        } else if (k.isReadable()) {
            hostReadable = true;
        }
        nat.touch(this); // runs at the end of this loop iteration
    }

    private void dialFailed(IOException e, long now) {
        LOG.log(System.Logger.Level.DEBUG, conn.key() + ": host connect failed: " + e);
        closeChannel(false);
        if (e instanceof ConnectException) {
            conn.refuse(now); // the host said no: RST to the guest's SYN
        } else {
            nat.finish(conn.key(), false); // unreachable: say nothing, the guest's SYN times out
        }
    }

    @Override
    void pump(long now) {
        if (connecting) {
            if (now - dialDeadline >= 0) {
                LOG.log(System.Logger.Level.DEBUG, conn.key() + ": host connect timed out");
                nat.finish(conn.key(), false);
            }
            return;
        }
        if (channelClosed) {
            return;
        }
        try {
            guestToHost();
            hostToGuest();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, conn.key() + ": host socket: " + e.getMessage());
            closeChannel(true);
            conn.abort(); // RST to the guest
            return;
        }
        if (hostEof && hostOutputShut && toHost == null) {
            closeChannel(false); // both directions done on the host side
            return;
        }
        updateInterest();
    }

    private void guestToHost() throws IOException {
        while (true) {
            if (toHost == null) {
                int available = conn.readableBytes();
                if (available == 0) {
                    break;
                }
                toHost = conn.recv(available);
            }
            toHost.readBytes(channel, toHost.readableBytes());
            if (toHost.isReadable()) {
                break; // the host socket is full: OP_WRITE brings us back
            }
            toHost.release();
            toHost = null;
        }
        if (toHost == null && conn.isRecvFinished() && !hostOutputShut) {
            channel.shutdownOutput(); // the guest's FIN, passed on
            hostOutputShut = true;
        }
    }

    private void hostToGuest() throws IOException {
        ByteBuf buf = null;
        try {
            while (hostReadable && !hostEof) {
                int room = Math.min(conn.sendCapacity(), READ_CHUNK);
                if (room == 0) {
                    break;
                }
                if (buf == null) {
                    buf = alloc.directBuffer(room);
                }
                buf.clear();
                int n = buf.writeBytes(channel, Math.min(room, buf.capacity()));
                if (n < 0) {
                    hostEof = true;
                    conn.shutdownSend(); // the host's FIN, passed on after the buffered data
                    break;
                }
                if (n > 0) {
                    conn.send(buf);
                }
                if (n < Math.min(room, buf.capacity())) {
                    hostReadable = false; // drained what the socket had
                }
            }
        } finally {
            if (buf != null) {
                buf.release();
            }
        }
    }

    private void updateInterest() {
        int want = 0;
        if (!hostEof && conn.sendCapacity() > 0 && !hostReadable) {
            want |= SelectionKey.OP_READ;
        }
        if (toHost != null) {
            want |= SelectionKey.OP_WRITE;
        }
        if (want != interest && key.isValid()) {
            key.interestOps(want);
            interest = want;
        }
    }

    @Override
    void closeOtherEnd(boolean reset) {
        closeChannel(reset);
    }

    private void closeChannel(boolean reset) {
        if (channelClosed) {
            return;
        }
        channelClosed = true;
        if (key != null) {
            key.cancel();
        }
        nat.loop().unregister(this);
        try {
            if (reset && channel.isConnected()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0); // close with RST
            }
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        if (toHost != null) {
            toHost.release();
            toHost = null;
        }
    }

    @Override
    public void shutdown() {
        closeChannel(true);
    }

    @Override
    public String toString() {
        return "tcp " + conn.key();
    }

    /** The flow of a connection whose dial failed at once: nothing on the other end. */
    static final class Failed extends TcpFlow {
        Failed(TcpConnection conn, MacAddress guestMac) {
            super(conn, guestMac);
        }

        @Override
        void pump(long now) {
        }

        @Override
        void closeOtherEnd(boolean reset) {
        }
    }
}
