package io.userv2.dns;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the DNS server did, counted. Owned by one {@link DnsServer}; every counter is a {@link LongAdder}, so
 * increments from many threads are cheap and reads are (slightly stale) snapshots. Thread-safe.
 */
public final class DnsCounters {

    final LongAdder queries = new LongAdder();
    final LongAdder answeredLocally = new LongAdder();
    final LongAdder hostResolved = new LongAdder();
    final LongAdder forwarded = new LongAdder();
    final LongAdder formerr = new LongAdder();
    final LongAdder notImplemented = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder servfail = new LongAdder();
    final LongAdder truncated = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder dns64Synthesized = new LongAdder();

    /** Every message handed to {@link DnsServer#answer}, well-formed or not. */
    public long queries() {
        return queries.sum();
    }

    /** Answered from the internal zone (names we own, their PTRs). */
    public long answeredLocally() {
        return answeredLocally.sum();
    }

    /** Answered from the host's resolver (A/AAAA) or host record lookups (CNAME, TXT, NS, MX, SRV). */
    public long hostResolved() {
        return hostResolved.sum();
    }

    /** Forwarded to an upstream nameserver and answered with its reply. */
    public long forwarded() {
        return forwarded.sum();
    }

    /** Answered FORMERR (unparseable, truncated header, QDCOUNT != 1). */
    public long formerr() {
        return formerr.sum();
    }

    /** Answered NOTIMP (an opcode other than QUERY). */
    public long notImplemented() {
        return notImplemented.sum();
    }

    /** Not answered at all: shorter than an ID, or a response rather than a query. */
    public long dropped() {
        return dropped.sum();
    }

    /** Answered SERVFAIL (upstream timeout, lookup failure, overload, internal error). */
    public long servfail() {
        return servfail.sum();
    }

    /** Answers sent with TC set because they did not fit the client's limit. */
    public long truncated() {
        return truncated.sum();
    }

    /** Queries refused by the full work queue (also counted in {@link #servfail()}). */
    public long rejected() {
        return rejected.sum();
    }

    /** AAAA answers synthesized from A records (DNS64, RFC 6147). */
    public long dns64Synthesized() {
        return dns64Synthesized.sum();
    }

    /** All counters by name, in a stable order, for {@code GET /stats}. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("queries", queries());
        m.put("answeredLocally", answeredLocally());
        m.put("hostResolved", hostResolved());
        m.put("forwarded", forwarded());
        m.put("formerr", formerr());
        m.put("notImplemented", notImplemented());
        m.put("dropped", dropped());
        m.put("servfail", servfail());
        m.put("truncated", truncated());
        m.put("rejected", rejected());
        m.put("dns64Synthesized", dns64Synthesized());
        return m;
    }

    @Override
    public String toString() {
        return "DnsCounters" + snapshot();
    }
}
