package io.userv2.switchd.e2e;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Hand-built Ethernet/ARP/IPv4/ICMP/UDP frames and tiny accessors, written independently of the stack
 * module so that they can serve as a test oracle.
 */
public final class Frames {
    public static final byte[] BROADCAST = mac("ff:ff:ff:ff:ff:ff");
    public static final int ETH_IPV4 = 0x0800;
    public static final int ETH_ARP = 0x0806;

    private Frames() {}

    public static byte[] mac(String s) {
        String[] p = s.split(":");
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }

    public static byte[] ip(String s) {
        String[] p = s.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) Integer.parseInt(p[i]);
        }
        return b;
    }

    public static String ipString(byte[] f, int off) {
        return (f[off] & 0xff) + "." + (f[off + 1] & 0xff) + "." + (f[off + 2] & 0xff) + "." + (f[off + 3] & 0xff);
    }

    public static String macString(byte[] f, int off) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            sb.append(i == 0 ? "" : ":").append(String.format("%02x", f[off + i] & 0xff));
        }
        return sb.toString();
    }

    /** The RFC 1071 Internet checksum of {@code len} bytes at {@code off}. */
    public static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** Pads {@code frame} to {@code size} bytes with {@code fill} (real NICs pad short frames to 60 bytes). */
    public static byte[] pad(byte[] frame, int size, byte fill) {
        if (frame.length >= size) {
            return frame;
        }
        byte[] out = Arrays.copyOf(frame, size);
        Arrays.fill(out, frame.length, size, fill);
        return out;
    }

    /** An ARP request (42 bytes, unpadded) from {@code srcMac}/{@code srcIp} asking for {@code targetIp}. */
    public static byte[] arpRequest(String srcMac, String srcIp, String targetIp) {
        ByteBuffer b = ByteBuffer.allocate(42);
        b.put(BROADCAST).put(mac(srcMac)).putShort((short) ETH_ARP);
        b.putShort((short) 1).putShort((short) ETH_IPV4).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(mac(srcMac)).put(ip(srcIp)).put(new byte[6]).put(ip(targetIp));
        return b.array();
    }

    /** An ARP reply from {@code srcMac}/{@code srcIp} to {@code dstMac}/{@code dstIp}. */
    public static byte[] arpReply(String srcMac, String srcIp, String dstMac, String dstIp) {
        ByteBuffer b = ByteBuffer.allocate(42);
        b.put(mac(dstMac)).put(mac(srcMac)).putShort((short) ETH_ARP);
        b.putShort((short) 1).putShort((short) ETH_IPV4).put((byte) 6).put((byte) 4).putShort((short) 2);
        b.put(mac(srcMac)).put(ip(srcIp)).put(mac(dstMac)).put(ip(dstIp));
        return b.array();
    }

    /** An IPv4 packet (header checksum filled in) inside an Ethernet frame. */
    public static byte[] ipv4(String srcMac, String dstMac, String srcIp, String dstIp, int protocol, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + payload.length);
        b.put(mac(dstMac)).put(mac(srcMac)).putShort((short) ETH_IPV4);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) 0x1234).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) protocol).putShort((short) 0).put(ip(srcIp)).put(ip(dstIp));
        b.put(payload);
        byte[] f = b.array();
        int c = checksum(f, 14, 20);
        f[24] = (byte) (c >> 8);
        f[25] = (byte) c;
        return f;
    }

    /** An ICMP echo request frame. */
    public static byte[] icmpEcho(String srcMac, String dstMac, String srcIp, String dstIp, int id, int seq, byte[] data) {
        byte[] icmp = new byte[8 + data.length];
        icmp[0] = 8;
        icmp[4] = (byte) (id >> 8);
        icmp[5] = (byte) id;
        icmp[6] = (byte) (seq >> 8);
        icmp[7] = (byte) seq;
        System.arraycopy(data, 0, icmp, 8, data.length);
        int c = checksum(icmp, 0, icmp.length);
        icmp[2] = (byte) (c >> 8);
        icmp[3] = (byte) c;
        return ipv4(srcMac, dstMac, srcIp, dstIp, 1, icmp);
    }

    /** A UDP datagram frame (UDP checksum 0: none, allowed for IPv4 by RFC 768). */
    public static byte[] udp(String srcMac, String dstMac, String srcIp, String dstIp, int srcPort, int dstPort, byte[] data) {
        ByteBuffer u = ByteBuffer.allocate(8 + data.length);
        u.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + data.length)).putShort((short) 0).put(data);
        return ipv4(srcMac, dstMac, srcIp, dstIp, 17, u.array());
    }

    public static int etherType(byte[] f) {
        return f.length < 14 ? -1 : ((f[12] & 0xff) << 8) | (f[13] & 0xff);
    }

    public static boolean isArp(byte[] f, int op) {
        return etherType(f) == ETH_ARP && f.length >= 42 && f[21] == op;
    }

    public static boolean isIpv4(byte[] f, int protocol) {
        return etherType(f) == ETH_IPV4 && f.length >= 34 && (f[14] & 0xf0) == 0x40 && (f[23] & 0xff) == protocol;
    }

    /** IPv4 total length field. */
    public static int ipTotalLength(byte[] f) {
        return ((f[16] & 0xff) << 8) | (f[17] & 0xff);
    }

    public static int ipHeaderLength(byte[] f) {
        return (f[14] & 0x0f) * 4;
    }

    /** ICMP type of an IPv4/ICMP frame. */
    public static int icmpType(byte[] f) {
        return f[14 + ipHeaderLength(f)] & 0xff;
    }

    /** The ICMP message of an IPv4/ICMP frame, as long as the IP header says (not the frame). */
    public static byte[] icmpMessage(byte[] f) {
        int start = 14 + ipHeaderLength(f);
        return Arrays.copyOfRange(f, start, 14 + ipTotalLength(f));
    }
}
