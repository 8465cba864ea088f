package io.userv2.dns;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * What one {@link HostResolver#lookup} found: the name's addresses and whether both address families were asked, so
 * that "the name exists but has no address of this family" can be told from "the name is unknown". Immutable.
 *
 * @param addresses every address found, either family; empty when the name is unknown to the resolver
 * @param bothFamilies true when one lookup asked for IPv4 and IPv6 alike. For a resolver that also
 *     {@linkplain HostResolver#listsOnlyAddresses lists only addresses} (a hosts file), a family missing from a
 *     non-empty {@code addresses} then has no address at all, and the server answers it NODATA (RFC 2308 section
 *     2.2) instead of forwarding it; otherwise the missing family is forwarded
 */
public record HostAnswer(List<InetAddress> addresses, boolean bothFamilies) {

    /** Unknown name. */
    public static final HostAnswer NONE = new HostAnswer(List.of(), false);

    /** Copies the list. */
    public HostAnswer {
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
    }

    /** True when the resolver knows the name (it has at least one address). */
    public boolean known() {
        return !addresses.isEmpty();
    }
}
