package io.userv2.stack.wire;

/**
 * Why bytes could not be read as a packet. The kinds are kept apart because callers act differently on them
 * (DESIGN.md example 8): {@link #TRUNCATED} means "fewer bytes than the header or a length field needs", which on a
 * stream could still be completed and on a frame is a cut-off packet; the others mean the bytes are there but wrong.
 */
public enum ParseError {
    /** Fewer bytes than the fixed header or a length field requires. */
    TRUNCATED,
    /** Enough bytes, but a field contradicts the specification or another field (e.g. IHL &lt; 5). */
    MALFORMED,
    /** A checksum over the bytes does not verify. */
    BAD_CHECKSUM,
    /** Well formed, but a variant this code does not implement (e.g. ARP for a non-Ethernet hardware type). */
    UNSUPPORTED
}
