package io.userv2.switchd.api;

/**
 * A request the API answers with an error status and a one-line plain-text message (the exception's message).
 * Thrown by the API's validation and by {@link ControlPlane} implementations.
 */
public class ApiException extends Exception {
    private final int status;

    /**
     * @param status the HTTP status to answer, 400..599
     * @param message one line saying what was wrong, for the client
     */
    public ApiException(int status, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("not an error status: " + status);
        }
        this.status = status;
    }

    /** Like {@link #ApiException(int, String)}, keeping the cause for the log. */
    public ApiException(int status, String message, Throwable cause) {
        this(status, message);
        initCause(cause);
    }

    /** The HTTP status to answer. */
    public int status() {
        return status;
    }

    /** 400 Bad Request. */
    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }
}
