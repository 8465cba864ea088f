package io.userv2.stack.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.stack.wire.NdpValidation;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpRepr;
import io.userv2.stack.wire.UdpRepr;

/** Frames and addresses of the IPv6 gateway tests, and a parsed view of what the gateway sends. */
final class Ipv6Frames {
    static final MacAddress GW_MAC = GatewayTest.GW_MAC;
    static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd6e:3b1c:2a00:1::/64");
    static final Ipv6Address GW_ULA = PREFIX.host(2);
    static final Ipv6Address GW_LL = Ipv6Address.parse("fe80::5894:efff:fee4:cdd");
    static final MacAddress VM_MAC = GatewayTest.VM_MAC;
    static final Ipv6Address VM_LL = Ipv6Address.linkLocalFromMac(VM_MAC.bits());
    static final Ipv6Address VM_ULA = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM_MAC.bits()));
    static final MacAddress VM2_MAC = MacAddress.parse("52:55:55:ab:cd:ef");
    static final Ipv6Address VM2_ULA = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM2_MAC.bits()));
    static final Ipv6Address REMOTE = Ipv6Address.parse("2001:db8::80");

    private Ipv6Frames() {
    }

    /** An Ethernet frame from {@code srcMac} to {@code dstMac} carrying an IPv6 packet with {@code payload}. */
    static byte[] ipv6(long dstMac, MacAddress srcMac, Ipv6Address src, Ipv6Address dst, int nextHeader,
                       int hopLimit, byte[] payload) {
        ByteBuf out = Unpooled.buffer(14 + 40 + payload.length);
        int offset = new EthernetRepr(MacAddress.of(dstMac), srcMac, EtherType.IPV6).emit(out, 0);
        Ipv6Repr.writeHeader(out, offset, src.high(), src.low(), dst.high(), dst.low(), nextHeader, payload.length,
                hopLimit, 0, 0);
        out.setBytes(offset + 40, payload);
        out.writerIndex(14 + 40 + payload.length);
        return HexLiteral.toArray(out);
    }

    /** The Ethernet destination a packet to {@code dst} goes to: the group's MAC, else the gateway's. */
    static long macFor(Ipv6Address dst) {
        return dst.isMulticast() ? dst.multicastMac() : GW_MAC.bits();
    }

    /** An ICMPv6 message from the VM ({@code srcMac}) with a correct checksum. */
    static byte[] icmp(MacAddress srcMac, Ipv6Address src, Ipv6Address dst, int hopLimit, Icmpv6Repr icmp) {
        ByteBuf body = Unpooled.buffer(icmp.bufferLength());
        icmp.emit(body, 0, src, dst);
        body.writerIndex(icmp.bufferLength());
        return ipv6(macFor(dst), srcMac, src, dst, IpProtocol.ICMPV6_NUMBER, hopLimit, HexLiteral.toArray(body));
    }

    /** A UDP datagram from the VM with a correct checksum. */
    static byte[] udp(MacAddress srcMac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort, byte[] data) {
        UdpRepr udp = new UdpRepr(srcPort, dstPort, data.length);
        ByteBuf body = Unpooled.buffer(udp.totalLength());
        body.setBytes(8, data);
        udp.emit(body, 0, src, dst);
        body.writerIndex(udp.totalLength());
        return ipv6(macFor(dst), srcMac, src, dst, IpProtocol.UDP_NUMBER, 64, HexLiteral.toArray(body));
    }

    /** A TCP segment from the VM with a correct checksum and no data. */
    static byte[] tcp(Ipv6Address src, Ipv6Address dst, int dstPort, TcpControl control, int seq, Integer ack) {
        TcpRepr tcp = new TcpRepr(40000, dstPort, control, SeqNumber.of(seq), ack == null ? null : SeqNumber.of(ack),
                64240, TcpOptions.NONE, 0);
        ByteBuf body = Unpooled.buffer(tcp.totalLength());
        tcp.emit(body, 0, src, dst);
        body.writerIndex(tcp.totalLength());
        return ipv6(GW_MAC.bits(), VM_MAC, src, dst, IpProtocol.TCP_NUMBER, 64, HexLiteral.toArray(body));
    }

    /** A Neighbor Solicitation from the VM with its link-layer address (none from ::). */
    static byte[] neighborSolicitation(Ipv6Address src, Ipv6Address dst, Ipv6Address target) {
        return icmp(VM_MAC, src, dst, 255, new Icmpv6Repr.NeighborSolicitation(target,
                src.isUnspecified() ? NdpOptions.NONE : NdpOptions.sourceLinkLayer(VM_MAC)));
    }

    /** One frame the gateway sent, parsed (and, for ICMPv6, checksummed and validated as RFC 4861 asks). */
    record Sent(byte[] bytes, long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int hopLimit,
                int protocol, Icmpv6Repr icmp, byte[] payload) {
        static Sent parse(byte[] frame) {
            ByteBuf buf = Unpooled.wrappedBuffer(frame);
            EthernetFrame eth = EthernetFrame.checked(buf).orNull();
            assertNotNull(eth, "not an Ethernet frame");
            assertEquals(EtherType.IPV6_VALUE, eth.payloadEtherTypeValue(), "not IPv6");
            Ipv6Packet ip = ok(Ipv6Packet.checked(eth), "IPv6 the gateway sent");
            assertEquals(ip.length(), eth.payloadLength(), "frame padded or short");
            Icmpv6Repr icmp = null;
            if (ip.protocolNumber() == IpProtocol.ICMPV6_NUMBER) {
                Icmpv6Packet p = ok(Icmpv6Packet.checked(ip), "ICMPv6");
                icmp = ok(NdpValidation.parse(ip, p), "ICMPv6 the gateway sent");
            }
            byte[] payload = new byte[ip.payloadLength()];
            buf.getBytes(ip.payloadOffset(), payload);
            return new Sent(frame, eth.destination(), eth.source(), ip.source(), ip.destination(), ip.hopLimit(),
                    ip.protocolNumber(), icmp, payload);
        }

        <T extends Icmpv6Repr> T icmp(Class<T> type) {
            assertTrue(type.isInstance(icmp), "expected " + type.getSimpleName() + ", got " + icmp);
            return type.cast(icmp);
        }
    }

    static <T> T ok(ParseResult<T> r, String what) {
        assertTrue(r instanceof ParseResult.Ok<T>, what + ": " + r);
        return ((ParseResult.Ok<T>) r).value();
    }
}
