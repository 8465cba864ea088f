package io.userv2.switchd.api;

import java.nio.charset.StandardCharsets;

/**
 * What an API call answers.
 *
 * @param status the HTTP status
 * @param contentType the Content-Type, or null for an empty body
 * @param body the body bytes (empty for none)
 */
record Reply(int status, String contentType, byte[] body) {
    static final String TEXT = "text/plain; charset=utf-8";
    static final String JSON = "application/json";
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
    private static final int MAX_MESSAGE = 400;

    /** 200 with no body. */
    static Reply ok() {
        return new Reply(200, null, new byte[0]);
    }

    /** A 200 answer with this content. */
    static Reply ok(String contentType, byte[] body) {
        return new Reply(200, contentType, body);
    }

    /** An error answer: the message on one line (control characters replaced, clipped) plus a newline. */
    static Reply error(int status, String message) {
        return new Reply(status, TEXT, (oneLine(message) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The reply for an {@link ApiException}. */
    static Reply of(ApiException e) {
        return error(e.status(), e.getMessage());
    }

    /** {@code message} made one line of at most 400 characters; "error" when blank. */
    static String oneLine(String message) {
        if (message == null || message.isBlank()) {
            return "error";
        }
        String clipped = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "..." : message;
        StringBuilder out = new StringBuilder(clipped.length());
        for (int i = 0; i < clipped.length(); i++) {
            char c = clipped.charAt(i);
            out.append(Character.isISOControl(c) ? ' ' : c);
        }
        return out.toString().strip();
    }
}
