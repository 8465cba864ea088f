package io.userv2.switchd.security;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortDropReason;
import java.util.function.IntPredicate;

/**
 * The network-layer half of port security, applied to every frame a VM port sends: nobody but the gateway speaks
 * for the gateway's addresses, and with IP source guard a port speaks only for the addresses DHCP bound to it.
 *
 * <ul>
 *   <li>IPv4 with a source the gateway owns: dropped ({@link PortDropReason#GATEWAY_IP_SPOOFED}).</li>
 *   <li>ARP whose sender protocol address the gateway owns: dropped ({@link PortDropReason#GATEWAY_ARP_SPOOFED});
 *       that is how a guest would take the gateway's address over in the other guests' ARP caches.</li>
 *   <li>With IP source guard: IPv4 whose source, and ARP whose sender protocol address, is not bound to this port by
 *       {@link DhcpBindings}: dropped ({@link PortDropReason#IP_SOURCE_GUARD}). Passes: 0.0.0.0, which a client
 *       without an address uses (RFC 2131 4.1: "DHCP messages broadcast by a client prior to that client obtaining
 *       its IP address must have the source address field in the IP header set to 0", and RFC 5227's ARP probes,
 *       whose "'sender IP address' field MUST be set to all zeroes"); and DHCP from client port 68 to server port 67,
 *       since a client renewing or rebinding sends from the address it holds (RFC 2131 4.4.5) even when our table no
 *       longer has it (a restart after the lease ran out), and the server itself NAKs what it did not lease.</li>
 * </ul>
 *
 * <p>With IPv6 on (an {@link Ipv6Owner} given), IPv6 too:
 * <ul>
 *   <li>IPv6 with a source the gateway owns (its link-local or LAN-prefix address): dropped
 *       ({@link PortDropReason#GATEWAY_IP_SPOOFED}).</li>
 *   <li>A Neighbor Advertisement whose target the gateway owns: dropped ({@link PortDropReason#GATEWAY_NDP_SPOOFED}),
 *       the IPv6 form of the ARP spoof.</li>
 *   <li>RA guard (RFC 6105): a Router Advertisement from a VM port is dropped
 *       ({@link PortDropReason#ROUTER_ADVERTISEMENT_GUARD}): a guest advertising itself would take the other guests'
 *       default route and DNS over. Following RFC 7113's advice against evasion, a packet from a link-local source
 *       with hop limit 255 (the only kind a host accepts an RA in, RFC 4861 6.1.2) is dropped as well when its
 *       extension-header chain cannot be walked, or when it is a fragment that would carry an RA.</li>
 * </ul>
 * IP source guard covers IPv4 only: IPv6 addresses come from SLAAC, which the gateway does not hand out, so there are
 * no bindings to check them against (the neighbour cache still accounts every address to its port). With IPv6 off,
 * IPv6 frames pass unchecked, as before.
 *
 * <p>On a switch without a gateway of its own ({@code --no-gateway}, {@link #trustingUplinks}) the same checks guard
 * the LAN's gateway on another host, and frames from uplink ports ({@link Port#isUplink()}) pass unchecked: the real
 * gateway's ARP, Neighbor Advertisements and Router Advertisements come in there.
 *
 * <p>802.1Q and 802.1ad tags are looked through, so a tag does not hide a spoofed source. Frames too short to hold
 * the fields pass (receivers drop them as malformed). Allocation-free; loop thread only.
 */
public final class IngressFilter {
    /** The gateway's IPv6 addresses, for the IPv6 checks. */
    @FunctionalInterface
    public interface Ipv6Owner {
        /** True when the gateway owns the IPv6 address of these 128 bits. */
        boolean owns(long high, long low);
    }

    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88a8;
    /** RFC 791 header: the source address at offset 12 of at least 20 bytes. */
    private static final int IPV4_SOURCE = 12;
    private static final int IPV4_MIN_HEADER = 20;
    private static final int IPV4_PROTOCOL = 9;
    private static final int UDP = 17;
    /** RFC 826 packet for Ethernet/IPv4: the sender protocol address at offset 14 of 28 bytes. */
    private static final int ARP_SENDER_IP = 14;
    private static final int ARP_LENGTH = 28;
    private static final int DHCP_CLIENT_PORT = 68;
    private static final int DHCP_SERVER_PORT = 67;

    private final IntPredicate gatewayOwns;
    private final DhcpBindings bindings;
    private final Ipv6Owner ipv6;
    private final boolean trustUplinks;
    /** The view IPv6 chains are walked with (one filter per switch, one thread). */
    private final Ipv6Packet view = Ipv6Packet.reusable();

    /**
     * A filter protecting the IPv4 addresses {@code gatewayOwns} accepts, and with {@code bindings} (null: IP source
     * guard off) binding each port to its leased addresses; IPv6 passes unchecked.
     */
    public IngressFilter(IntPredicate gatewayOwns, DhcpBindings bindings) {
        this(gatewayOwns, bindings, null);
    }

    /** As {@link #IngressFilter(IntPredicate, DhcpBindings)}, with the IPv6 checks when {@code ipv6} is not null. */
    public IngressFilter(IntPredicate gatewayOwns, DhcpBindings bindings, Ipv6Owner ipv6) {
        this(gatewayOwns, bindings, ipv6, false);
    }

    private IngressFilter(IntPredicate gatewayOwns, DhcpBindings bindings, Ipv6Owner ipv6, boolean trustUplinks) {
        this.gatewayOwns = gatewayOwns;
        this.bindings = bindings;
        this.ipv6 = ipv6;
        this.trustUplinks = trustUplinks;
    }

