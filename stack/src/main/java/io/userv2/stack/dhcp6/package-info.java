/**
 * The DHCPv6 server of the virtual LAN, sans-IO: {@link io.userv2.stack.dhcp6.Dhcp6Server} takes the UDP payloads
 * the gateway receives on port 547 ({@link io.userv2.stack.dhcp6.Dhcp6Datagram}) and answers through a
 * {@link io.userv2.stack.dhcp6.Dhcp6Sender}. Stateless DHCPv6 (DNS servers and search list, RFC 3646) is always on;
 * stateful DHCPv6 (one address of a /64 per IA_NA) when {@link io.userv2.stack.dhcp6.Dhcp6Config} has a pool. The
 * codec is {@link io.userv2.stack.dhcp6.Dhcp6Packet} (view) and {@link io.userv2.stack.dhcp6.Dhcp6Repr} (values).
 * Bindings live in a lease table persisted through a {@link io.userv2.stack.dhcp6.Dhcp6LeaseStore}, with the IPv4
 * server's {@link io.userv2.stack.dhcp.SaveCompletion} and {@link io.userv2.stack.dhcp.TimeBase}. No threads,
 * sockets or clocks.
 */
package io.userv2.stack.dhcp6;
