package io.userv2.stack.wire;

/**
 * A TCP sequence (or acknowledgment) number: 32 bits that wrap around, compared in modulo-2^32 arithmetic
 * (RFC 9293 section 3.4: "the TCP must perform ... comparisons ... on sequence numbers" modulo 2^32).
 * As gVisor's {@code pkg/tcpip/seqnum}: {@code a < b} iff the signed 32-bit difference {@code a - b} is negative,
 * which is meaningful while the two numbers are less than 2^31 apart.
 *
 * <p>TCP code compares sequence numbers only through this type, never as raw {@code int}s. It deliberately does not
 * implement {@link Comparable}: wrap-around order is not transitive over the whole ring.
 *
 * <p>Two forms of the same arithmetic: the record, for tests, logs and the parsed {@link TcpRepr}; and static methods
 * over the raw 32 bits ({@link #lt(int, int)}, {@link #diff(int, int)}, ...), for the engine's hot path, which keeps
 * sequence numbers in {@code int} fields so that no object is made per segment. {@link #add(int, int)} is plain
 * {@code int} addition, which wraps modulo 2^32 exactly as RFC 9293's arithmetic does, named so that sequence
 * arithmetic reads as such; ordering two raw numbers is never a raw {@code <}, always one of the methods below
 * (RFC 1982 serial number arithmetic with SERIAL_BITS = 32).
 *
 * @param value the 32 bits as they appear on the wire (read as unsigned by {@link #toString()})
 */
public record SeqNumber(int value) {

    /** The sequence number whose 32 bits are {@code value}. */
    public static SeqNumber of(int value) {
        return new SeqNumber(value);
    }

    /** The sequence number of the low 32 bits of {@code value} (for unsigned values written as longs). */
    public static SeqNumber ofUnsigned(long value) {
        return new SeqNumber((int) value);
    }

    /** True when this number comes strictly before {@code other} (modulo 2^32). */
    public boolean lt(SeqNumber other) {
        return value - other.value < 0;
    }

    /** True when this number comes before or equals {@code other} (modulo 2^32). */
    public boolean le(SeqNumber other) {
        return value - other.value <= 0;
    }

    /** True when this number comes strictly after {@code other} (modulo 2^32). */
    public boolean gt(SeqNumber other) {
        return value - other.value > 0;
    }

    /** True when this number comes after or equals {@code other} (modulo 2^32). */
    public boolean ge(SeqNumber other) {
        return value - other.value >= 0;
    }

    /** True when {@code first <= this < end} (modulo 2^32); gVisor's {@code InRange}. */
    public boolean inRange(SeqNumber first, SeqNumber end) {
        return value - first.value >= 0 && value - end.value < 0;
    }

    /**
     * True when this number lies in the window of {@code size} numbers starting at {@code first}:
     * {@code first <= this < first + size}, computed without overflow for any {@code size} in 0..2^31-1.
     */
    public boolean inWindow(SeqNumber first, int size) {
        return Integer.compareUnsigned(value - first.value, size) < 0;
    }

    /** This number advanced by {@code n} (which may be negative), wrapping modulo 2^32. */
    public SeqNumber plus(int n) {
        return new SeqNumber(value + n);
    }

    /** The signed distance {@code this - other} (modulo 2^32): how far this number is ahead of {@code other}. */
    public int minus(SeqNumber other) {
        return value - other.value;
    }

    /** The later of the two (modulo 2^32). */
    public static SeqNumber max(SeqNumber a, SeqNumber b) {
        return a.lt(b) ? b : a;
    }

    /** The earlier of the two (modulo 2^32). */
    public static SeqNumber min(SeqNumber a, SeqNumber b) {
        return a.lt(b) ? a : b;
    }

    /** The value as an unsigned 32-bit number. */
    public long unsigned() {
        return value & 0xFFFF_FFFFL;
    }

    /** The unsigned decimal value, as tcpdump prints it. */
    @Override
    public String toString() {
        return Integer.toUnsignedString(value);
    }

    // ------------------------------------------------------------------------------------------------------------
    // The same arithmetic over raw 32-bit values (no object per call).

    /** True when {@code a} comes strictly before {@code b} (modulo 2^32): the signed difference is negative. */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** True when {@code a} comes before or equals {@code b} (modulo 2^32). */
    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    /** True when {@code a} comes strictly after {@code b} (modulo 2^32). */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** True when {@code a} comes after or equals {@code b} (modulo 2^32). */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** True when {@code first <= seq < end} (modulo 2^32); as {@link #inRange(SeqNumber, SeqNumber)}. */
    public static boolean inRange(int seq, int first, int end) {
        return seq - first >= 0 && seq - end < 0;
    }

    /**
     * True when {@code seq} lies in the window of {@code size} numbers starting at {@code first}:
     * {@code first <= seq < first + size}, for any {@code size} in 0..2^31-1; as {@link #inWindow(SeqNumber, int)}.
     */
    public static boolean inWindow(int seq, int first, int size) {
        return Integer.compareUnsigned(seq - first, size) < 0;
    }

    /** {@code seq} advanced by {@code n} (which may be negative), wrapping modulo 2^32; as {@link #plus(int)}. */
    public static int add(int seq, int n) {
        return seq + n;
    }

    /** The signed distance {@code a - b} (modulo 2^32): how far {@code a} is ahead of {@code b}; as {@link #minus}. */
    public static int diff(int a, int b) {
        return a - b;
    }

    /** The later of the two (modulo 2^32). */
    public static int max(int a, int b) {
        return a - b < 0 ? b : a;
    }

    /** The earlier of the two (modulo 2^32). */
    public static int min(int a, int b) {
        return a - b < 0 ? a : b;
    }
}
