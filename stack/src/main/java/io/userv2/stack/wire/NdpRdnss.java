package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Recursive DNS Server option of a Router Advertisement (RFC 8106 section 5.1): the addresses of resolvers and
 * how long they may be used. Immutable.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type 25   |     Length    |           Reserved            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Lifetime                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * :            Addresses of IPv6 Recursive DNS Servers            :
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>RFC 8106: "Length: The length of the option (including the Type and Length fields) in units of 8 octets. The
 * minimum value is 3 if one IPv6 address is contained in the option. Every additional RDNSS address increases the
 * length by 2."
 *
 * @param lifetime seconds, 32 bits unsigned; 0xFFFFFFFF is "infinity", 0 "no longer to be used"
 * @param servers  one or more resolver addresses
 */
public record NdpRdnss(long lifetime, List<Ipv6Address> servers) {
    /** Option type 25. */
    public static final int TYPE = 25;

    /** Validates ranges and copies {@code servers}. */
    public NdpRdnss {
        servers = List.copyOf(Objects.requireNonNull(servers, "servers"));
        if (servers.isEmpty() || servers.size() > 127) {
            throw new IllegalArgumentException("RDNSS needs 1..127 addresses: " + servers.size());
        }
        if ((lifetime & ~0xFFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("lifetime out of range: " + lifetime);
        }
    }

    /**
     * Reads the option at absolute {@code index} with Length {@code units} (8-octet units); null when the length is
     * not 3, 5, 7, .... The caller has bounded the option against the message and keeps ownership of {@code buf}.
     */
    static NdpRdnss read(ByteBuf buf, int index, int units) {
        if (units < 3 || (units & 1) == 0) {
            return null;
        }
        int count = (units - 1) / 2;
        List<Ipv6Address> servers = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            servers.add(Ipv6Address.read(buf, index + 8 + 16 * i));
        }
        return new NdpRdnss(buf.getUnsignedInt(index + 4), servers);
    }

    /** The option's length in bytes: 8 + 16 per address. */
    public int encodedLength() {
        return 8 + 16 * servers.size();
    }

    /** Writes the option at absolute {@code index}; returns {@link #encodedLength()}. Indices are not moved. */
    int emit(ByteBuf buf, int index) {
        int length = encodedLength();
        buf.setByte(index, TYPE);
        buf.setByte(index + 1, length / 8);
        buf.setShort(index + 2, 0);
        buf.setInt(index + 4, (int) lifetime);
        for (int i = 0; i < servers.size(); i++) {
            servers.get(i).write(buf, index + 8 + 16 * i);
        }
        return length;
    }

    /** tcpdump style: {@code rdnss option: lifetime 3600s, addr: 2001:db8::1}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("rdnss option: lifetime ")
                .append(NdpPrefixInformation.lifetime(lifetime)).append(", addr:");
        for (Ipv6Address a : servers) {
            sb.append(' ').append(a);
        }
        return sb.toString();
    }
}
