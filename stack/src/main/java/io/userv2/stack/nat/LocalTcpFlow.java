package io.userv2.stack.nat;

import io.userv2.stack.tcp.TcpConnection;

/**
 * A guest connection served by a {@link LocalTcpService} of the gateway, closed when idle: after
 * {@code idleTimeout} with no bytes from the guest and nothing pending, the gateway closes its side (FIN; RFC 7766
 * 6.2.3: "servers MAY close idle connections"); a guest that still holds its side one more idle timeout later is
 * reset, so a silent client holds nothing for long.
 */
final class LocalTcpFlow extends NatTcpFlow {
    private final LocalTcpService.LocalTcpSession session;
    private final long idleTimeout;
    private long lastActive;
    private boolean busy;

    LocalTcpFlow(TcpConnection conn, long guestMac, int owner, LocalTcpService service, Runnable wake,
            long idleTimeout, long now) {
        super(conn, guestMac, owner);
        this.session = service.open(conn, owner, wake);
        this.idleTimeout = idleTimeout;
        this.lastActive = now;
    }

    @Override
    void pump(long now) {
        if (conn.readableBytes() > 0 || busy) {
            lastActive = now;
        }
        busy = session.pump(conn, now);
        if (busy) {
            lastActive = now;
            return;
        }
        if (now - (lastActive + 2 * idleTimeout) >= 0) {
            conn.abort();
        } else if (now - (lastActive + idleTimeout) >= 0 && conn.canSend()) {
            conn.shutdownSend();
        }
    }

    @Override
    long deadline() {
        if (busy) {
            return Long.MAX_VALUE;
        }
        return conn.canSend() ? lastActive + idleTimeout : lastActive + 2 * idleTimeout;
    }

    @Override
    void closeOtherEnd(boolean reset) {
        session.close();
    }
}
