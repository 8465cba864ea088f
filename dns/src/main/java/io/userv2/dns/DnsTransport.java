package io.userv2.dns;

/**
 * How a query reached the server, which decides how large the answer may be.
 *
 * <p>UDP answers are limited to 512 bytes, or to the client's EDNS0 payload size when the query carries an OPT record,
 * and never more than {@link #maxMessageSize()} (what the front end can send in one datagram without fragmenting,
 * e.g. MTU - 28). TCP answers may use up to 65535 bytes. Immutable and thread-safe.
 *
 * @param isTcp whether the query arrived over TCP
 * @param maxMessageSize the largest DNS message the front end can carry back; at least 512
 */
public record DnsTransport(boolean isTcp, int maxMessageSize) {

    /** The largest DNS message of all (the TCP length prefix is 16 bits). */
    public static final int MAX_MESSAGE = 65535;
    /** The classic UDP limit every DNS client supports (RFC 1035 section 4.2.1). */
    public static final int UDP_MIN = 512;

    private static final DnsTransport TCP = new DnsTransport(true, MAX_MESSAGE);

    /** Checks the size; values below 512 are raised to 512 because every client must accept 512. */
    public DnsTransport {
        if (maxMessageSize <= 0 || maxMessageSize > MAX_MESSAGE) {
            throw new IllegalArgumentException("maxMessageSize out of range: " + maxMessageSize);
        }
        maxMessageSize = Math.max(UDP_MIN, maxMessageSize);
    }

    /** A query that came over TCP: the answer may use up to 65535 bytes. */
    public static DnsTransport tcp() {
        return TCP;
    }

    /**
     * A query that came over UDP.
     *
     * @param maxDatagramPayload the largest UDP payload the front end can send back (e.g. MTU - 28 on a link that
     *     cannot fragment); values below 512 are raised to 512
     */
    public static DnsTransport udp(int maxDatagramPayload) {
        return new DnsTransport(false, Math.max(UDP_MIN, Math.min(MAX_MESSAGE, maxDatagramPayload)));
    }

    @Override
    public String toString() {
        return isTcp ? "tcp" : "udp(max " + maxMessageSize + ")";
    }
}
