/**
 * The virtual gateway on the LAN, as a sans-IO engine: {@link io.userv2.stack.gateway.Gateway} takes frames addressed
 * to it, answers ARP and ICMP echo, keeps an {@link io.userv2.stack.gateway.ArpCache}, delivers UDP to the
 * {@link io.userv2.stack.gateway.UdpService}s bound to its ports (DHCP, DNS), sends UDP for them
 * ({@link io.userv2.stack.gateway.UdpSender}), hands what it does not serve to an
 * {@link io.userv2.stack.gateway.Ipv4Forwarder} (NAT), reassembles guest fragments first
 * ({@link io.userv2.stack.gateway.Ipv4Reassembler}, bounded by {@link io.userv2.stack.gateway.ReassemblyLimits}),
 * fragments UDP it sends beyond the LAN's MTU, and counts everything it drops in
 * {@link io.userv2.stack.gateway.GatewayCounters}. No threads, sockets or clocks: time comes in as an argument and
 * frames go out through a {@link io.userv2.stack.FrameSink}.
 */
package io.userv2.stack.gateway;
