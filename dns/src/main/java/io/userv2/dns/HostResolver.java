package io.userv2.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/**
 * The host's own name lookup, used for A and AAAA queries so that /etc/hosts, VPN split DNS, mDNS and search domains
 * behave for guests as they do on the host.
 *
 * <p>Implementations may block in {@link #resolve} and {@link #lookup} (the server calls them on its worker threads,
 * never on a front end's thread) and must be thread-safe. {@link OsHostResolver} is the default;
 * {@link HostsFileResolver} reads a hosts file and is what tests use; {@link #firstOf} chains them.
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

    /**
     * Looks up a name and says whether the answer covers both families. The default calls {@link #resolve} and
     * claims nothing about the missing family (so a missing family is forwarded, as before).
     *
     * @param name as for {@link #resolve}
     * @throws IOException as for {@link #resolve}
     */
    default HostAnswer lookup(String name) throws IOException {
        return new HostAnswer(resolve(name), false);
    }

    /**
     * True when {@code name} is listed in a local table whose names have nothing but the addresses it lists (a hosts
     * file): the server then answers the family the table lacks, and every other type of the name, NODATA itself
     * rather than forwarding it, as systemd-resolved does for names of /etc/hosts. Must not block. The default (and
     * the OS resolver, whose answer may lack a family for a transient reason and whose names may have real records
     * upstream) says false: such names are forwarded, and only an upstream NXDOMAIN becomes NODATA.
     *
     * @param name as for {@link #resolve}
     */
    default boolean listsOnlyAddresses(String name) {
        return false;
    }

    /**
     * A resolver asking {@code resolvers} in order and taking the first that knows the name (its whole answer, so a
     * hosts file listing only an IPv4 address of a name hides the OS resolver's IPv6 addresses of it).
     */
    static HostResolver firstOf(List<HostResolver> resolvers) {
        return new HostResolverChain(resolvers);
    }
}
