package io.userv2.stack.dhcp6;

/**
 * An Identity Association for Prefix Delegation (RFC 8415 section 21.21), reduced to what this server needs to say
 * no: {@code IAID (4) | T1 (4) | T2 (4) | IA_PD-options}, where only a Status Code is read (IA Prefix options are
 * skipped: no prefixes are delegated on the virtual LAN). RFC 8415 sections 18.3.9 and 18.3.2: an IA_PD the server
 * will not serve goes back with no prefixes and a Status Code NoPrefixAvail nested in it. Immutable.
 *
 * @param iaid   the IA's identifier
 * @param t1     0..0xffffffff
 * @param t2     0..0xffffffff
 * @param status the nested Status Code, or null
 */
public record IaPd(int iaid, long t1, long t2, Dhcp6Status status) {
    /** Fixed part of the option data. */
    static final int FIXED_LENGTH = 12;

    /** Requires 32-bit times. */
    public IaPd {
        Dhcp6Repr.requireU32(t1, "T1");
        Dhcp6Repr.requireU32(t2, "T2");
    }

    /** The option-data length. */
    int encodedLength() {
        return FIXED_LENGTH + (status == null ? 0 : 4 + status.encodedLength());
    }

    /** E.g. {@code IA_PD IAID:1 T1:0 T2:0 (status NoPrefixAvail)}. */
    @Override
    public String toString() {
        return "IA_PD IAID:" + Integer.toUnsignedString(iaid) + " T1:" + t1 + " T2:" + t2
                + (status == null ? "" : " (status " + status + ")");
    }
}
