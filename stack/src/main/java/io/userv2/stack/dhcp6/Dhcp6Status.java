package io.userv2.stack.dhcp6;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A Status Code option (RFC 8415 section 21.13): {@code status-code (2) | status-message (UTF-8, not
 * NUL-terminated)}. Immutable.
 *
 * @param code    the status code (0..65535), one of the constants here or another
 * @param message the text for a human ("" when none)
 */
public record Dhcp6Status(int code, String message) {
    /** Success. */
    public static final int SUCCESS = 0;
    /** "Failure, reason unspecified". */
    public static final int UNSPEC_FAIL = 1;
    /** "The server has no addresses available to assign to the IA(s)." */
    public static final int NO_ADDRS_AVAIL = 2;
    /** "Client record (binding) unavailable." */
    public static final int NO_BINDING = 3;
    /** "The prefix for the address is not appropriate for the link to which the client is attached." */
    public static final int NOT_ON_LINK = 4;
    /** "Sent by a server to a client to force the client to send messages to the server using the multicast address". */
    public static final int USE_MULTICAST = 5;
    /** "The server has no prefixes available to assign to the IA_PD(s)." */
    public static final int NO_PREFIX_AVAIL = 6;

    /** Requires a 16-bit code and a message that fits an option. */
    public Dhcp6Status {
        Objects.requireNonNull(message, "message");
        if ((code & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("status code out of range: " + code);
        }
        if (message.getBytes(StandardCharsets.UTF_8).length > 0xFFFF - 2) {
            throw new IllegalArgumentException("status message too long");
        }
    }

    /** The status with {@code code} and {@code message}. */
    public static Dhcp6Status of(int code, String message) {
        return new Dhcp6Status(code, message);
    }

    /** The name RFC 8415 gives {@code code}, or its number. */
    public static String name(int code) {
        return switch (code) {
            case SUCCESS -> "Success";
            case UNSPEC_FAIL -> "UnspecFail";
            case NO_ADDRS_AVAIL -> "NoAddrsAvail";
            case NO_BINDING -> "NoBinding";
            case NOT_ON_LINK -> "NotOnLink";
            case USE_MULTICAST -> "UseMulticast";
            case NO_PREFIX_AVAIL -> "NoPrefixAvail";
            default -> Integer.toString(code);
        };
    }

    /** The option-data length. */
    int encodedLength() {
        return 2 + message.getBytes(StandardCharsets.UTF_8).length;
    }

    /** E.g. {@code NoAddrsAvail "pool exhausted"}. */
    @Override
    public String toString() {
        return name(code) + (message.isEmpty() ? "" : " \"" + message + "\"");
    }
}
