package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The DNS Search List option of a Router Advertisement (RFC 8106 section 5.2): domain names for the resolver's search
 * list and how long they may be used. Immutable.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type 31   |     Length    |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Lifetime                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * :                Domain Names of DNS Search List                :
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>RFC 8106: the names "MUST be encoded using the technique described in Section 3.1 of [RFC1035]. By this
 * technique, each domain name is represented as a sequence of domain labels, each label consisting of a length octet
 * followed by that number of octets. The domain name ends with the null label of the root domain. Multiple domain
 * names are represented by concatenating domain names." No compression; the option is padded with zero octets to a
 * multiple of 8. The names are held as dotted text without the final dot ({@code office.test}); a label may hold
 * printable ASCII other than the dot (which could not be written back).
 *
 * @param lifetime seconds, 32 bits unsigned; 0xFFFFFFFF is "infinity", 0 "no longer to be used"
 * @param domains  one or more domain names
 */
public record NdpDnssl(long lifetime, List<String> domains) {
    /** Option type 31. */
    public static final int TYPE = 31;
    /** RFC 1035 section 2.3.4: "labels 63 octets or less". */
    private static final int MAX_LABEL = 63;
    /** RFC 1035 section 2.3.4: "names 255 octets or less" (in wire form). */
    private static final int MAX_NAME = 255;

    /** Validates ranges and names and copies {@code domains}, dropping a final dot ({@code lan.} becomes {@code lan}). */
    public NdpDnssl {
        domains = Objects.requireNonNull(domains, "domains").stream()
                .map(d -> d.endsWith(".") ? d.substring(0, d.length() - 1) : d).toList();
        if (domains.isEmpty()) {
            throw new IllegalArgumentException("DNSSL needs at least one domain");
        }
        if ((lifetime & ~0xFFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("lifetime out of range: " + lifetime);
        }
        int total = 8;
        for (String d : domains) {
            total += wireLength(d);
        }
        if ((total + 7) / 8 > 255) {
            throw new IllegalArgumentException("DNSSL longer than 255 * 8 bytes");
        }
    }

    /** The wire length of {@code domain} (labels and the root's zero), or an exception naming what is wrong. */
    private static int wireLength(String d) {
        if (d.isEmpty()) {
            throw new IllegalArgumentException("DNSSL cannot carry the root domain");
        }
        int length = 1;
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > MAX_LABEL
                    || !label.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
                throw new IllegalArgumentException("not a domain name for DNSSL: " + d);
            }
            length += 1 + label.length();
        }
        if (length > MAX_NAME) {
            throw new IllegalArgumentException("domain name longer than 255 octets: " + d);
        }
        return length;
    }

    /**
     * Reads the option of {@code length} bytes at absolute {@code index} (bounded by the caller against the message);
     * null when the names are not RFC 1035 labels ending in the root label, use compression, are longer than allowed,
     * hold bytes other than printable ASCII without dots, are missing, or the padding is not zeros. The caller keeps
     * ownership of {@code buf}.
     */
    static NdpDnssl read(ByteBuf buf, int index, int length) {
        if (length < 16) {
            return null; // RFC 8106: "The minimum value is 2 if at least one domain name is contained"
        }
        int end = index + length;
        int i = index + 8;
        List<String> domains = new ArrayList<>(2);
        StringBuilder name = new StringBuilder();
        while (i < end) {
            if (buf.getByte(i) == 0) {
                // Padding: the rest must be zero octets.
                for (; i < end; i++) {
                    if (buf.getByte(i) != 0) {
                        return null;
                    }
                }
                break;
            }
            name.setLength(0);
            int start = i;
            while (true) {
                if (i >= end) {
                    return null; // no root label before the end of the option
                }
                int labelLength = buf.getUnsignedByte(i++);
                if (labelLength == 0) {
                    break;
                }
                if (labelLength > MAX_LABEL || labelLength > end - i) {
                    return null; // compression pointers (0xC0) and reserved forms are over 63
                }
                if (name.length() > 0) {
                    name.append('.');
                }
                for (int k = 0; k < labelLength; k++) {
                    int c = buf.getUnsignedByte(i++);
                    if (c <= 0x20 || c >= 0x7F || c == '.') {
                        return null;
                    }
                    name.append((char) c);
                }
            }
            if (i - start > MAX_NAME) {
                return null;
            }
            domains.add(name.toString());
        }
        return domains.isEmpty() ? null : new NdpDnssl(buf.getUnsignedInt(index + 4), domains);
    }

    /** The option's length in bytes: 8, the names, and zeros up to a multiple of 8. */
    public int encodedLength() {
        int length = 8;
        for (String d : domains) {
            length += wireLength(d);
        }
        return (length + 7) & ~7;
    }

    /** Writes the option at absolute {@code index}; returns {@link #encodedLength()}. Indices are not moved. */
    int emit(ByteBuf buf, int index) {
        int length = encodedLength();
        buf.setByte(index, TYPE);
        buf.setByte(index + 1, length / 8);
        buf.setShort(index + 2, 0);
        buf.setInt(index + 4, (int) lifetime);
        int i = index + 8;
        for (String name : domains) {
            for (String label : name.split("\\.")) {
                byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
                buf.setByte(i++, bytes.length);
                buf.setBytes(i, bytes);
                i += bytes.length;
            }
            buf.setByte(i++, 0);
        }
        buf.setZero(i, index + length - i);
        return length;
    }

    /** tcpdump style: {@code dnssl option: lifetime 3600s, domain(s): office.test, lan}. */
    @Override
    public String toString() {
        return "dnssl option: lifetime " + NdpPrefixInformation.lifetime(lifetime) + ", domain(s): "
                + String.join(", ", domains);
    }
}
