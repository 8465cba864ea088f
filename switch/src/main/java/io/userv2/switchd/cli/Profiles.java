package io.userv2.switchd.cli;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import java.util.List;
import java.util.Locale;

/**
 * Named network layouts for {@code --profile NAME}, so a guest configured for another user-mode network finds the
 * addresses it expects.
 *
 * <p>{@code slirp} is Lima's default (QEMU slirp / vz NAT) network: 192.168.5.0/24, the guest at 192.168.5.15 (the
 * first DHCP address), the host's loopback as 192.168.5.2 ({@code host.lima.internal}), DNS at 192.168.5.3.
 *
 * <p>All of it applies: the gateway (router and host alias) at .2, the DNS server at .3 (the gateway answers there
 * too), and the DHCP pool from .15.
 */
public final class Profiles {
    /** The names {@link #lookup} knows. */
    public static final List<String> NAMES = List.of("slirp");

    /** Lima's default network. */
    public static final Profile SLIRP = new Profile("slirp", Ipv4Subnet.parse("192.168.5.0/24"),
            Ipv4Address.parse("192.168.5.2"), Ipv4Address.parse("192.168.5.3"), Ipv4Address.parse("192.168.5.15"));

    private Profiles() {
    }

    /**
     * A network layout.
     *
     * @param name the profile's name
     * @param subnet the LAN
     * @param gatewayIp router and host alias (the host's 127.0.0.1)
     * @param dnsIp the DNS server's address
     * @param poolStart the first address DHCP hands out
     */
    public record Profile(String name, Ipv4Subnet subnet, Ipv4Address gatewayIp, Ipv4Address dnsIp,
            Ipv4Address poolStart) {
    }

    /** The profile called {@code name} (case-insensitive); IllegalArgumentException naming the known ones. */
    public static Profile lookup(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "slirp" -> SLIRP;
            default -> throw new IllegalArgumentException("unknown --profile '" + name + "' (known: "
                    + String.join(", ", NAMES) + ")");
        };
    }
}
