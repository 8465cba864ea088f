package io.userv2.switchd.nat;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.eclipse.jetty.io.EndPoint;

/**
 * Makes the in-process endpoint a guest's connection to a port of the gateway is relayed to
 * ({@link NatLoop#serveEndPoints}). The endpoint belongs to the relay, which closes it when the guest's connection
 * ends.
 */
@FunctionalInterface
public interface EndPointOpener {
    /**
     * The client end of a fresh connection for the guest at {@code guest}, which connected to {@code local}. Called
     * on the event loop: must not block.
     *
     * @throws IOException when no connection can be made (the guest's connection is then reset)
     */
    EndPoint open(InetSocketAddress guest, InetSocketAddress local) throws IOException;
}
