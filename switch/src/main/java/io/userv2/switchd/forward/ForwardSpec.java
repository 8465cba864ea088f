package io.userv2.switchd.forward;

import io.userv2.stack.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * One port forward: connections (TCP) or datagrams (UDP) arriving at {@code local} on the host go to
 * {@code guest:guestPort} on the LAN, from the gateway's address.
 *
 * @param protocol {@code tcp} or {@code udp}
 * @param local the host address to listen on (127.0.0.1 unless the user named another)
 * @param guest the guest's address
 * @param guestPort the guest's port
 */
public record ForwardSpec(String protocol, InetSocketAddress local, Ipv4Address guest, int guestPort) {
    /** Validates protocol and ports. */
    public ForwardSpec {
        protocol = protocol.toLowerCase(Locale.ROOT);
        if (!protocol.equals("tcp") && !protocol.equals("udp")) {
            throw new IllegalArgumentException("protocol must be tcp or udp, got " + protocol);
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port out of range: " + guestPort);
        }
    }

    /**
     * Parses the command-line form {@code PROTO:[HOST_IP:]PORT=GUEST_IP:GUEST_PORT}, e.g.
     * {@code tcp:127.0.0.1:2222=192.168.104.3:22}; the host address defaults to 127.0.0.1. No name lookups.
     */
    public static ForwardSpec parse(String text) {
        int colon = text.indexOf(':');
        int eq = text.indexOf('=');
        if (colon <= 0 || eq < colon) {
            throw new IllegalArgumentException("expected PROTO:[HOST_IP:]PORT=GUEST_IP:GUEST_PORT, got " + text);
        }
        String protocol = text.substring(0, colon);
        String localText = text.substring(colon + 1, eq);
        InetSocketAddress local = localText.contains(":") ? parseHostPort(localText)
                : new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), parsePort(localText));
        InetSocketAddress remote = parseHostPort(text.substring(eq + 1));
        return new ForwardSpec(protocol, local, Ipv4Address.of(remote.getAddress().getAddress()), remote.getPort());
    }

    /** A forward from the API's fields ({@code "local": "127.0.0.1:2222", "remote": "192.168.104.3:22"}). */
    public static ForwardSpec of(String protocol, String local, String remote) {
        InetSocketAddress r = parseHostPort(remote);
        return new ForwardSpec(protocol, parseHostPort(local), Ipv4Address.of(r.getAddress().getAddress()), r.getPort());
    }

    /** Parses {@code IPv4:PORT} without any name lookup (the form the HTTP API uses for "local" and "remote"). */
    public static InetSocketAddress parseHostPort(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected IP:PORT, got " + text);
        }
        return new InetSocketAddress(Ipv4Address.parse(text.substring(0, colon)).toInetAddress(),
                parsePort(text.substring(colon + 1)));
    }

    private static int parsePort(String text) {
        int port;
        try {
            port = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port: " + text);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return port;
    }

    /** {@code 127.0.0.1:2222}, as the API shows it. */
    public String localText() {
        return local.getAddress().getHostAddress() + ":" + local.getPort();
    }

    /** {@code 192.168.104.3:22}, as the API shows it. */
    public String remoteText() {
        return guest + ":" + guestPort;
    }

    @Override
    public String toString() {
        return protocol + ":" + localText() + "=" + remoteText();
    }
}
