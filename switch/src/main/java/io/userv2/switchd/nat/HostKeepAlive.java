package io.userv2.switchd.nat;

/**
 * TCP keep-alive times for the NAT's host sockets, in seconds ({@code idleSeconds} 0: SO_KEEPALIVE with the system's
 * own times).
 */
public record HostKeepAlive(int idleSeconds, int intervalSeconds, int probes) { }
