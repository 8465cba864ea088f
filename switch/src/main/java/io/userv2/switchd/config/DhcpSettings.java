package io.userv2.switchd.config;

import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import java.nio.file.Path;
import java.util.List;

/**
 * How the gateway's DHCP server hands out addresses.
 *
 * @param leasesFile where the lease table is kept across restarts (written atomically), or null to keep it in
 *     memory only
 * @param staticLeases fixed address for a MAC ({@code --lease IP=MAC}, {@code --leases ip=mac,...})
 * @param poolStart the first address handed out, or null for the first host address after the gateway
 */
public record DhcpSettings(Path leasesFile, List<StaticLease> staticLeases, Ipv4Address poolStart) {
    /** No persistence, no static leases. */
    public static final DhcpSettings EPHEMERAL = new DhcpSettings(null, List.of(), null);

    /** Settings with the default pool. */
    public DhcpSettings(Path leasesFile, List<StaticLease> staticLeases) {
        this(leasesFile, staticLeases, null);
    }

    /** Copies the list. */
    public DhcpSettings {
        staticLeases = List.copyOf(staticLeases);
    }
}
