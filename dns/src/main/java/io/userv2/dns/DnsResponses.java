package io.userv2.dns;

import java.util.List;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** Builds answers: from a validated query with dnsjava, or header-only from raw bytes. Stateless. */
final class DnsResponses {

    private DnsResponses() {}

    /** The answer skeleton: ID, QR, RD copied, RA, opcode QUERY, the question, and an OPT echo when the query had one. */
    static Message start(DnsQuery q, int rcode, boolean authoritative, int ednsPayload) {
        Message r = new Message(q.id());
        Header h = r.getHeader();
        h.setFlag(Flags.QR);
        if (authoritative) {
            h.setFlag(Flags.AA);
        }
        if (q.recursionDesired()) {
            h.setFlag(Flags.RD);
        }
        h.setFlag(Flags.RA);
        if (q.checkingDisabled()) {
            h.setFlag(Flags.CD);
        }
        h.setOpcode(Opcode.QUERY);
        h.setRcode(rcode & 0xF);
        r.addRecord(q.question(), Section.QUESTION);
        if (q.opt() != null) {
            int doBit = q.opt().getFlags() & ExtendedFlags.DO;
            r.addRecord(new OPTRecord(ednsPayload, rcode >>> 4, 0, doBit), Section.ADDITIONAL);
        }
        return r;
    }

    /** An answer holding {@code answers} (possibly none: NODATA). */
    static Message withAnswers(DnsQuery q, List<Record> answers, boolean authoritative, int ednsPayload) {
        Message r = start(q, Rcode.NOERROR, authoritative, ednsPayload);
        for (Record a : answers) {
            r.addRecord(a, Section.ANSWER);
        }
        return r;
    }

    /**
     * A negative answer (RFC 2308): {@code rcode} NOERROR (NODATA) or NXDOMAIN, no answer records, and {@code soa} in
     * the authority section so that the answer may be cached for the SOA's negative TTL.
     */
    static Message negative(DnsQuery q, int rcode, boolean authoritative, Record soa, int ednsPayload) {
        Message r = start(q, rcode, authoritative, ednsPayload);
        r.addRecord(soa, Section.AUTHORITY);
        return r;
    }

    /** The RCODE of a serialised reply (the header's 4 bits; 0 when too short to say). */
    static int rcode(byte[] wire) {
        return wire.length >= 12 ? wire[3] & 0x0F : Rcode.NOERROR;
    }

    /** The ANCOUNT of a serialised reply (0 when too short to say). */
    static int answerCount(byte[] wire) {
        return wire.length >= 12 ? ((wire[6] & 0xff) << 8) | (wire[7] & 0xff) : 0;
    }

    /**
     * A 12-byte header-only reply to raw bytes that could not be handled as a query: the query's ID, QR, its opcode
     * and RD bit, and {@code rcode}. {@code raw} must hold at least 2 bytes.
     */
    static byte[] headerOnly(byte[] raw, int rcode) {
        byte[] r = new byte[12];
        r[0] = raw[0];
        r[1] = raw[1];
        int flags = raw.length > 2 ? raw[2] & 0xff : 0;
        r[2] = (byte) (0x80 | (flags & 0x78) | (flags & 0x01)); // QR, opcode, RD
        r[3] = (byte) (0x80 | (rcode & 0x0F)); // RA, rcode
        return r;
    }

    /** True when the serialised reply has TC set. */
    static boolean truncated(byte[] wire) {
        return wire.length >= 3 && (wire[2] & 0x02) != 0;
    }
}
