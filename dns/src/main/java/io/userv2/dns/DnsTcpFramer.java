package io.userv2.dns;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * DNS over TCP framing (RFC 1035 section 4.2.2, RFC 7766): every message is preceded by its length as a two-byte
 * big-endian unsigned integer.
 *
 * <p>An instance cuts one connection's incoming byte stream into messages: feed it whatever each read returned
 * (several messages in one chunk, a message or even its length prefix split across chunks) and it hands each complete
 * message to the consumer, in order. A zero length prefix yields an empty message, which {@link DnsServer} drops.
 * The static {@link #frame} methods prefix an answer for sending.
 *
 * <p>Buffers: {@code feed} reads the given bytes before it returns and keeps no reference to them; every delivered
 * array is freshly allocated and belongs to the consumer. Not thread-safe: one instance per connection, fed from one
 * thread at a time.
 */
public final class DnsTcpFramer {

    private int prefixHave;
    private int prefixHigh;
    private byte[] message;
    private int messageHave;

    /**
     * Consumes all of {@code in}'s remaining bytes (its position ends at its limit).
     *
     * @return how many complete messages were delivered
     */
    public int feed(ByteBuffer in, Consumer<byte[]> onMessage) {
        int delivered = 0;
        // Bounded: every turn consumes at least one byte or ends the loop.
        while (in.hasRemaining()) {
            if (message == null) {
                int b = in.get() & 0xff;
                if (prefixHave == 0) {
                    prefixHigh = b;
                    prefixHave = 1;
                    continue;
                }
                prefixHave = 0;
                message = new byte[(prefixHigh << 8) | b];
                messageHave = 0;
            }
            int n = Math.min(in.remaining(), message.length - messageHave);
            in.get(message, messageHave, n);
            messageHave += n;
            if (messageHave == message.length) {
                byte[] done = message;
                message = null;
                delivered++;
                onMessage.accept(done);
            }
        }
        return delivered;
    }

    /**
     * Consumes {@code length} bytes of {@code bytes} from {@code offset}.
     *
     * @return how many complete messages were delivered
     */
    public int feed(byte[] bytes, int offset, int length, Consumer<byte[]> onMessage) {
        return feed(ByteBuffer.wrap(bytes, offset, length), onMessage);
    }

    /** Bytes received that belong to a message not yet complete (its prefix included). */
    public int pendingBytes() {
        return message != null ? 2 + messageHave : prefixHave;
    }

    /** Forgets any partial message (e.g. when the connection is reused after an error). */
    public void reset() {
        message = null;
        messageHave = 0;
        prefixHave = 0;
    }

    /** A fresh array holding the two-byte length prefix followed by {@code message}. */
    public static byte[] frame(byte[] message) {
        return frame(message, 0, message.length);
    }

    /**
     * A fresh array holding the two-byte length prefix followed by {@code length} bytes of {@code message}.
     *
     * @throws IllegalArgumentException when the message is longer than 65535 bytes
     */
    public static byte[] frame(byte[] message, int offset, int length) {
        if (length > DnsTransport.MAX_MESSAGE || length < 0) {
            throw new IllegalArgumentException("a DNS message over TCP is at most 65535 bytes: " + length);
        }
        byte[] out = new byte[2 + length];
        out[0] = (byte) (length >>> 8);
        out[1] = (byte) length;
        System.arraycopy(message, offset, out, 2, length);
        return out;
    }
}
