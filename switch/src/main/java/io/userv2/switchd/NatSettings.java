package io.userv2.switchd;

import io.userv2.stack.wire.Ipv4Address;
import java.util.Map;

/**
 * How guest TCP and UDP leave the LAN.
 *
 * @param rules VIRTUAL -> REAL address mappings ({@code --nat}), besides the host alias (the gateway's address,
 *     which always maps to the host's 127.0.0.1)
 * @param outside whether other destinations are dialled as themselves ({@code --no-outside} turns it off: Lima's
 *     {@code host} mode, LAN and host alias only)
 * @param udpIdleTimeoutSeconds a UDP flow with no traffic for this long is closed ({@code --udp-timeout})
 * @param maxConnections most guest TCP connections in all ({@code --max-connections})
 * @param maxConnectionsPerVm most TCP connections from one guest address ({@code --max-connections-per-vm});
 *     SYNs beyond either cap are refused with RST
 */
public record NatSettings(Map<Ipv4Address, Ipv4Address> rules, boolean outside, int udpIdleTimeoutSeconds,
        int maxConnections, int maxConnectionsPerVm) {
    /** The defaults: outside allowed, 60 s UDP timeout, 16384 connections, 4096 per VM. */
    public static final NatSettings DEFAULT = new NatSettings(Map.of(), true, 60, 16_384, 4_096);

    /** Validates the numbers and copies the rules. */
    public NatSettings {
        rules = Map.copyOf(rules);
        if (udpIdleTimeoutSeconds < 1 || maxConnections < 1 || maxConnectionsPerVm < 1) {
            throw new IllegalArgumentException("NAT timeouts and limits must be positive");
        }
    }
}
