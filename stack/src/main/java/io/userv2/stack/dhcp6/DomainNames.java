package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Domain names in DHCPv6 options (the Domain Search List of RFC 3646 section 4). RFC 8415 section 10: a domain name
 * "MUST be encoded as described in Section 3.1 of [RFC1035]. A domain name, or list of domain names, in DHCP MUST NOT
 * be stored in compressed form as described in Section 4.1.4 of [RFC1035]." So a name is its labels, each a length
 * octet (1..63) and that many octets, then a zero octet; a list is names end to end. Labels here are printable ASCII
 * without '.', which is every name a resolv.conf {@code search} line can hold.
 */
final class DomainNames {
    /** RFC 1035 section 2.3.4: "labels 63 octets or less". */
    static final int MAX_LABEL = 63;
    /** RFC 1035 section 2.3.4: "names 255 octets or less" (wire form, length octets and the final zero included). */
    static final int MAX_NAME = 255;

    private DomainNames() {
    }

    /** The wire form of {@code name} (a trailing dot allowed), or null when it is empty or not encodable. */
    static byte[] encode(String name) {
        if (name == null) {
            return null;
        }
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (n.isEmpty()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : n.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > MAX_LABEL) {
                return null;
            }
            for (int i = 0; i < label.length(); i++) {
                if (!printable(label.charAt(i))) {
                    return null;
                }
            }
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.write(0);
        return out.size() > MAX_NAME ? null : out.toByteArray();
    }

    /**
     * The names of a list of {@code length} octets at absolute {@code index} of {@code buf}, without trailing dots;
     * null when it is not a list of uncompressed names (a compression pointer, a label past the end, a name without
     * its zero octet, a name over 255 octets, a label that is not printable ASCII).
     */
    static List<String> decodeList(ByteBuf buf, int index, int length) {
        List<String> names = new ArrayList<>();
        int end = index + length;
        int i = index;
        while (i < end) {
            StringBuilder name = new StringBuilder();
            int start = i;
            while (true) {
                if (i >= end) {
                    return null; // no terminating zero octet
                }
                int len = buf.getUnsignedByte(i++);
                if (len == 0) {
                    break;
                }
                if (len > MAX_LABEL || end - i < len) {
                    return null; // 0xC0 pointers (and the reserved 0x40/0x80 forms) are over 63
                }
                if (name.length() > 0) {
                    name.append('.');
                }
                for (int k = 0; k < len; k++) {
                    char c = (char) buf.getUnsignedByte(i + k);
                    if (!printable(c)) {
                        return null;
                    }
                    name.append(c);
                }
                i += len;
            }
            if (name.length() == 0 || i - start > MAX_NAME) {
                return null;
            }
            names.add(name.toString());
        }
        return List.copyOf(names);
    }

    private static boolean printable(char c) {
        return c > 0x20 && c < 0x7F && c != '.';
    }
}
