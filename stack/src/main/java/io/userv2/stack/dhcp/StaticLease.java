package io.userv2.stack.dhcp;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A fixed address for one MAC, as given by {@code --leases ip=mac,...} (REFERENCE.md). The DHCP server always hands
 * {@code ip} to {@code mac} and never to anyone else. Immutable.
 *
 * @param ip  the address
 * @param mac the client's hardware address (unicast)
 */
public record StaticLease(Ipv4Address ip, MacAddress mac) {
    /** Requires non-null fields and a unicast MAC. */
    public StaticLease {
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(mac, "mac");
        if (mac.isMulticast() || mac.equals(MacAddress.ZERO)) {
            throw new IllegalArgumentException("static lease MAC must be unicast: " + mac);
        }
    }

    /** Parses {@code ip=mac}, e.g. {@code 192.168.104.10=52:55:55:12:34:56}. */
    public static StaticLease parse(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw new IllegalArgumentException("static lease is not ip=mac: " + text);
        }
        return new StaticLease(Ipv4Address.parse(text.substring(0, eq).trim()),
                MacAddress.parse(text.substring(eq + 1).trim()));
    }

    /** Parses a comma-separated list of {@code ip=mac}; blank input gives an empty list. */
    public static List<StaticLease> parseList(String text) {
        List<StaticLease> list = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                list.add(parse(part));
            }
        }
        return List.copyOf(list);
    }

    /** {@code ip=mac}, the form {@link #parse} reads. */
    @Override
    public String toString() {
        return ip + "=" + mac;
    }
}
