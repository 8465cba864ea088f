package io.userv2.stack.wire;

import java.util.Objects;

/**
 * The outcome of a {@code checked(...)} or {@code parse(...)}: either {@link Ok} with the value or {@link Failed} with a
 * {@link ParseError} kind and a short constant detail (for logs and counters). Bad input never throws through the
 * packet path; it comes back as a {@link Failed}.
 *
 * <p>Typical use: {@code if (r instanceof ParseResult.Ok<Ipv4Packet> ok) { Ipv4Packet p = ok.value(); ... }}, or
 * {@link #orNull()} plus {@link #error()} when a branch-free hot path is wanted.
 *
 * @param <T> the parsed type
 */
public sealed interface ParseResult<T> permits ParseResult.Ok, ParseResult.Failed {

    /** A successful parse holding {@code value}. */
    record Ok<T>(T value) implements ParseResult<T> {
        /** Requires a non-null value. */
        public Ok {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String toString() {
            return "Ok[" + value + "]";
        }
    }

    /** A failed parse: the {@code error} kind and a constant human-readable {@code detail}. */
    record Failed<T>(ParseError error, String detail) implements ParseResult<T> {
        /** Requires both fields. */
        public Failed {
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String toString() {
            return error + ": " + detail;
        }
    }

    /** Wraps a successful value. */
    static <T> ParseResult<T> ok(T value) {
        return new Ok<>(value);
    }

    /** A {@link ParseError#TRUNCATED} failure. */
    static <T> ParseResult<T> truncated(String detail) {
        return new Failed<>(ParseError.TRUNCATED, detail);
    }

    /** A {@link ParseError#MALFORMED} failure. */
    static <T> ParseResult<T> malformed(String detail) {
        return new Failed<>(ParseError.MALFORMED, detail);
    }

    /** A {@link ParseError#BAD_CHECKSUM} failure. */
    static <T> ParseResult<T> badChecksum(String detail) {
        return new Failed<>(ParseError.BAD_CHECKSUM, detail);
    }

    /** An {@link ParseError#UNSUPPORTED} failure. */
    static <T> ParseResult<T> unsupported(String detail) {
        return new Failed<>(ParseError.UNSUPPORTED, detail);
    }

    /** True for {@link Ok}. */
    default boolean isOk() {
        return this instanceof Ok;
    }

    /** The value for {@link Ok}, {@code null} for {@link Failed}. */
    default T orNull() {
        return this instanceof Ok<T> ok ? ok.value() : null;
    }

    /** The error kind for {@link Failed}, {@code null} for {@link Ok}. */
    default ParseError error() {
        return this instanceof Failed<T> f ? f.error() : null;
    }

    /** Re-types a {@link Failed} (which holds no value) for a caller that parses a different type. */
    @SuppressWarnings("unchecked")
    default <U> ParseResult<U> castFailure() {
        if (this instanceof Failed) {
            return (ParseResult<U>) this;
        }
        throw new IllegalStateException("not a failure: " + this);
    }
}