    /**
     * The filter of a pure switch, whose LAN gateway (owning the IPv4 addresses {@code gatewayOwns} accepts and, when
     * {@code ipv6} is not null, those IPv6 addresses) is behind an uplink: VM ports get every check but IP source
     * guard (the DHCP leases are the gateway host's); uplink ports none.
     */
    public static IngressFilter trustingUplinks(IntPredicate gatewayOwns, Ipv6Owner ipv6) {
        return new IngressFilter(gatewayOwns, null, ipv6, true);
    }

    /** True when IP source guard is on. */
    public boolean sourceGuard() {
        return bindings != null;
    }

    /**
     * Checks the frame at {@code buf[index, index + length)} (at least an Ethernet header) that came in on
     * {@code ingress}. Returns null to pass it, or why to drop it. The caller keeps {@code buf}.
     */
    public PortDropReason check(ByteBuf buf, int index, int length, Port ingress) {
        if (trustUplinks && ingress.isUplink()) {
            return null;
        }
        int end = index + length;
        int typeAt = index + 12;
        int type = buf.getUnsignedShort(typeAt);
        while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) && typeAt + 6 <= end) {
            typeAt += 4;
            type = buf.getUnsignedShort(typeAt);
        }
        int l3 = typeAt + 2;
        if (type == ETHERTYPE_IPV4) {
            if (end - l3 < IPV4_MIN_HEADER) {
                return null;
            }
            int source = buf.getInt(l3 + IPV4_SOURCE);
            if (gatewayOwns.test(source)) {
                return PortDropReason.GATEWAY_IP_SPOOFED;
            }
            if (bindings != null && source != 0 && !bindings.allows(source, ingress)
                    && !isDhcpToServer(buf, l3, end)) {
                return PortDropReason.IP_SOURCE_GUARD;
            }
        } else if (type == ETHERTYPE_ARP) {
            if (end - l3 < ARP_LENGTH) {
                return null;
            }
            int sender = buf.getInt(l3 + ARP_SENDER_IP);
            if (gatewayOwns.test(sender)) {
                return PortDropReason.GATEWAY_ARP_SPOOFED;
            }
            if (bindings != null && sender != 0 && !bindings.allows(sender, ingress)) {
                return PortDropReason.IP_SOURCE_GUARD;
            }
        } else if (type == ETHERTYPE_IPV6 && ipv6 != null) {
            return checkIpv6(buf, l3, end);
        }
        return null;
    }

    private PortDropReason checkIpv6(ByteBuf buf, int l3, int end) {
        if (end - l3 < Ipv6Packet.HEADER_LENGTH) {
            return null;
        }
        long srcHigh = buf.getLong(l3 + Ipv6Packet.SOURCE);
        long srcLow = buf.getLong(l3 + Ipv6Packet.SOURCE + 8);
        if (ipv6.owns(srcHigh, srcLow)) {
            return PortDropReason.GATEWAY_IP_SPOOFED;
        }
        boolean couldBeNdp = (srcHigh >>> 54) == (0xFE80L >>> 6)
                && buf.getUnsignedByte(l3 + Ipv6Packet.HOP_LIMIT) == 255;
        int nextHeader = buf.getUnsignedByte(l3 + Ipv6Packet.NEXT_HEADER);
        if (!couldBeNdp && (nextHeader == IpProtocol.TCP_NUMBER || nextHeader == IpProtocol.UDP_NUMBER)) {
            // Every TCP segment and UDP datagram without extension headers (the bulk of the traffic): no chain to
            // walk, no ICMPv6 in it, and not what an RA could hide in; the walk below would pass it too. The gateway
            // walks and validates what reaches it.
            return null;
        }
        if (view.wrap(buf, l3, end - l3) != null || (couldBeNdp && view.isFragment())) {
            // RFC 7113 3: what a guard cannot see through, or a fragmented packet that could be NDP (RFC 6980 lets
            // no node accept those), is dropped rather than let through.
            return couldBeNdp ? PortDropReason.ROUTER_ADVERTISEMENT_GUARD : null;
        }
        if (view.protocolNumber() != IpProtocol.ICMPV6_NUMBER || view.payloadLength() < 1
                || (view.isFragment() && view.fragmentOffset() != 0)) {
            return null;
        }
        int at = view.payloadOffset();
        int icmpType = buf.getUnsignedByte(at);
        if (icmpType == Icmpv6Packet.TYPE_ROUTER_ADVERTISEMENT) {
            return PortDropReason.ROUTER_ADVERTISEMENT_GUARD;
        }
        if (icmpType == Icmpv6Packet.TYPE_NEIGHBOR_ADVERTISEMENT && view.payloadLength() >= 24
                && ipv6.owns(buf.getLong(at + 8), buf.getLong(at + 16))) {
            return PortDropReason.GATEWAY_NDP_SPOOFED;
        }
        return null;
    }

    private static boolean isDhcpToServer(ByteBuf buf, int l3, int end) {
        int headerLength = (buf.getUnsignedByte(l3) & 0x0F) * 4;
        int udp = l3 + headerLength;
        return buf.getUnsignedByte(l3 + IPV4_PROTOCOL) == UDP && headerLength >= IPV4_MIN_HEADER && udp + 4 <= end
                && buf.getUnsignedShort(udp) == DHCP_CLIENT_PORT && buf.getUnsignedShort(udp + 2) == DHCP_SERVER_PORT;
    }
}
