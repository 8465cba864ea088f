package io.userv2.stack.gateway;

/**
 * The bounds of an {@link Ipv4Reassembler} or an {@link Ipv6Reassembler}: everything a guest can make it hold is capped, per ingress owner and in
 * total, and held only for a while.
 *
 * <p>The defaults, and why:
 * <ul>
 *   <li>{@link #DEFAULT_TIMEOUT_NANOS} 15 s, RFC 791's suggested initial reassembly timer ("The current
 *       recommendation for the initial timer setting is 15 seconds"); Linux's {@code ipfrag_time} is 30 s, but on a
 *       virtual LAN the fragments of a datagram arrive back to back, so waiting longer only lets a missing fragment
 *       pin memory longer.</li>
 *   <li>{@link #DEFAULT_MAX_BYTES} 4 MiB in total, Linux's {@code ipfrag_high_thresh}.</li>
 *   <li>{@link #DEFAULT_MAX_DATAGRAMS} 64 datagrams in reassembly at once, {@link #DEFAULT_MAX_DATAGRAMS_PER_OWNER} 16
 *       of them for one owner: an owner at its cap holds at most 16 x 64 KiB, about a quarter of the byte budget, so
 *       one VM cannot stop another's reassembly.</li>
 *   <li>{@link #DEFAULT_MAX_FRAGMENTS} 128 fragments per datagram: a 65,535-byte datagram needs 45 fragments at MTU
 *       1500 and 119 at MTU 576 (RFC 1122 3.3.2: "MUST be able to reassemble incoming datagrams of at least 576
 *       octets"; we do up to 65,535). Linux has no such cap; FreeBSD's {@code maxfragsperpacket} is 16.</li>
 * </ul>
 *
 * @param maxDatagrams          most datagrams in reassembly at once, all owners together (at least 1)
 * @param maxDatagramsPerOwner  most datagrams in reassembly at once for one ingress owner (1..maxDatagrams)
 * @param maxFragments          most fragments held for one datagram (at least 2)
 * @param maxBytes              most bytes of reassembly buffers in total (capacity, at least 64 KiB + 74)
 * @param timeoutNanos          how long a datagram may stay incomplete, from its first fragment (positive)
 */
public record ReassemblyLimits(int maxDatagrams, int maxDatagramsPerOwner, int maxFragments, long maxBytes,
                               long timeoutNanos) {
    /** 64 datagrams. */
    public static final int DEFAULT_MAX_DATAGRAMS = 64;
    /** 16 datagrams per owner. */
    public static final int DEFAULT_MAX_DATAGRAMS_PER_OWNER = 16;
    /** 128 fragments per datagram. */
    public static final int DEFAULT_MAX_FRAGMENTS = 128;
    /** 4 MiB. */
    public static final long DEFAULT_MAX_BYTES = 4L << 20;
    /** 15 seconds. */
    public static final long DEFAULT_TIMEOUT_NANOS = 15_000_000_000L;
    /**
     * 60 seconds, for IPv6: RFC 8200 4.5, "If insufficient fragments are received to complete reassembly of a packet
     * within 60 seconds of the reception of the first-arriving fragment of that packet, reassembly of that packet must
     * be abandoned".
     */
    public static final long IPV6_TIMEOUT_NANOS = 60_000_000_000L;

    /** Validates the ranges. */
    public ReassemblyLimits {
        if (maxDatagrams < 1 || maxDatagramsPerOwner < 1 || maxDatagramsPerOwner > maxDatagrams) {
            throw new IllegalArgumentException("datagram limits: " + maxDatagrams + " total, " + maxDatagramsPerOwner
                    + " per owner");
        }
        if (maxFragments < 2) {
            throw new IllegalArgumentException("at least 2 fragments per datagram: " + maxFragments);
        }
        if (maxBytes < Ipv4Reassembler.MAX_BUFFER) {
            throw new IllegalArgumentException("byte budget below one full datagram: " + maxBytes);
        }
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeout must be positive: " + timeoutNanos);
        }
    }

    /**
     * The defaults for an {@link Ipv6Reassembler}: the same counts and byte budget (a budget of its own, beside
     * IPv4's), and RFC 8200's 60 s timeout.
     */
    public static ReassemblyLimits ipv6Defaults() {
        return new ReassemblyLimits(DEFAULT_MAX_DATAGRAMS, DEFAULT_MAX_DATAGRAMS_PER_OWNER, DEFAULT_MAX_FRAGMENTS,
                DEFAULT_MAX_BYTES, IPV6_TIMEOUT_NANOS);
    }

    /** The defaults above. */
    public static ReassemblyLimits defaults() {
        return new ReassemblyLimits(DEFAULT_MAX_DATAGRAMS, DEFAULT_MAX_DATAGRAMS_PER_OWNER, DEFAULT_MAX_FRAGMENTS,
                DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_NANOS);
    }
}
