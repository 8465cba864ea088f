package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.net.Inet6Address;

/**
 * Test helpers for the IPv6 codec tests: packets assembled byte by byte, independently of the code under test, a
 * pseudo-header checksum by {@link ReferenceChecksum} over bytes laid out as RFC 8200 section 8.1 draws them, and
 * Ethernet framing for pcap4j.
 */
final class Ipv6TestPackets {
    static final Ipv6Address GUEST = Ipv6Address.parse("2001:db8::2");
    static final Ipv6Address GATEWAY = Ipv6Address.parse("2001:db8::1");
    static final MacAddress GUEST_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final MacAddress GATEWAY_MAC = MacAddress.parse("52:55:55:12:34:56");

    private Ipv6TestPackets() {
    }

    /** The bytes of the arrays one after the other. */
    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A fixed IPv6 header (traffic class and flow label 0) followed by {@code payload}; Payload Length fits it. */
    static byte[] ipv6(int nextHeader, int hopLimit, Ipv6Address src, Ipv6Address dst, byte[] payload) {
        byte[] p = new byte[40 + payload.length];
        p[0] = 0x60;
        p[4] = (byte) (payload.length >>> 8);
        p[5] = (byte) payload.length;
        p[6] = (byte) nextHeader;
        p[7] = (byte) hopLimit;
        System.arraycopy(src.toBytes(), 0, p, 8, 16);
        System.arraycopy(dst.toBytes(), 0, p, 24, 16);
        System.arraycopy(payload, 0, p, 40, payload.length);
        return p;
    }

    /**
     * An options extension header (Hop-by-Hop or Destination Options) naming {@code next}, with the option bytes of
     * the hex literal {@code options}; Hdr Ext Len is set from the length, which must make a multiple of 8.
     */
    static byte[] optionsHeader(int next, String options) {
        byte[] body = HexLiteral.bytes(options);
        int length = 2 + body.length;
        if (length % 8 != 0) {
            throw new IllegalArgumentException("options header not a multiple of 8: " + length);
        }
        byte[] h = new byte[length];
        h[0] = (byte) next;
        h[1] = (byte) (length / 8 - 1);
        System.arraycopy(body, 0, h, 2, body.length);
        return h;
    }

    /** The checksum of {@code upper} under the IPv6 pseudo header, by {@link ReferenceChecksum}: 0 when it verifies. */
    static int referenceChecksum(Ipv6Address src, Ipv6Address dst, int nextHeader, byte[] upper) {
        byte[] pseudo = new byte[40];
        System.arraycopy(src.toBytes(), 0, pseudo, 0, 16);
        System.arraycopy(dst.toBytes(), 0, pseudo, 16, 16);
        pseudo[32] = (byte) (upper.length >>> 24);
        pseudo[33] = (byte) (upper.length >>> 16);
        pseudo[34] = (byte) (upper.length >>> 8);
        pseudo[35] = (byte) upper.length;
        pseudo[39] = (byte) nextHeader;
        byte[] all = concat(pseudo, upper);
        return ReferenceChecksum.compute(Unpooled.wrappedBuffer(all), 0, all.length);
    }

    /** An Ethernet II frame, gateway MAC to guest MAC, EtherType IPv6, around {@code packet}. */
    static byte[] frame(byte[] packet) {
        byte[] f = new byte[14 + packet.length];
        System.arraycopy(GATEWAY_MAC.toBytes(), 0, f, 0, 6);
        System.arraycopy(GUEST_MAC.toBytes(), 0, f, 6, 6);
        f[12] = (byte) 0x86;
        f[13] = (byte) 0xdd;
        System.arraycopy(packet, 0, f, 14, packet.length);
        return f;
    }

    /** The readable bytes of {@code buf} (not released). */
    static byte[] bytes(ByteBuf buf) {
        return HexLiteral.toArray(buf);
    }

    /** A JDK address for pcap4j. */
    static Inet6Address inet(Ipv6Address a) {
        return a.toInetAddress();
    }

    /** The value of an {@link ParseResult.Ok}, failing the test otherwise. */
    static <T> T ok(ParseResult<T> result) {
        if (result instanceof ParseResult.Ok<T> ok) {
            return ok.value();
        }
        throw new AssertionError("expected Ok, got " + result);
    }
}
