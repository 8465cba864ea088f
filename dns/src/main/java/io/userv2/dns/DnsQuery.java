package io.userv2.dns;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;

/**
 * A query that passed validation: its raw bytes (forwarded unchanged), the parsed message, its one question, its
 * OPT record if any, how it came and the largest answer it may receive. Immutable (the raw array is private to the
 * server).
 */
record DnsQuery(byte[] raw, Message message, Record question, OPTRecord opt, DnsTransport transport, int limit) {

    int id() {
        return message.getHeader().getID();
    }

    boolean recursionDesired() {
        return message.getHeader().getFlag(Flags.RD);
    }

    boolean checkingDisabled() {
        return message.getHeader().getFlag(Flags.CD);
    }

    /**
     * The answer size limit: 65535 over TCP; over UDP 512, or the EDNS0 payload size when there is an OPT record,
     * capped by the server's maximum and by what the front end can carry.
     */
    static int limit(DnsTransport t, OPTRecord opt, int maxUdpPayload) {
        if (t.isTcp()) {
            return DnsTransport.MAX_MESSAGE;
        }
        int client = opt == null ? DnsTransport.UDP_MIN : Math.max(DnsTransport.UDP_MIN, opt.getPayloadSize());
        return Math.min(t.maxMessageSize(), Math.min(client, maxUdpPayload));
    }

    @Override
    public String toString() {
        return "query id " + id() + " " + question + " over " + transport + " limit " + limit;
    }
}
