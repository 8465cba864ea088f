package io.userv2.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/**
 * The host's own name lookup, used for A and AAAA queries so that /etc/hosts, VPN split DNS, mDNS and search domains
 * behave for guests as they do on the host.
 *
 * <p>Implementations may block (the server calls them on its worker threads, never on a front end's thread) and must
 * be thread-safe. {@link OsHostResolver} is the default; {@link HostsFileResolver} reads a hosts file and is what tests
 * use.
 */
@FunctionalInterface
public interface HostResolver {

    /**
     * Looks up a name.
     *
     * @param name the name without its trailing dot, as the client spelt it (case preserved)
     * @return every address of the name, either family; empty when the name is unknown (the query is then forwarded)
     * @throws IOException when the lookup itself failed (the client gets SERVFAIL)
     */
    List<InetAddress> resolve(String name) throws IOException;
}
