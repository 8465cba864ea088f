package io.userv2.switchd.forward;

import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One port forward: connections (TCP, or a host unix stream socket) or datagrams (UDP) arriving at {@code local} on
 * the host go to {@code guestHost:guestPort} on the LAN, from the gateway's address of the guest's family.
 *
 * <p>Host and port are written as Go's {@code net.JoinHostPort} writes them (gvproxy's clients build them so): an
 * IPv6 address in brackets, {@code [fd00::5]:80}, {@code [::1]:8080}. A name in brackets, {@code [lima-web]:80},
 * asks for the VM's IPv6 address; a bare name means its IPv4 address, as before.
 *
 * @param protocol {@code tcp}, {@code udp} or {@code unix} (a host unix socket whose connections go to the guest's
 *     TCP port, gvproxy's "unix" forward)
 * @param local the host address to listen on: an {@link InetSocketAddress} for tcp and udp (127.0.0.1 unless the user
 *     named another), a {@link UnixDomainSocketAddress} for unix
 * @param guestHost the guest: an IPv4 literal, an IPv6 literal (canonical, RFC 5952, without brackets), or a name
 *     that the gateway's DNS answers itself (an API zone, a DHCP hostname, {@code --dns-host}), looked up when a
 *     connection (or a UDP session) starts ({@link GuestNames})
 * @param guestPort the guest's port
 * @param ipv6 true when the guest is reached over IPv6: an IPv6 literal, or a name written in brackets (its AAAA)
 */
public record ForwardSpec(String protocol, SocketAddress local, String guestHost, int guestPort, boolean ipv6) {
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
        if (guestHost != null && guestHost.indexOf(':') >= 0) {
            Ipv6Address a = Ipv6Address.parseOrNull(guestHost);
            if (a == null) {
                throw new IllegalArgumentException("not an IPv6 address: " + guestHost);
            }
            checkGuest6(a);
            guestHost = a.toString();
            ipv6 = true;
        } else {
            checkHost(guestHost);
            if (ipv6 && isLiteral(guestHost)) {
                throw new IllegalArgumentException("an IPv4 address in brackets: [" + guestHost + "]");
            }
        }
    }

    /** A forward to an IPv4 guest or name, or to an IPv6 literal. */
    public ForwardSpec(String protocol, SocketAddress local, String guestHost, int guestPort) {
        this(protocol, local, guestHost, guestPort, false);
    }

    /**
     * Parses the command-line form {@code PROTO:[HOST_IP:]PORT=GUEST:GUEST_PORT}, e.g.
     * {@code tcp:127.0.0.1:2222=192.168.104.3:22}, {@code tcp:[::1]:8080=[fd00::5]:80}, or
     * {@code unix:/PATH=GUEST:GUEST_PORT}; the host address defaults to 127.0.0.1. GUEST is an IPv4 literal, an IPv6
     * literal in brackets, or a name of the gateway's DNS (in brackets for its IPv6 address). No name lookups here.
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
        return guest(protocol, local, remote, remote);
    }

    /** The forward to {@code hostPort} ({@code HOST:PORT}, {@code [HOST]:PORT}); {@code shown} is named in errors. */
    private static ForwardSpec guest(String protocol, SocketAddress local, String hostPort, String shown) {
        String[] hp = splitHostPort(hostPort, "GUEST:PORT", shown);
        boolean bracketed = hostPort.startsWith("[");
        return new ForwardSpec(protocol, local, hp[0], parsePort(hp[1]), bracketed);
    }

    /**
     * Splits {@code HOST:PORT} or {@code [HOST]:PORT} as Go's {@code net.SplitHostPort} does: a host with a colon
     * must be in brackets.
     */
    static String[] splitHostPort(String text, String form, String shown) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected " + form + ", got " + shown);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("expected " + form + ", got " + shown);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("an IPv6 address goes in brackets ([" + host + "]:" + port
                        + "), got " + shown);
            }
        }
        if (host.isEmpty() || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
            throw new IllegalArgumentException("expected " + form + ", got " + shown);
        }
        return new String[] {host, port};
    }

    /**
     * A forward from the API's fields: {@code "local": "127.0.0.1:2222", "remote": "192.168.104.3:22"}; for unix
     * {@code "local": "/run/x.sock", "remote": "tcp://192.168.104.3:8080"} ({@code tcp://} may be left out).
     */
    public static ForwardSpec of(String protocol, String local, String remote) {
        String p = protocol.toLowerCase(Locale.ROOT);
        SocketAddress l = p.equals("unix") ? unixPath(local) : parseHostPort(local);
        String r = p.equals("unix") && remote.startsWith(TCP_SCHEME) ? remote.substring(TCP_SCHEME.length()) : remote;
        return guest(p, l, r, remote);
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

    /**
     * Parses {@code IPv4:PORT} or {@code [IPv6]:PORT} without any name lookup (the form the HTTP API uses for
     * "local"; no zone index: a forward listens on a host address, not a link).
     */
    public static InetSocketAddress parseHostPort(String text) {
        String[] hp = splitHostPort(text, "IP:PORT or [IPv6]:PORT", text);
        IpAddress ip = text.startsWith("[") ? Ipv6Address.parse(hp[0]) : Ipv4Address.parse(hp[0]);
        return new InetSocketAddress(ip.toInetAddress(), parsePort(hp[1]));
    }

    /** An IPv6 guest must be a unicast address a VM can have: not in {@code ::/64} (loopback, IPv4-mapped), not multicast. */
    private static void checkGuest6(Ipv6Address a) {
        if (a.high() == 0 || a.isMulticast()) {
            throw new IllegalArgumentException("not an IPv6 address of a guest: " + a);
        }
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

    /** The guest's address when {@link #guestHost} is an IPv4 or IPv6 literal; null when it is a name. */
    public IpAddress guestLiteral() {
        if (guestHost.indexOf(':') >= 0) {
            return Ipv6Address.parse(guestHost);
        }
        return isLiteral(guestHost) ? Ipv4Address.parse(guestHost) : null;
    }

    /** A unix forward (a host unix socket). */
    public boolean isUnix() {
        return protocol.equals("unix");
    }

    /** {@code 127.0.0.1:2222}, {@code [::1]:2222} or, for unix, the socket's path, as the API shows it. */
    public String localText() {
        if (local instanceof InetSocketAddress inet) {
            if (inet.getAddress() instanceof Inet6Address a6) {
                return "[" + Ipv6Address.of(a6) + "]:" + inet.getPort();
            }
            return inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        return ((UnixDomainSocketAddress) local).getPath().toString();
    }

    /**
     * {@code 192.168.104.3:22}, {@code [fd00::5]:22}, or for unix {@code tcp://192.168.104.3:22}, as the API shows it
     * (as gvproxy, IPv6 in brackets as Go's {@code net.JoinHostPort} writes it).
     */
    public String remoteText() {
        return (isUnix() ? TCP_SCHEME : "") + guestText();
    }

    private String guestText() {
        return (ipv6 ? "[" + guestHost + "]" : guestHost) + ":" + guestPort;
    }

    @Override
    public String toString() {
        return protocol + ":" + localText() + "=" + guestText();
    }
}
