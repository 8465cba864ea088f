package io.userv2.dns;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.NameTooLongException;
import org.xbill.DNS.SOARecord;

/**
 * The SOA record the gateway synthesises for the zones it answers for (and for the names of its host resolver), put
 * in the authority section of its NODATA and NXDOMAIN answers so that resolvers may cache them. RFC 2308 section 5:
 * "the TTL of this record is set from the minimum of the MINIMUM field of the SOA record and the TTL of the SOA
 * itself"; both are the negative TTL here. Resolvers accept the SOA only when its owner is the query name or one of
 * its suffixes (systemd-resolved checks that), which the caller guarantees. Stateless.
 */
final class ZoneSoa {

    /** Timers only secondaries use; the gateway has none, so they are conventional values. */
    private static final long REFRESH = 3600;
    private static final long RETRY = 600;
    private static final long EXPIRE = 86_400;

    private ZoneSoa() {}

    /**
     * @param apex the SOA's owner: the zone apex (or the query name itself for names outside the gateway's zones)
     * @param gatewayName the primary server name (MNAME); null uses the apex
     * @param serial a number that changes when the zone's names change (taken modulo 2^32)
     * @param negativeTtl seconds a negative answer may be cached: the record's TTL and its MINIMUM
     */
    static SOARecord of(Name apex, Name gatewayName, long serial, long negativeTtl) {
        Name mname = gatewayName != null ? gatewayName : apex;
        Name rname;
        try {
            rname = Name.concatenate(Name.fromConstantString("hostmaster"), apex);
        } catch (NameTooLongException e) {
            rname = apex; // a 250-odd-byte apex leaves no room for the label; the apex itself is still a valid name
        }
        return new SOARecord(apex, DClass.IN, negativeTtl, mname, rname, serial & 0xFFFF_FFFFL, REFRESH, RETRY,
                EXPIRE, negativeTtl);
    }
}
