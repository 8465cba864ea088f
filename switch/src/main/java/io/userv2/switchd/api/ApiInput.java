package io.userv2.switchd.api;

import io.userv2.stack.wire.Ipv6Address;
import io.userv2.switchd.forward.ForwardSpec;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Validation of what API clients send: IP literals (never a name lookup), ports, protocols, forward addresses (host
 * sockets, unix socket paths, guests by address or name), DNS names. Each check either returns the value in canonical form or throws a 400 {@link ApiException} whose message
 * names the field and the offending value.
 */
final class ApiInput {
    private static final int MAX_ECHO = 80;
    private static final int MAX_DNS_NAME = 253;

    private ApiInput() {
    }

    /**
     * A strict dotted-quad IPv4 literal: four decimal parts 0..255, no leading zeros (as Go's net.ParseIP).
     *
     * @return the same text (it is already canonical)
     */
    static String ipv4(String text, String field) throws ApiException {
        String value = required(text, field);
        String[] parts = value.split("\\.", -1);
        if (parts.length != 4) {
            throw bad(field, "not an IPv4 address", value);
        }
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                throw bad(field, "not an IPv4 address", value);
            }
            for (int i = 0; i < part.length(); i++) {
                if (part.charAt(i) < '0' || part.charAt(i) > '9') {
                    throw bad(field, "not an IPv4 address", value);
                }
            }
            if (Integer.parseInt(part) > 255) {
                throw bad(field, "not an IPv4 address", value);
            }
        }
        return value;
    }

    /** An IPv4 literal, or an IPv6 literal without brackets or zone; IPv6 comes back lower-cased. */
    static String ipLiteral(String text, String field) throws ApiException {
        String value = required(text, field);
        if (value.indexOf(':') < 0) {
            return ipv4(value, field);
        }
        return ipv6(value, field);
    }

    private static String ipv6(String value, String field) throws ApiException {
        if (value.length() > 45) {
            throw bad(field, "not an IP address", value);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) {
                throw bad(field, "not an IP address", value);
            }
        }
        try {
            // Bracketed, the JDK parses an IPv6 literal or fails; it never looks a bracketed name up.
            InetAddress.getByName("[" + value + "]");
        } catch (UnknownHostException | RuntimeException e) {
            throw bad(field, "not an IP address", value);
        }
        return value.toLowerCase(Locale.ROOT);
    }

    /** A port number 1..65535 in plain decimal. */
    static int port(String text, String field) throws ApiException {
        String value = required(text, field);
        if (value.length() > 5 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(field, "not a port number", value);
        }
        int port = Integer.parseInt(value);
        if (port < 1 || port > 65535) {
            throw bad(field, "port out of range 1..65535", value);
        }
        return port;
    }

    /**
     * {@code tcp}, {@code udp} or {@code unix}, any case; absent means {@code tcp} (as in gvproxy). Anything else
     * answers 400 "unknown protocol X" (gvproxy's words; it answers 500).
     */
    static String protocol(String text) throws ApiException {
        if (text == null || text.isEmpty()) {
            return "tcp";
        }
        String value = text.toLowerCase(Locale.ROOT);
        if (!value.equals("tcp") && !value.equals("udp") && !value.equals("unix")) {
            throw new ApiException(400, "unknown protocol " + unquoted(text) + " (tcp, udp or unix)");
        }
        return value;
    }

    /**
     * A host address to listen on: {@code IPv4:PORT}, {@code [IPv6]:PORT}, or {@code :PORT} (gvproxy's form for all
     * interfaces, which becomes {@code 0.0.0.0:PORT}).
     */
    static String localAddress(String text) throws ApiException {
        String value = required(text, "local");
        int colon = value.lastIndexOf(':');
        if (colon < 0) {
            throw bad("local", "expected IP:PORT", value);
        }
        String host = value.substring(0, colon);
        int port = port(value.substring(colon + 1), "local port");
        if (host.isEmpty()) {
            return "0.0.0.0:" + port;
        }
        if (host.startsWith("[") && host.endsWith("]") && host.length() > 2) {
            // RFC 5952's form, as the forward list shows it, so that unexpose finds it however it was written
            return "[" + canonical6(host.substring(1, host.length() - 1), "local") + "]:" + port;
        }
        return ipv4(host, "local") + ":" + port;
    }

    /** A unix forward's socket: an absolute path that fits a socket address; returned normalised. */
    static String unixPath(String text) throws ApiException {
        String value = required(text, "local");
        try {
            return ForwardSpec.unixPath(value).getPath().toString();
        } catch (IllegalArgumentException e) { // InvalidPathException too
            throw ApiException.badRequest("local: " + e.getMessage());
        }
    }

    /**
     * A guest address to forward to: {@code HOST:PORT} where HOST is an IPv4 literal or a name the gateway's DNS
     * answers, looked up at each connection (gvproxy takes {@code nohost:22} as well), or {@code [HOST]:PORT} (Go's
     * {@code net.JoinHostPort} form) where HOST is an IPv6 literal, or a name meaning its IPv6 address.
     */
    static String remoteAddress(String text) throws ApiException {
        String value = required(text, "remote");
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 2 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw bad("remote", "expected [HOST]:PORT", value);
            }
            String host = value.substring(1, close);
            int port = port(value.substring(close + 2), "remote port");
            if (host.indexOf(':') >= 0) {
                Ipv6Address a = Ipv6Address.parse(canonical6(host, "remote"));
                if (a.high() == 0 || a.isMulticast()) {
                    throw bad("remote", "not an IPv6 address a guest can have", value);
                }
                return "[" + a + "]:" + port;
            }
            if (host.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) {
                throw bad("remote", "an IPv4 address goes without brackets", value);
            }
            return "[" + dnsName(host, "remote", false) + "]:" + port;
        }
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw bad("remote", "expected HOST:PORT", value);
        }
        String host = value.substring(0, colon);
        if (host.indexOf(':') >= 0) {
            throw bad("remote", "an IPv6 address goes in brackets, [ADDRESS]:PORT", value);
        }
        return host(host) + ":" + port(value.substring(colon + 1), "remote port");
    }

    /** An IPv6 literal in RFC 5952's canonical form. */
    private static String canonical6(String text, String field) throws ApiException {
        String checked = ipv6(text, field);
        Ipv6Address a = Ipv6Address.parseOrNull(checked);
        if (a == null) {
            throw bad(field, "not an IP address", text);
        }
        return a.toString();
    }

    /**
     * A unix forward's remote: gvproxy's {@code tcp://HOST:PORT} (the guest's TCP port), or {@code HOST:PORT} alone;
     * returned as {@code tcp://HOST:PORT}. gvproxy's other scheme, {@code ssh-tunnel://} (a unix socket in the guest
     * reached over SSH), is 501.
     */
    static String unixRemote(String text) throws ApiException {
        String value = required(text, "remote");
        int scheme = value.indexOf("://");
        if (scheme >= 0) {
            String name = value.substring(0, scheme);
            if (!name.equals("tcp")) {
                int status = name.equals("ssh-tunnel") ? 501 : 400;
                throw new ApiException(status, "remote protocol for unix forwarder is not implemented: "
                        + echo(name) + " (only tcp://HOST:PORT)");
            }
            value = value.substring(scheme + 3);
        }
        return ForwardSpec.TCP_SCHEME + remoteAddress(value);
    }

    /** An IPv4 literal or a DNS name, as a forward's guest. */
    private static String host(String text) throws ApiException {
        if (text.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.')) {
            return ipv4(text, "remote");
        }
        return dnsName(text, "remote", false);
    }

    /** Validates an expose request; returns it with canonical addresses and protocol. */
    static Forward expose(Forward request) throws ApiException {
        if (request == null) {
            throw ApiException.badRequest("bad JSON: expected an object with local, remote, protocol");
        }
        String protocol = protocol(request.protocol());
        if (protocol.equals("unix")) {
            return new Forward(unixPath(request.local()), unixRemote(request.remote()), protocol);
        }
        return new Forward(localAddress(request.local()), remoteAddress(request.remote()), protocol);
    }

    /** Validates an unexpose request (remote is ignored); returns it with canonical local address and protocol. */
    static Forward unexpose(Forward request) throws ApiException {
        if (request == null) {
            throw ApiException.badRequest("bad JSON: expected an object with local, protocol");
        }
        String protocol = protocol(request.protocol());
        return new Forward(protocol.equals("unix") ? unixPath(request.local()) : localAddress(request.local()), null,
                protocol);
    }

    /** Validates a DNS zone: names, IP literals; absent Records become an empty list. */
    static DnsZoneSpec zone(DnsZoneSpec zone) throws ApiException {
        if (zone == null) {
            throw ApiException.badRequest("bad JSON: expected an object with Name, Records, DefaultIP");
        }
        String name = dnsName(zone.name(), "Name", false);
        List<DnsRecordSpec> records = new ArrayList<>();
        if (zone.records() != null) {
            for (DnsRecordSpec record : zone.records()) {
                if (record == null) {
                    throw ApiException.badRequest("Records: null record");
                }
                records.add(new DnsRecordSpec(dnsName(record.name(), "Records[].Name", true),
                        ipLiteral(record.ip(), "Records[].IP")));
            }
        }
        String defaultIp = zone.defaultIp() == null || zone.defaultIp().isEmpty() ? null
                : ipLiteral(zone.defaultIp(), "DefaultIP");
        return new DnsZoneSpec(name, List.copyOf(records), defaultIp);
    }

    /** A DNS name: letters, digits, '-', '_', '.' (and '*' where wildcards may be), at most 253 characters. */
    static String dnsName(String text, String field, boolean wildcard) throws ApiException {
        String value = required(text, field);
        if (value.length() > MAX_DNS_NAME) {
            throw bad(field, "name longer than 253 characters", value);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || (wildcard && c == '*');
            if (!ok) {
                throw bad(field, "not a DNS name", value);
            }
        }
        return value;
    }

    private static String required(String text, String field) throws ApiException {
        if (text == null || text.isEmpty()) {
            throw ApiException.badRequest("missing " + field);
        }
        return text;
    }

    private static ApiException bad(String field, String why, String value) {
        return ApiException.badRequest(field + ": " + why + ": " + echo(value));
    }

    /** The value for an error message as gvproxy words it, unquoted: one line, at most 80 characters. */
    static String unquoted(String value) {
        String quoted = echo(value);
        return quoted.substring(1, quoted.length() - 1);
    }

    /** The value quoted for an error message: one line, at most 80 characters. */
    static String echo(String value) {
        String clipped = value.length() > MAX_ECHO ? value.substring(0, MAX_ECHO) + "..." : value;
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < clipped.length(); i++) {
            char c = clipped.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.append('"').toString();
    }
}
