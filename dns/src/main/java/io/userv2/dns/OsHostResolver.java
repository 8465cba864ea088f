package io.userv2.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.util.List;

/**
 * The default {@link HostResolver}: the operating system's lookup through {@link InetAddress#getAllByName}, which
 * honours /etc/hosts and nsswitch (and the JDK's address cache). Blocking; stateless and thread-safe.
 *
 * <p>One {@code getAllByName} asks for both families at once (getaddrinfo with AF_UNSPEC) whenever the JVM runs with
 * IPv6 (not {@code -Djava.net.preferIPv4Stack=true}, and the kernel can open IPv6 sockets), and {@link #lookup}
 * says so ({@link HostAnswer#bothFamilies()}). Even then a missing family proves little (glibc returns the IPv4
 * addresses alone when the AAAA lookup timed out or failed, or with {@code options no-aaaa}), so this resolver does
 * not claim its names have only their addresses ({@link #listsOnlyAddresses} is false): the server forwards a
 * missing family and turns only the upstream's NXDOMAIN into NODATA.
 */
public final class OsHostResolver implements HostResolver {

    private static final boolean BOTH_FAMILIES = jvmAsksBothFamilies();

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
    public HostAnswer lookup(String name) {
        return new HostAnswer(resolve(name), BOTH_FAMILIES);
    }

    /**
     * The JDK picks its IPv6-capable lookup (AF_UNSPEC) under the same condition that lets it open an IPv6 channel:
     * IPv6 sockets work and {@code java.net.preferIPv4Stack} is not set.
     */
    private static boolean jvmAsksBothFamilies() {
        if (Boolean.getBoolean("java.net.preferIPv4Stack")) {
            return false;
        }
        try (DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET6)) {
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "OsHostResolver";
    }
}
