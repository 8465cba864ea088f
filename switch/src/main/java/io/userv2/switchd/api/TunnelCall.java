package io.userv2.switchd.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * gvproxy's {@code /tunnel?ip=IP&port=PORT} (any method): the HTTP connection becomes a TCP connection to
 * {@code IP:PORT} on the LAN. Its client ({@code pkg/transport/tunnel.go}) writes the request, reads exactly the two
 * bytes {@code OK} (no status line, no headers: gvproxy hijacks the connection and writes them raw) and then speaks
 * to the guest's port over the same connection.
 *
 * <p>Done here by taking the connection's {@link EndPoint} over from Jetty's HTTP connection
 * ({@link EndPoint#upgrade}, the hook Jetty's own protocol upgrades use) while the request is being handled: the
 * bytes the client sent after its request are handed over with it, the endpoint's idle timeout is lifted (the relay
 * ends with either side), {@code OK} is written, and the endpoint goes to {@link ControlPlane#tunnel}. The HTTP
 * exchange is never completed: there is no answer to write, and the HTTP connection it belonged to is closed.
 * gvproxy answers a missing ip or a bad port with 500; here they are 400 (bad input), with gvproxy's words where it
 * has them ("ip is mandatory").
 */
final class TunnelCall {
    private static final System.Logger LOG = System.getLogger(TunnelCall.class.getName());
    private static final byte[] OK = "OK".getBytes(StandardCharsets.US_ASCII);

    private TunnelCall() {
    }

    /**
     * Checks {@code query} and takes the connection over.
     *
     * @throws ApiException 400 for a missing or bad ip or port, 409 on a switch without a gateway (answered as usual:
     *     nothing is taken over then)
     */
    static void start(ControlPlane plane, Map<String, String> query, Request request, Executor executor)
            throws ApiException {
        String ipText = query.get("ip");
        if (ipText == null || ipText.isEmpty()) {
            throw ApiException.badRequest("ip is mandatory");
        }
        String ip = ApiInput.ipLiteral(ipText, "ip");
        int port = ApiInput.port(query.get("port"), "port");
        ApiRoutes.requireGateway(plane, "a tunnel is a connection from the gateway");
        EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
        TakenOver taken = new TakenOver(ep, executor);
        ep.upgrade(taken);
        ep.setIdleTimeout(0);
        ep.write(Callback.from(() -> {
            try {
                plane.tunnel(ip, port, ep, taken.prefix);
            } catch (ApiException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "tunnel to " + ip + ":" + port + ": " + e.getMessage());
                ep.close();
            }
        }, x -> ep.close()), ByteBuffer.wrap(OK));
    }

    /**
     * What the endpoint belongs to once taken over: nothing reads through it (the relay fills the endpoint itself);
     * it keeps the bytes that followed the request and never lets an idle timeout close the tunnel.
     */
    private static final class TakenOver extends AbstractConnection implements Connection.UpgradeTo {
        private ByteBuffer prefix = BufferUtil.EMPTY_BUFFER;

        TakenOver(EndPoint endPoint, Executor executor) {
            super(endPoint, executor);
        }

        @Override
        public void onUpgradeTo(ByteBuffer buffer) {
            if (BufferUtil.hasContent(buffer)) {
                prefix = BufferUtil.copy(buffer);
            }
        }

        @Override
        public void onFillable() {
            // never fill-interested through this connection
        }

        @Override
        public boolean onIdleExpired(java.util.concurrent.TimeoutException timeout) {
            return false;
        }
    }
}
