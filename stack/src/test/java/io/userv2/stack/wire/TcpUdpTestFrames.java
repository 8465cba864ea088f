package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Test helpers for the UDP, TCP and DHCP codec tests: hex literals and Ethernet + IPv4 framing for pcap4j. */
final class TcpUdpTestFrames {
    private TcpUdpTestFrames() {
    }

    /** Bytes of a hex literal; whitespace is ignored and {@code #} starts a comment running to the end of the line. */
    static byte[] hex(String text) {
        StringBuilder digits = new StringBuilder();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            digits.append((hash >= 0 ? line.substring(0, hash) : line).replaceAll("\\s+", ""));
        }
        if (digits.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] b = new byte[digits.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    /** A heap buffer whose readable bytes are {@code bytes} (the test owns it; heap buffers need no release). */
    static ByteBuf buf(byte[] bytes) {
        return Unpooled.wrappedBuffer(bytes);
    }

    /** {@code n} zero bytes as hex, for long runs of zeros in literals. */
    static String zeros(int n) {
        return "00".repeat(n);
    }

    /** The readable bytes of {@code buf} (not released). */
    static byte[] bytes(ByteBuf buf) {
        byte[] b = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), b);
        return b;
    }

    /** A JDK address for IPv4 bits. */
    static InetAddress inet(int bits) {
        try {
            return InetAddress.getByAddress(new Ipv4Address(bits).toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * An Ethernet II frame carrying an IPv4 packet (no options, TTL 64, DF) with {@code l4} as its payload. The IPv4
     * header checksum is computed here by a plain loop, independent of the code under test.
     */
    static byte[] ipv4Frame(int src, int dst, int protocol, byte[] l4) {
        byte[] f = new byte[14 + 20 + l4.length];
        byte[] dstMac = MacAddress.parse("52:55:55:12:34:56").toBytes();
        byte[] srcMac = MacAddress.parse("5a:94:ef:e4:0c:dd").toBytes();
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(srcMac, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x00;
        int ip = 14;
        int total = 20 + l4.length;
        f[ip] = 0x45;
        f[ip + 2] = (byte) (total >>> 8);
        f[ip + 3] = (byte) total;
        f[ip + 6] = 0x40;
        f[ip + 8] = 64;
        f[ip + 9] = (byte) protocol;
        System.arraycopy(new Ipv4Address(src).toBytes(), 0, f, ip + 12, 4);
        System.arraycopy(new Ipv4Address(dst).toBytes(), 0, f, ip + 16, 4);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((f[ip + i] & 0xFF) << 8) | (f[ip + i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum >>> 16) + (sum & 0xFFFF);
        }
        int checksum = ~sum & 0xFFFF;
        f[ip + 10] = (byte) (checksum >>> 8);
        f[ip + 11] = (byte) checksum;
        System.arraycopy(l4, 0, f, 34, l4.length);
        return f;
    }

    /** The value of an {@link ParseResult.Ok}, failing the test otherwise. */
    static <T> T ok(ParseResult<T> result) {
        if (result instanceof ParseResult.Ok<T> ok) {
            return ok.value();
        }
        throw new AssertionError("expected Ok, got " + result);
    }
}
