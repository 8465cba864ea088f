package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A DHCP Unique Identifier (RFC 8415 section 11), carried opaquely: clients are told apart by the exact octets of
 * their DUID, whatever its type (DUID-LLT 1, DUID-EN 2, DUID-LL 3, DUID-UUID 4, or one not yet defined), as section
 * 11 requires: "Clients and servers MUST treat DUIDs as opaque values and MUST only compare DUIDs for equality."
 * Immutable; equal when the octets are equal.
 *
 * <p>Section 11.1: "A DUID consists of a 2-octet type code represented in network byte order, followed by a variable
 * number of octets that make up the actual identifier. The length of the DUID (not including the type code) is at
 * least 1 octet and at most 128 octets." So a DUID has 3 to 130 octets.
 */
public final class Duid {
    /** DUID-LLT: link-layer address plus time. */
    public static final int TYPE_LLT = 1;
    /** DUID-EN: enterprise number plus identifier. */
    public static final int TYPE_EN = 2;
    /** DUID-LL: link-layer address. */
    public static final int TYPE_LL = 3;
    /** DUID-UUID (RFC 6355). */
    public static final int TYPE_UUID = 4;
    /** Shortest DUID: type code plus one octet. */
    public static final int MIN_LENGTH = 3;
    /** Longest DUID: type code plus 128 octets. */
    public static final int MAX_LENGTH = 130;
    /** Hardware type 1 (Ethernet) in a DUID-LL or DUID-LLT (RFC 826 / IANA ARP hardware types). */
    static final int HTYPE_ETHERNET = 1;

    private final byte[] octets;

    private Duid(byte[] octets) {
        this.octets = octets;
    }

    /** The DUID made of {@code octets} (copied); throws {@link IllegalArgumentException} unless 3..130 of them. */
    public static Duid of(byte[] octets) {
        Objects.requireNonNull(octets, "octets");
        if (octets.length < MIN_LENGTH || octets.length > MAX_LENGTH) {
            throw new IllegalArgumentException("DUID must have 3..130 octets: " + octets.length);
        }
        return new Duid(octets.clone());
    }

    /** The DUID of {@code length} octets at absolute {@code index} of {@code buf}, or null when the length is wrong. */
    static Duid read(ByteBuf buf, int index, int length) {
        if (length < MIN_LENGTH || length > MAX_LENGTH) {
            return null;
        }
        byte[] b = new byte[length];
        buf.getBytes(index, b);
        return new Duid(b);
    }

    /**
     * A DUID-LL for an Ethernet address (section 11.4): type 3, hardware type 1, the six octets. The server's own
     * identifier, made from the gateway's MAC, so it stays the same across restarts (section 11 wants a DUID stable
     * for a given server).
     */
    public static Duid linkLayer(MacAddress mac) {
        byte[] b = new byte[10];
        b[1] = TYPE_LL;
        b[3] = HTYPE_ETHERNET;
        long bits = mac.bits();
        for (int i = 0; i < 6; i++) {
            b[4 + i] = (byte) (bits >>> (8 * (5 - i)));
        }
        return new Duid(b);
    }

    /** Parses the form {@link #toString} writes: hex octets, optionally separated by colons. */
    public static Duid parse(String text) {
        String hex = text.trim().replace(":", "");
        try {
            return of(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a DUID: " + text, e);
        }
    }

    /** The type code (the first two octets). */
    public int type() {
        return ((octets[0] & 0xFF) << 8) | (octets[1] & 0xFF);
    }

    /** The number of octets. */
    public int length() {
        return octets.length;
    }

    /** A copy of the octets. */
    public byte[] toByteArray() {
        return octets.clone();
    }

    /** Octet {@code i}, without copying. */
    int octet(int i) {
        return octets[i] & 0xFF;
    }

    /** Writes the octets at absolute {@code index} of {@code buf} (indices not moved). */
    void write(ByteBuf buf, int index) {
        buf.setBytes(index, octets);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Duid d && Arrays.equals(octets, d.octets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(octets);
    }

    /** Hex octets separated by colons, e.g. {@code 00:03:00:01:5a:94:ef:e4:0c:dd}; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(octets);
    }
}
