package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpRepr;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test frames for reassembly: whole Ethernet/IPv4/UDP frames, and a plain reference fragmenter (independent of the
 * gateway's) that cuts them, or any byte range of them, into fragments.
 */
final class Fragments {
    private Fragments() {
    }

    /** A UDP frame with {@code dataLength} bytes of seeded random data and identification {@code id}. */
    static byte[] udpFrame(MacAddress dstMac, MacAddress srcMac, Ipv4Address src, Ipv4Address dst, int dstPort,
                           int dataLength, int id, long seed) {
        byte[] data = new byte[dataLength];
        new Random(seed).nextBytes(data);
        UdpRepr udp = new UdpRepr(40000, dstPort, dataLength);
        Ipv4Repr ip = new Ipv4Repr(src, dst, IpProtocol.UDP, udp.totalLength(), 64, id, false, 0);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(dstMac, srcMac, EtherType.IPV4).emit(out, 0);
        offset += ip.emit(out, offset);
        out.setBytes(offset + 8, data);
        udp.emit(out, offset, src.bits(), dst.bits());
        out.writerIndex(14 + ip.totalLength());
        return HexLiteral.toArray(out);
    }

    /** The IP header length of {@code frame} (an untagged IPv4 frame). */
    static int headerLength(byte[] frame) {
        return (frame[14] & 0xF) * 4;
    }

    /**
     * One fragment of {@code whole} (an untagged, unfragmented IPv4 frame): its Ethernet header and IP header with
     * the data bytes {@code [offset, offset + length)} of the IP payload, MF as given, checksum fixed. Options are
     * kept on every fragment (harmless for the reassembler, which takes the first fragment's). Bytes beyond the
     * datagram's end are zeros.
     */
    static byte[] fragment(byte[] whole, int offset, int length, boolean more) {
        int hl = headerLength(whole);
        byte[] out = new byte[14 + hl + length];
        System.arraycopy(whole, 0, out, 0, 14 + hl);
        int available = Math.max(0, Math.min(length, whole.length - 14 - hl - offset));
        System.arraycopy(whole, 14 + hl + offset, out, 14 + hl, available); // zeros beyond the datagram's end
        ByteBuf b = Unpooled.wrappedBuffer(out);
        b.setShort(14 + 2, hl + length);
        b.setShort(14 + 6, (more ? 0x2000 : 0) | (offset / 8));
        b.setShort(14 + 10, 0);
        b.setShort(14 + 10, Checksum.compute(b, 14, hl));
        return out;
    }

    /** {@code whole} cut into fragments of at most {@code mtu} IP bytes, in order. */
    static List<byte[]> fragment(byte[] whole, int mtu) {
        int hl = headerLength(whole);
        int payload = whole.length - 14 - hl;
        int max = (mtu - hl) & ~7;
        List<byte[]> out = new ArrayList<>();
        for (int at = 0; at < payload; at += max) {
            int n = Math.min(max, payload - at);
            out.add(fragment(whole, at, n, at + n < payload));
        }
        return out;
    }
}
