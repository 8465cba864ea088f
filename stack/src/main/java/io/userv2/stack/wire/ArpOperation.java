package io.userv2.stack.wire;

/**
 * An ARP operation code (RFC 826 "ar$op", IANA "ARP Operation Codes"), as an open type: request and reply are
 * constants returned by {@link #of} without allocating; any other 16-bit value is kept as it is.
 */
public record ArpOperation(int code) {
    /** 1 as an int constant for switches. */
    public static final int REQUEST_CODE = 1;
    /** 2 as an int constant for switches. */
    public static final int REPLY_CODE = 2;

    /** ares_op$REQUEST. */
    public static final ArpOperation REQUEST = new ArpOperation(REQUEST_CODE);
    /** ares_op$REPLY. */
    public static final ArpOperation REPLY = new ArpOperation(REPLY_CODE);

    /** Requires a 16-bit value. */
    public ArpOperation {
        if ((code & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("ARP operation out of range: " + code);
        }
    }

    /** The constant for a known code, otherwise a new instance keeping {@code code} (low 16 bits). */
    public static ArpOperation of(int code) {
        return switch (code & 0xFFFF) {
            case REQUEST_CODE -> REQUEST;
            case REPLY_CODE -> REPLY;
            default -> new ArpOperation(code & 0xFFFF);
        };
    }

    /** {@code Request}, {@code Reply} or {@code op-N}. */
    @Override
    public String toString() {
        return switch (code) {
            case REQUEST_CODE -> "Request";
            case REPLY_CODE -> "Reply";
            default -> "op-" + code;
        };
    }
}
