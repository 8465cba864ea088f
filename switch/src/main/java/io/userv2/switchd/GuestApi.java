package io.userv2.switchd;

import io.userv2.switchd.api.ControlPlane;
import io.userv2.switchd.api.GuestApiServer;
import java.io.IOException;

/**
 * Turns on the API guests reach at port 80 of the gateway's addresses ({@code --guest-api}; gvproxy always serves
 * it): {@code GET /services/forwarder/all}, {@code POST /services/forwarder/expose|unexpose} ({@link GuestApiServer}),
 * relayed by the NAT ({@link io.userv2.switchd.nat.NatLoop#serveEndPoints}). Port 80 of the gateway's own addresses is
 * then the API and no longer reaches the host's port 80 (gvproxy's host alias is another address). Stops with the
 * network.
 */
public final class GuestApi {
    /** The gateway's port the guest API answers on, as gvproxy's. */
    public static final int PORT = 80;

    private GuestApi() {
    }

    /**
     * Serves the guest API of {@code net}, calling {@code plane}; stops when the network's loop shuts down.
     *
     * @throws IOException when the API's server cannot start
     */
    public static GuestApiServer serve(VirtualNetwork net, ControlPlane plane) throws IOException {
        GuestApiServer server = GuestApiServer.start(plane);
        net.loop().execute(() -> {
            net.nat().serveEndPoints(PORT, server::connect);
            net.loop().onShutdown(server::close);
        });
        return server;
    }
}
