package io.userv2.switchd.transport;

import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.Port;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The ports one transport has open: it starts them, forgets each as it closes (give {@link #forget} as the port's
 * {@code onClosed}) and closes what is left at its shutdown. Loop thread only.
 */
final class PortGroup {
    private static final System.Logger LOG = System.getLogger(PortGroup.class.getName());

    private final Set<LinkPort> ports = new LinkedHashSet<>();

    /**
     * Starts {@code port} as one of the group and logs it as connected ({@code how}: what follows that word); on
     * failure the port is closed (and so forgotten) and the error thrown.
     */
    void start(LinkPort port, String how) throws IOException {
        ports.add(port);
        port.start();
        LOG.log(System.Logger.Level.INFO, port.name() + " connected" + how);
    }

    /** Forgets a port that closed. */
    void forget(LinkPort port) {
        ports.remove(port);
    }

    /** The open ports. */
    List<Port> list() {
        return new ArrayList<>(ports);
    }

    /** Writes what each port has queued (without waiting) and closes it. */
    void shutdown() {
        for (LinkPort p : List.copyOf(ports)) {
            p.shutdown();
        }
    }
}
