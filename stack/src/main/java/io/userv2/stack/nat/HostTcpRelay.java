package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.tcp.DirectReceiver;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpState;
import java.io.IOException;

/**
 * A guest TCP connection relayed to a host socket. Bytes move only as fast as both ends take them: host data is read
 * only while the guest connection's send buffer has room (so a slow guest stops us reading the host socket), and
 * guest data is taken out of the connection's receive buffer only as the host socket accepts it (so a slow host
 * closes the guest's window). Half-close is kept in both directions: each side's FIN is passed on after its data.
 *
 * <p>Buffers: the relay holds none. Guest bytes are written to the host socket straight from the connection's receive
 * buffer, and those the socket does not take yet stay there (so the guest's window closes as the host falls behind);
 * large segments (MTU 65520) are written straight from the frame they came in, while that buffer is empty
 * ({@link #take}). Host bytes are read straight into the connection's send buffer.
 */
final class HostTcpRelay extends NatTcpFlow implements DirectReceiver {
    /** Most bytes moved from the host into the connection per pump. */
    private static final int READ_CHUNK = 256 * 1024;

    private final long dialDeadline;
    private HostTcpSocket socket;
    private boolean connecting;
    private boolean hostReadable;
    private boolean hostEof;
    private boolean hostOutputShut;
    private boolean socketClosed;

    /** A relay whose host socket is still to be dialled ({@link #dialling}), or already connected ({@link #connected}). */
    HostTcpRelay(TcpConnection conn, long guestMac, int owner, long dialDeadline) {
        super(conn, guestMac, owner);
        this.dialDeadline = dialDeadline;
    }

    /** The host connect has started on {@code s}; its outcome comes as {@link #hostConnected} or a failure. */
    void dialling(HostTcpSocket s) {
        socket = s;
        connecting = true;
        s.interest(false, false);
    }

    /** {@code s} is connected already (a port forward's accepted client). */
    void connected(HostTcpSocket s) {
        socket = s;
        connecting = false;
        s.interest(true, false);
        conn.receiveDirectlyTo(this);
    }

    boolean connecting() {
        return connecting;
    }

    /** The dial succeeded: complete the guest's handshake (dial-then-accept). */
    void hostConnected(long now) {
        if (connecting) {
            connecting = false;
            conn.receiveDirectlyTo(this);
            if (conn.state() == TcpState.SYN_PENDING) {
                conn.accept(now); // else the guest gave up meanwhile (RST): the flow ends when it next runs
            }
        }
    }

    /** The host socket has bytes (or EOF) to read. */
    void hostReadable() {
        hostReadable = true;
    }

    @Override
    long deadline() {
        return connecting ? dialDeadline : Long.MAX_VALUE;
    }

    /** True when the dial has not completed by {@code now}. */
    boolean dialTimedOut(long now) {
        return connecting && now - dialDeadline >= 0;
    }

    @Override
    void pump(long now) {
        if (connecting || socketClosed) {
            return;
        }
        try {
            guestToHost();
            hostToGuest();
        } catch (IOException e) {
            closeSocket(true);
            conn.abort(); // the host connection broke: RST to the guest
            return;
        }
        boolean toHostPending = conn.readableBytes() > 0; // left because the host socket is full
        if (hostEof && hostOutputShut && !toHostPending) {
            closeSocket(false); // both directions done on the host side
            return;
        }
        socket.interest(!hostEof && conn.sendCapacity() > 0 && !hostReadable, toHostPending);
    }

    /**
     * Large in-order guest data, written to the host socket as it arrives (see {@link DirectReceiver}). A failed write
     * takes nothing: the bytes wait in the receive buffer, and the pump's write of them fails the same way and aborts
     * the flow.
     */
    @Override
    public int take(ByteBuf buf, int index, int length) {
        if (socketClosed || connecting) {
            return 0;
        }
        try {
            return socket.write(buf, index, length);
        } catch (IOException e) {
            return 0;
        }
    }

    private void guestToHost() throws IOException {
        if (conn.readableBytes() > 0) {
            conn.recvTo(socket); // until the host socket is full: then writability brings us back
        }
        if (conn.readableBytes() == 0 && conn.isRecvFinished() && !hostOutputShut) {
            socket.shutdownOutput(); // the guest's FIN, passed on
            hostOutputShut = true;
        }
    }

    private void hostToGuest() throws IOException {
        while (hostReadable && !hostEof) {
            int room = Math.min(conn.sendCapacity(), READ_CHUNK);
            if (room == 0) {
                break;
            }
            int n = conn.sendFrom(socket, room); // read straight into the connection's send buffer
            if (n < 0) {
                hostEof = true;
                conn.shutdownSend(); // the host's FIN, passed on after the buffered data
                break;
            }
            if (n < room) {
                hostReadable = false; // drained what the socket had
            }
        }
    }

    @Override
    void closeOtherEnd(boolean reset) {
        closeSocket(reset);
    }

    private void closeSocket(boolean reset) {
        if (socketClosed) {
            return;
        }
        socketClosed = true;
        connecting = false;
        conn.receiveDirectlyTo(null);
        if (socket != null) {
            socket.close(reset);
        }
    }
}
