package io.userv2.switchd.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpOptions;

/**
 * Malformed IPv6 sent from a {@link RawPort} to the gateway, each kind counted by the gateway under one drop reason
 * (see {@code DropReason}): every frame is unicast to the gateway's MAC, from the raw port's own link-local address,
 * to the gateway's address in the LAN's prefix.
 */
final class Ipv6Burst {
    private final RawPort port;
    private final MacAddress mac;
    private final MacAddress gatewayMac;
    private final Ipv6Address src;
    private final Ipv6Address gateway;
    private final Ipv6Address gatewayLinkLocal;

    private Ipv6Burst(RawPort port, Ipv6Prefix prefix, MacAddress gatewayMac) {
        this.port = port;
        this.mac = MacAddress.parse(port.mac());
        this.gatewayMac = gatewayMac;
        this.src = Ipv6Address.linkLocalFromMac(mac.bits());
        this.gateway = prefix.host(2);
        this.gatewayLinkLocal = Ipv6Address.linkLocalFromMac(gatewayMac.bits());
    }

    static Ipv6Burst against(RawPort port, Ipv6Prefix prefix, MacAddress gatewayMac) {
        return new Ipv6Burst(port, prefix, gatewayMac);
    }

    private byte[] frame(Ipv6Address dst, int nextHeader, int hopLimit, byte[] payload) {
        ByteBuf out = Unpooled.buffer(54 + payload.length);
        int offset = new EthernetRepr(gatewayMac, mac, EtherType.IPV6).emit(out, 0);
        Ipv6Repr.writeHeader(out, offset, src.high(), src.low(), dst.high(), dst.low(), nextHeader, payload.length,
                hopLimit, 0, 0);
        out.setBytes(offset + 40, payload);
        byte[] bytes = new byte[54 + payload.length];
        out.getBytes(0, bytes);
        return bytes;
    }

    /**
     * {@code n} packets whose extension-header chain the gateway refuses (counted as ipv6_malformed or
     * ipv6_unsupported): nine headers, Hop-by-Hop after another header, an option whose type says discard, a Routing
     * header with segments left. Returns {@code n}.
     */
    int badChains(int n) {
        for (int i = 0; i < n; i++) {
            byte[] payload;
            int first;
            switch (i % 4) {
                case 0 -> {
                    payload = new byte[9 * 8 + 8];
                    for (int h = 0; h < 9; h++) {
                        payload[h * 8] = (byte) (h < 8 ? IpProtocol.IPV6_OPTS_NUMBER : IpProtocol.UDP_NUMBER);
                        payload[h * 8 + 2] = 1; // PadN of 4
                        payload[h * 8 + 3] = 4;
                    }
                    first = IpProtocol.IPV6_OPTS_NUMBER;
                }
                case 1 -> {
                    payload = new byte[24];
                    payload[0] = IpProtocol.HOPOPT_NUMBER; // Destination Options naming Hop-by-Hop next
                    payload[2] = 1;
                    payload[3] = 4;
                    payload[8] = IpProtocol.UDP_NUMBER;
                    payload[10] = 1;
                    payload[11] = 4;
                    first = IpProtocol.IPV6_OPTS_NUMBER;
                }
                case 2 -> {
                    payload = new byte[16];
                    payload[0] = IpProtocol.UDP_NUMBER;
                    payload[2] = 0x4F; // unrecognized, high bits 01: discard silently
                    payload[3] = 4;
                    first = IpProtocol.IPV6_OPTS_NUMBER;
                }
                default -> {
                    payload = new byte[32];
                    payload[0] = IpProtocol.UDP_NUMBER;
                    payload[1] = 2; // 24 bytes
                    payload[3] = 1; // segments left
                    first = IpProtocol.IPV6_ROUTE_NUMBER;
                }
            }
            port.send(frame(gateway, first, 64, payload));
        }
        return n;
    }

    /**
     * {@code n} Neighbor Solicitations for the gateway's link-local address whose source link-layer option has length
     * zero, checksum correct (counted as ndp_invalid: RFC 4861 4.6, "Nodes MUST silently discard an ND packet that
     * contains an option with length zero"). Returns {@code n}.
     */
    int ndpWithZeroLengthOptions(int n) {
        Icmpv6Repr ns = new Icmpv6Repr.NeighborSolicitation(gatewayLinkLocal, NdpOptions.sourceLinkLayer(mac));
        ByteBuf body = Unpooled.buffer(ns.bufferLength());
        ns.emit(body, 0, src, gatewayLinkLocal);
        body.setByte(24 + 1, 0); // the option's Length
        body.setShort(2, 0);
        int seed = Checksum.pseudoHeaderIpv6(src.high(), src.low(), gatewayLinkLocal.high(), gatewayLinkLocal.low(),
                IpProtocol.ICMPV6_NUMBER, ns.bufferLength());
        body.setShort(2, Checksum.finish(Checksum.partial(body, 0, ns.bufferLength(), seed)));
        byte[] payload = new byte[ns.bufferLength()];
        body.getBytes(0, payload);
        byte[] f = frame(gatewayLinkLocal, IpProtocol.ICMPV6_NUMBER, 255, payload);
        for (int i = 0; i < n; i++) {
            port.send(f);
        }
        return n;
    }

    /**
     * {@code n} fragments (of n / 8 datagrams of 8 fragments each, out of order, that never complete: the last
     * fragment is never sent), all to the gateway: the first 16 datagrams are held in reassembly (the port's quota),
     * every later fragment is refused at that quota (fragment_owner_limit). Returns {@code n}.
     */
    int fragments(int n) {
        for (int i = 0; i < n; i++) {
            byte[] payload = new byte[8 + 64];
            payload[0] = IpProtocol.UDP_NUMBER;
            int offset = ((i * 7) % 8) * 64;
            payload[2] = (byte) (offset >>> 8);
            payload[3] = (byte) ((offset & 0xF8) | 1); // M set
            int id = i / 8;
            payload[4] = (byte) (id >>> 24);
            payload[5] = (byte) (id >>> 16);
            payload[6] = (byte) (id >>> 8);
            payload[7] = (byte) id;
            port.send(frame(gateway, IpProtocol.IPV6_FRAG_NUMBER, 64, payload));
        }
        return n;
    }
}
