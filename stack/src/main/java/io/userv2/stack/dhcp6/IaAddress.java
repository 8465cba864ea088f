package io.userv2.stack.dhcp6;

import java.net.Inet6Address;
import java.util.Objects;

/**
 * An IA Address option (RFC 8415 section 21.6), nested in an {@link IaNa}:
 * {@code IPv6-address (16) | preferred-lifetime (4) | valid-lifetime (4) | IAaddr-options}. Only a Status Code is read
 * from the nested options. Immutable.
 *
 * <p>"In a message sent by a client to a server, the preferred-lifetime and valid-lifetime fields SHOULD be set to 0.
 * The server MUST ignore any received values." A lifetime of 0xffffffff means infinity.
 *
 * @param address   the address
 * @param preferred preferred lifetime in seconds, 0..0xffffffff
 * @param valid     valid lifetime in seconds, 0..0xffffffff
 * @param status    a Status Code nested in the option, or null
 */
public record IaAddress(Inet6Address address, long preferred, long valid, Dhcp6Status status) {
    /** Fixed part of the option data. */
    static final int FIXED_LENGTH = 24;

    /** Requires an address and 32-bit lifetimes. */
    public IaAddress {
        Objects.requireNonNull(address, "address");
        Dhcp6Repr.requireU32(preferred, "preferred lifetime");
        Dhcp6Repr.requireU32(valid, "valid lifetime");
    }

    /** An address with lifetimes and no status. */
    public static IaAddress of(Inet6Address address, long preferred, long valid) {
        return new IaAddress(address, preferred, valid, null);
    }

    /** The option-data length. */
    int encodedLength() {
        return FIXED_LENGTH + (status == null ? 0 : 4 + status.encodedLength());
    }

    /** E.g. {@code fd00::1234 pltime:3600 vltime:3600}. */
    @Override
    public String toString() {
        return Dhcp6Repr.format(address) + " pltime:" + preferred + " vltime:" + valid
                + (status == null ? "" : " " + status);
    }
}
