package io.userv2.stack.nat;

import java.io.IOException;

/**
 * {@link HostSockets#openPing} cannot open ping sockets on this host at all (not a passing failure): the process's
 * group is outside {@code net.ipv4.ping_group_range} (icmp(7): "socket(2) fails with EACCES"), or the kernel has no
 * ping sockets. The engine then drops guest echo requests beyond the gateway and counts them, and tries again only
 * after a while; the owner says why in one log line.
 */
public final class PingSocketsUnavailable extends IOException {
    private static final long serialVersionUID = 1L;

    /** {@code why}: what the host said, for the log. */
    public PingSocketsUnavailable(String why) {
        super(why);
    }
}
