package io.userv2.stack.nat;

import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpState;
import java.util.concurrent.CompletableFuture;

/**
 * A connection the gateway opens into a guest only to learn whether a port is open (Lima's wait_port): true once
 * established (then reset at once), false when refused, reset or not answered by the deadline.
 */
final class GuestProbe extends NatTcpFlow {
    private final long deadline;
    private final CompletableFuture<Boolean> result = new CompletableFuture<>();

    GuestProbe(TcpConnection conn, int owner, long deadline) {
        super(conn, NO_MAC, owner);
        this.deadline = deadline;
    }

    CompletableFuture<Boolean> result() {
        return result;
    }

    @Override
    long deadline() {
        return result.isDone() ? Long.MAX_VALUE : deadline;
    }

    @Override
    void pump(long now) {
        if (result.isDone()) {
            return;
        }
        if (conn.isEstablished()) {
            result.complete(true);
            conn.abort(); // a probe: no need for an orderly close
        } else if (conn.state() == TcpState.CLOSED) {
            result.complete(false);
        } else if (now - deadline >= 0) {
            result.complete(false);
            conn.abort();
        }
    }

    @Override
    void closeOtherEnd(boolean reset) {
        result.complete(false);
    }
}
