package io.userv2.switchd.forward;

import io.userv2.stack.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One port forward: connections (TCP, or a host unix stream socket) or datagrams (UDP) arriving at {@code local} on
 * the host go to {@code guestHost:guestPort} on the LAN, from the gateway's address.
 *
 * @param protocol {@code tcp}, {@code udp} or {@code unix} (a host unix socket whose connections go to the guest's
 *     TCP port, gvproxy's "unix" forward)
 * @param local the host address to listen on: an {@link InetSocketAddress} for tcp and udp (127.0.0.1 unless the user
 *     named another), a {@link UnixDomainSocketAddress} for unix
 * @param guestHost the guest: an IPv4 literal, or a name that the gateway's DNS answers itself (an API zone, a DHCP
 *     hostname, {@code --dns-host}), looked up when a connection (or a UDP session) starts ({@link GuestNames})
 * @param guestPort the guest's port
 */
public record ForwardSpec(String protocol, SocketAddress local, String guestHost, int guestPort) {
    /** Longest unix socket path Linux takes (sun_path is 108 bytes with the terminating NUL). */
    public static final int MAX_SOCKET_PATH = 107;
    /** The scheme gvproxy's unix forwards give their remote: {@code tcp://192.168.127.2:8080}. */
    public static final String TCP_SCHEME = "tcp://";
    private static final int MAX_NAME = 253;

    /** Validates protocol, addresses and ports. */
    public ForwardSpec {
        protocol = protocol.toLowerCase(Locale.ROOT);
        switch (protocol) {
            case "tcp", "udp" -> {
                if (!(local instanceof InetSocketAddress)) {
                    throw new IllegalArgumentException(protocol + " forwards listen on IP:PORT, got " + local);
                }
            }
            case "unix" -> {
                if (!(local instanceof UnixDomainSocketAddress)) {
                    throw new IllegalArgumentException("unix forwards listen on a socket path, got " + local);
                }
            }
            default -> throw new IllegalArgumentException("protocol must be tcp, udp or unix, got " + protocol);
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port out of range: " + guestPort);
        }
        checkHost(guestHost);
    }

    /**
     * Parses the command-line form {@code PROTO:[HOST_IP:]PORT=GUEST:GUEST_PORT}, e.g.
     * {@code tcp:127.0.0.1:2222=192.168.104.3:22}, or {@code unix:/PATH=GUEST:GUEST_PORT}; the host address defaults
     * to 127.0.0.1. GUEST is an IPv4 literal or a name of the gateway's DNS. No name lookups here.
     */
    public static ForwardSpec parse(String text) {
        int colon = text.indexOf(':');
        int eq = text.lastIndexOf('=');
        if (colon <= 0 || eq < colon) {
            throw new IllegalArgumentException("expected PROTO:[HOST_IP:]PORT=GUEST:GUEST_PORT, got " + text);
        }
        String protocol = text.substring(0, colon).toLowerCase(Locale.ROOT);
        String localText = text.substring(colon + 1, eq);
        String remote = text.substring(eq + 1);
        if (protocol.equals("unix")) {
            return of(protocol, localText, remote);
        }
        InetSocketAddress local = localText.contains(":") ? parseHostPort(localText)
                : new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), parsePort(localText));
        int rc = remote.lastIndexOf(':');
        if (rc <= 0) {
            throw new IllegalArgumentException("expected GUEST:PORT, got " + remote);
        }
        return new ForwardSpec(protocol, local, remote.substring(0, rc), parsePort(remote.substring(rc + 1)));
    }

    /**
     * A forward from the API's fields: {@code "local": "127.0.0.1:2222", "remote": "192.168.104.3:22"}; for unix
     * {@code "local": "/run/x.sock", "remote": "tcp://192.168.104.3:8080"} ({@code tcp://} may be left out).
     */
    public static ForwardSpec of(String protocol, String local, String remote) {
        String p = protocol.toLowerCase(Locale.ROOT);
        SocketAddress l = p.equals("unix") ? unixPath(local) : parseHostPort(local);
        String r = p.equals("unix") && remote.startsWith(TCP_SCHEME) ? remote.substring(TCP_SCHEME.length()) : remote;
        int colon = r.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected GUEST:PORT, got " + remote);
        }
        return new ForwardSpec(p, l, r.substring(0, colon), parsePort(r.substring(colon + 1)));
    }

    /** An absolute path short enough for a socket address, as a unix forward's local side. */
    public static UnixDomainSocketAddress unixPath(String path) {
        if (path.isEmpty() || path.charAt(0) != '/') {
            throw new IllegalArgumentException("a unix forward listens on an absolute socket path, got " + path);
        }
        if (path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("socket path contains NUL");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new IllegalArgumentException("socket path longer than " + MAX_SOCKET_PATH + " bytes: " + path);
        }
        return UnixDomainSocketAddress.of(path);
    }

    /** Parses {@code IPv4:PORT} without any name lookup (the form the HTTP API uses for "local"). */
    public static InetSocketAddress parseHostPort(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected IP:PORT, got " + text);
        }
        return new InetSocketAddress(Ipv4Address.parse(text.substring(0, colon)).toInetAddress(),
                parsePort(text.substring(colon + 1)));
    }

    /**
     * Checks a guest host: an IPv4 literal (all digits and dots: it must then be a valid one), or a DNS name of
     * letters, digits, '-', '_' and '.', at most 253 characters.
     */
    static void checkHost(String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("missing guest host");
        }
        if (isLiteral(host)) {
            Ipv4Address.parse(host);
            return;
        }
        if (host.length() > MAX_NAME || host.startsWith(".") || host.contains("..")) {
            throw new IllegalArgumentException("not an IPv4 address or a DNS name: " + host);
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_' || c == '.';
            if (!ok) {
                throw new IllegalArgumentException("not an IPv4 address or a DNS name: " + host);
            }
        }
    }

    private static boolean isLiteral(String host) {
        return host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
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

    /** The guest's address when {@link #guestHost} is an IPv4 literal; null when it is a name. */
    public Ipv4Address guestLiteral() {
        return isLiteral(guestHost) ? Ipv4Address.parse(guestHost) : null;
    }

    /** A unix forward (a host unix socket). */
    public boolean isUnix() {
        return protocol.equals("unix");
    }

    /** {@code 127.0.0.1:2222} or, for unix, the socket's path, as the API shows it. */
    public String localText() {
        if (local instanceof InetSocketAddress inet) {
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return ((UnixDomainSocketAddress) local).getPath().toString();
    }

    /** {@code 192.168.104.3:22}, or for unix {@code tcp://192.168.104.3:22}, as the API shows it (as gvproxy). */
    public String remoteText() {
        return (isUnix() ? TCP_SCHEME : "") + guestHost + ":" + guestPort;
    }

    @Override
    public String toString() {
        return protocol + ":" + localText() + "=" + guestHost + ":" + guestPort;
    }
}
