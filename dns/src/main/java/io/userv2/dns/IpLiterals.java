package io.userv2.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Parses IP address literals without ever asking a resolver: {@code InetAddress.getByName} would happily send a
 * DNS query for anything that is not a literal, which a DNS server must never do by accident. Stateless.
 */
final class IpLiterals {

    private IpLiterals() {}

    /**
     * Parses a dotted-quad IPv4 or an IPv6 literal (optionally with a %zone).
     *
     * @return the address, or null if {@code text} is not a literal
     */
    static InetAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        byte[] v4 = parseIpv4(text);
        if (v4 != null) {
            try {
                return InetAddress.getByAddress(v4);
            } catch (UnknownHostException e) {
                return null; // cannot happen for 4 bytes
            }
        }
        if (text.indexOf(':') < 0) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%' || c == '['
                    || c == ']' || Character.isLetterOrDigit(c) || c == '_' || c == '-';
            if (!ok) {
                return null;
            }
        }
        try {
            // A string containing ':' is only ever treated as an IPv6 literal by the JDK: no lookup happens.
            return InetAddress.getByName(text.startsWith("[") ? text : "[" + text + "]");
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }

    /** Parses a dotted-quad IPv4 literal; null if it is not one. */
    static Inet4Address parseIpv4Address(String text) {
        InetAddress a = text == null ? null : parse(text);
        return a instanceof Inet4Address ? (Inet4Address) a : null;
    }

    private static byte[] parseIpv4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= s.length(); i++) {
            char c = i == s.length() ? '.' : s.charAt(i);
            if (c == '.') {
                if (value < 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }
}
