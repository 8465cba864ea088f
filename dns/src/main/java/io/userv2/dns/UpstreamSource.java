package io.userv2.dns;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Where forwarded queries go: the current list of upstream nameservers, in preference order.
 *
 * <p>Implementations must be thread-safe and cheap to call (it is asked once per forwarded query) and must never
 * return an empty list. {@link ResolvConfWatcher} follows the host's resolv.conf; {@link #fixed(List)} is for tests
 * and for a configured override (resolv.conf has no port syntax, a fixed list does).
 */
@FunctionalInterface
public interface UpstreamSource {

    /** The nameservers to try, first first; never empty. The caller must not modify the list. */
    List<InetSocketAddress> upstreams();

    /** A list that never changes. */
    static UpstreamSource fixed(List<InetSocketAddress> servers) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no upstream nameservers");
        }
        List<InetSocketAddress> copy = List.copyOf(servers);
        return () -> copy;
    }
}
