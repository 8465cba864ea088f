/**
 * The DHCP server of the virtual LAN, sans-IO: {@link io.userv2.stack.dhcp.DhcpServer} is a UDP service on the
 * gateway's port 67, configured by {@link io.userv2.stack.dhcp.DhcpConfig}, keeping its bindings in a
 * {@link io.userv2.stack.dhcp.LeaseTable}, persisting them through a {@link io.userv2.stack.dhcp.LeaseStore} (asynchronously: each DHCPACK is held until
 * the store reports its snapshot durable to a {@link io.userv2.stack.dhcp.SaveCompletion}) and
 * reporting them to a {@link io.userv2.stack.dhcp.LeaseListener} (for the internal DNS zone). No threads, sockets or
 * clocks: monotonic time comes in as an argument, and a {@link io.userv2.stack.dhcp.TimeBase} maps it to the
 * wall-clock expiry that is persisted.
 */
package io.userv2.stack.dhcp;
