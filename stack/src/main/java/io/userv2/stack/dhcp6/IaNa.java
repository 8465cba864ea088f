package io.userv2.stack.dhcp6;

import java.util.List;
import java.util.Objects;

/**
 * An Identity Association for Non-temporary Addresses (RFC 8415 section 21.4):
 * {@code IAID (4) | T1 (4) | T2 (4) | IA_NA-options}, where the options read are IA Address ({@link IaAddress}) and
 * Status Code. Immutable.
 *
 * <p>"The IAID uniquely identifies this IA and MUST be unique among the identifiers for all of this client's IA_NAs."
 * A client is one DUID; a binding is one (DUID, IAID).
 *
 * @param iaid      the IA's identifier, as 32 bits
 * @param t1        seconds until the client renews with this server, 0..0xffffffff
 * @param t2        seconds until the client rebinds with any server, 0..0xffffffff
 * @param addresses the IA Address options, in order
 * @param status    the Status Code nested in the IA, or null
 */
public record IaNa(int iaid, long t1, long t2, List<IaAddress> addresses, Dhcp6Status status) {
    /** Fixed part of the option data. */
    static final int FIXED_LENGTH = 12;

    /** Requires 32-bit times; copies the list. */
    public IaNa {
        Dhcp6Repr.requireU32(t1, "T1");
        Dhcp6Repr.requireU32(t2, "T2");
        addresses = List.copyOf(Objects.requireNonNull(addresses, "addresses"));
    }

    /** An IA with addresses and no status. */
    public static IaNa of(int iaid, long t1, long t2, List<IaAddress> addresses) {
        return new IaNa(iaid, t1, t2, addresses, null);
    }

    /** An IA without addresses, carrying only {@code status} (e.g. NoAddrsAvail, NoBinding). */
    public static IaNa failed(int iaid, Dhcp6Status status) {
        return new IaNa(iaid, 0, 0, List.of(), status);
    }

    /** The option-data length. */
    int encodedLength() {
        int n = FIXED_LENGTH;
        for (IaAddress a : addresses) {
            n += 4 + a.encodedLength();
        }
        return n + (status == null ? 0 : 4 + status.encodedLength());
    }

    /** E.g. {@code IA_NA IAID:1 T1:1800 T2:2880 (IAADDR fd00::1234 pltime:3600 vltime:3600)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("IA_NA IAID:").append(Integer.toUnsignedString(iaid)).append(" T1:")
                .append(t1).append(" T2:").append(t2);
        for (IaAddress a : addresses) {
            s.append(" (IAADDR ").append(a).append(')');
        }
        if (status != null) {
            s.append(" (status ").append(status).append(')');
        }
        return s.toString();
    }
}
