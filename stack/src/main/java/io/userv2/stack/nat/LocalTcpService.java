package io.userv2.stack.nat;

import io.userv2.stack.tcp.TcpConnection;

/**
 * Serves TCP connections to one port of the gateway's own address inside this process (DNS over TCP on 53), instead
 * of dialling the host. The engine accepts the guest's connection at once and runs the session it gets here; it
 * closes sessions that stay idle (see {@link NatConfig#localIdleTimeoutNanos()}).
 */
@FunctionalInterface
public interface LocalTcpService {
    /**
     * A session for the accepted connection {@code conn} of the guest on switch port {@code owner} (a service that
     * holds resources per session caps them per port with it). {@code wake} asks the engine to run the session again
     * at the end of the current loop iteration (after an answer computed elsewhere arrived); call it on the engine's
     * thread.
     */
    LocalTcpSession open(TcpConnection conn, int owner, Runnable wake);

    /** One connection of a {@link LocalTcpService}. Engine thread only. */
    interface LocalTcpSession {
        /**
         * Reads what the guest sent from {@code conn}, sends what is ready; closes its side with
         * {@link TcpConnection#shutdownSend()} once it is done.
         *
         * @return true while the session waits for work it started (an answer being looked up), so that it does not
         *         count as idle
         */
        boolean pump(TcpConnection conn, long now);

        /** The connection is gone; drop whatever is pending. */
        void close();
    }
}
