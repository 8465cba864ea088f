package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;

/** Test helper: packets written as commented hex ({@code #} starts a comment; whitespace is ignored). */
public final class HexLiteral {
    private HexLiteral() {
    }

    /** The bytes of a commented hex literal. */
    public static byte[] bytes(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            String hex = (hash >= 0 ? line.substring(0, hash) : line).replaceAll("\\s+", "");
            if (hex.length() % 2 != 0) {
                throw new IllegalArgumentException("odd number of hex digits in line: " + line);
            }
            for (int i = 0; i < hex.length(); i += 2) {
                out.write(Integer.parseInt(hex.substring(i, i + 2), 16));
            }
        }
        return out.toByteArray();
    }

    /** An unpooled heap buffer holding the literal; the caller releases it. */
    public static ByteBuf buffer(String text) {
        return Unpooled.wrappedBuffer(bytes(text));
    }

    /** The readable bytes of {@code buf} as an array, without moving its indices; does not release it. */
    public static byte[] toArray(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return b;
    }

    /** Lower-case hex without separators, for assertion messages. */
    public static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }
}
