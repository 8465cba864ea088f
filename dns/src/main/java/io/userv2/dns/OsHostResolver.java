package io.userv2.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The default {@link HostResolver}: the operating system's lookup through {@link InetAddress#getAllByName}, which
 * honours /etc/hosts and nsswitch (and the JDK's address cache). Blocking; stateless and thread-safe.
 */
public final class OsHostResolver implements HostResolver {

    @Override
    public List<InetAddress> resolve(String name) {
        if (name.isEmpty() || IpLiterals.parse(name) != null) {
            return List.of(); // the root, or a literal the JDK would echo back without a lookup
        }
        try {
            return List.of(InetAddress.getAllByName(name));
        } catch (UnknownHostException | SecurityException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return "OsHostResolver";
    }
}
