package io.userv2.switchd.transport;

import io.userv2.switchd.port.Framing;
import io.userv2.switchd.port.Link;
import io.userv2.switchd.port.LinkPort;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.port.Port;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The ports one transport has open: it makes and starts them, forgets each as it closes and closes what is left
 * at its shutdown. Loop thread only.
 */
final class PortGroup {
    private static final System.Logger LOG = System.getLogger(PortGroup.class.getName());

    private final Set<LinkPort> ports = new LinkedHashSet<>();
    private final LinkPorts maker;

    /** A group whose ports are made by {@code maker}. */
    PortGroup(LinkPorts maker) {
        this.maker = maker;
    }

    /**
     * Makes and starts a port on {@code link} as one of the group and logs it as connected ({@code how}: what
     * follows that word); on failure the port is closed (and so forgotten) and the error thrown.
     */
    void start(String name, Link link, Framing framing, String how) throws IOException {
        LinkPort port = maker.make(name, link, framing, this::forget);
        ports.add(port);
        port.start();
        LOG.log(System.Logger.Level.INFO, port.name() + " connected" + how);
    }

    private void forget(LinkPort port) {
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
