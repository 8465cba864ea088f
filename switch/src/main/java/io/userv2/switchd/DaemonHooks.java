package io.userv2.switchd;

import java.nio.file.Path;
import java.util.List;

/**
 * What a command mode adds to {@link Main#runDaemon}: API sockets beyond {@code --api}, the guest-side API, work once
 * the network is up (before its loop runs) and word when it cannot start. {@code userv2-switch gvproxy} uses them for its
 * {@code -listen}/{@code -services} sockets, notifications and SSH forwards. Called on the thread that runs the
 * daemon.
 */
public interface DaemonHooks {
    /** No extras. */
    DaemonHooks NONE = new DaemonHooks() {
    };

    /** Only gvproxy's guest-side API at the gateway's port 80 ({@code --guest-api}). */
    DaemonHooks GUEST_API = new DaemonHooks() {
        @Override
        public boolean guestApi() {
            return true;
        }
    };

    /**
     * Whether to serve gvproxy's guest-side API (forwarder list, expose, unexpose) at port 80 of the gateway's
     * addresses; gvproxy always does, userv2 only when asked.
     */
    default boolean guestApi() {
        return false;
    }

    /** Further unix sockets to serve the HTTP API on. */
    default List<Path> moreApiSockets() {
        return List.of();
    }

    /**
     * The network is created and listening, its loop not yet running. Resources started here are closed by
     * registering with {@code network.loop().onShutdown}. An exception stops the daemon with exit code 1.
     */
    default void started(VirtualNetwork network) throws Exception {
    }

    /** The network (or an API socket) could not start; the reason is logged already. */
    default void failed(Exception cause) {
    }
}
