package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpDnssl;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.stack.wire.NdpPrefixInformation;
import io.userv2.stack.wire.NdpRdnss;
import io.userv2.stack.wire.NdpValidation;
import io.userv2.stack.wire.ParseError;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpRepr;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The gateway's IPv6 half, made by {@link Gateway#enableIpv6}: the LAN's router for its /64 ({@link Ipv6Config}). The
 * {@link Gateway} hands it every IPv6 frame for its MAC or for an IPv6 multicast MAC ({@code 33:33:...}, which the
 * switch floods); it answers through the gateway's sink and allocator and counts in its {@link GatewayCounters}.
 * Sans-IO like the gateway: time is an argument, timers run from {@link Gateway#poll}.
 *
 * <p>Addresses: the link-local address of the gateway's MAC (modified EUI-64, RFC 4291 appendix A: fe80::5894:efff:
 * fee4:cdd for 5a:94:ef:e4:0c:dd) and {@link Ipv6Config#address()} in the LAN's prefix. The gateway never runs
 * duplicate address detection for them (nobody else may have them: the switch's port security drops guests' packets
 * that claim them); it joins all-nodes {@code ff02::1}, all-routers {@code ff02::2}, All_DHCP_Relay_Agents_and_Servers
 * {@code ff02::1:2} and the solicited-node groups of its two addresses.
 *
 * <p>Policy, with the rules it follows:
 * <ul>
 *   <li>Validity (RFC 8200): the chain of extension headers is walked by {@link Ipv6Packet}; what it refuses is
 *       dropped and counted, and answered with Parameter Problem where it says so (RFC 4443 2.4 e: never to a
 *       multicast destination or link-layer multicast except for an unrecognized option of type {@code 10}, never to
 *       a source that is not one host). Sources that are multicast, loopback or the gateway's own are dropped.
 *       Fragments addressed to the gateway's unicast addresses or beyond the LAN (its services and the NAT) are
 *       reassembled by an {@link Ipv6Reassembler} (RFC 8200 4.5: bounded per ingress port and in total, 60 s,
 *       overlaps drop the packet per RFC 5722, atomic fragments are whole packets per RFC 6946) and the whole packet
 *       is then handled as if it had come unfragmented, except that NDP in it is ignored (RFC 6980 5); fragments to
 *       groups or other hosts of the LAN are dropped and counted. What the gateway sends over the MTU (UDP, ICMPv6
 *       echo replies) it fragments itself (RFC 8200 4.5: the source may); TCP never needs it (its MSS).</li>
 *   <li>Neighbour cache ({@link NeighborCache}): the source of every valid packet that is link-local or in the prefix
 *       is learned with the frame's source MAC; Neighbor and Router Solicitations update it from their Source
 *       Link-Layer Address (RFC 4861 7.2.3, 6.2.6), advertisements from their Target Link-Layer Address (7.2.5, or
 *       the frame's source when the answer to a unicast probe leaves it out, as Linux does); duplicate address
 *       detection of other hosts (a solicitation from {@code ::} to another host's solicited-node group, which the
 *       switch floods) is snooped and confirmed by a probe once the address is assigned. Frames the gateway must
 *       send to an address it does not know wait for resolution ({@link #sendToNeighbor}).</li>
 *   <li>Neighbor Solicitation for a gateway address: answered with an advertisement from that address carrying the
 *       gateway's MAC, Router, Solicited and Override set, unicast to the solicitation's source; from {@code ::}
 *       (another host's duplicate address detection of a gateway address) Solicited clear and to all-nodes, RFC 4861
 *       7.2.4: "If the source of the solicitation is the unspecified address, the node MUST set the Solicited flag to
 *       zero and multicast the advertisement to the all-nodes address." An advertisement from a guest for a gateway
 *       address is a conflict (counted, ignored).</li>
 *   <li>Router Advertisements ({@link RouterAdvertiser} for when): current hop limit 64, M and O as configured,
 *       router lifetime, reachable time and retrans timer unspecified (0), options Source Link-Layer Address, MTU (the
 *       LAN's), Prefix Information (L and A, the configured lifetimes), RDNSS and DNSSL (RFC 8106). Source the
 *       link-local address, hop limit 255 (RFC 4861 4.2, 6.1.2). Advertisements and Redirects from guests are
 *       ignored and counted: the gateway is the link's only router.</li>
 *   <li>ICMPv6 echo (RFC 4443 4.1, 4.2): requests to a gateway address are answered from it with the same identifier,
 *       sequence number and data; requests to a joined multicast group (all-nodes) are answered too, as Linux does,
 *       from the gateway address of the asker's scope (4.2: "the source address of the reply MUST be a unicast
 *       address belonging to the interface on which the Echo Request message was received").</li>
 *   <li>UDP (RFC 768, RFC 8200 8.1: the checksum is mandatory): datagrams to a gateway address or a joined group go
 *       to the {@link Udp6Service} bound to their port ({@link #bindUdp}); unbound ports are offered to the
 *       {@link Ipv6Forwarder}, then answered with port unreachable (unicast only).</li>
 *   <li>TCP to a gateway address: offered to the forwarder, else reset (RFC 9293 3.10.7.1: a closed port answers
 *       {@code <SEQ=SEG.ACK><CTL=RST>}, or {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>} when the segment has no
 *       ACK). Other protocols to a gateway address: Parameter Problem code 1 (RFC 8200 4).</li>
 *   <li>Destinations beyond the LAN: offered to the {@link Ipv6Forwarder} (NAT66); without one TCP is reset and the
 *       rest answered destination unreachable code 0, "no route to destination" (RFC 4443 3.1), so guests give up on
 *       IPv6 at once and fall back to IPv4. Unicast to another address on the LAN (a frame sent to the gateway's MAC
 *       by mistake) is dropped.</li>
 *   <li>ICMPv6 errors and resets the gateway originates share one {@link IcmpRateLimiter} (RFC 4443 2.4 f).</li>
 * </ul>
 *
 * <p>Not thread-safe: the gateway's thread.
 */
public final class GatewayIpv6 {
    /** All_DHCP_Relay_Agents_and_Servers (RFC 8415 7.1). */
    public static final Ipv6Address ALL_DHCP_AGENTS = new Ipv6Address(0xFF02_0000_0000_0000L, 0x0000_0000_0001_0002L);
    /** Hop limit of what the gateway originates (Linux's default). */
    public static final int HOP_LIMIT = Ipv6Repr.DEFAULT_HOP_LIMIT;
    /** RFC 8200 5: "IPv6 requires that every link in the Internet have an MTU of 1280 octets or greater." */
    public static final int MIN_MTU = 1280;
    /** The upper half of every address in {@code fe80::/64}, the link-local unicast prefix. */
    private static final long LINK_LOCAL_64 = 0xFE80_0000_0000_0000L;
    private static final int NDP_HOP_LIMIT = 255;
    private static final int NO_NEXT_HEADER = 59;

    private final Gateway gateway;
    private final GatewayCounters counters;
    private final ByteBufAllocator alloc;
    private final Ipv6Config config;
    private final MacAddress mac;
    private final Ipv6Address linkLocal;
    private final Ipv6Address address;
    private final NeighborCache neighbors;
    private final RouterAdvertiser advertiser;
    private final IcmpRateLimiter errorLimiter = new IcmpRateLimiter();
    private final Ipv6Reassembler reassembler;
    private final Map<Integer, Udp6Service> udpServices = new HashMap<>();
    private final Icmpv6Repr.RouterAdvertisement routerAdvertisement;
    /** The view every received packet is parsed with (see {@link #receive}). */
    private final Ipv6Packet view = Ipv6Packet.reusable();
    private Ipv6Forwarder forwarder;
    private int nextFragmentId;

    GatewayIpv6(Gateway gateway, Ipv6Config config, NeighborCache neighbors, RandomGenerator random, long nowNanos) {
        this.gateway = gateway;
        this.counters = gateway.counters();
        this.alloc = gateway.alloc();
        this.config = Objects.requireNonNull(config, "config");
        this.mac = gateway.mac();
        if (gateway.mtu() < MIN_MTU) {
            throw new IllegalArgumentException("IPv6 needs a LAN MTU of at least 1280 (RFC 8200 5), got "
                    + gateway.mtu());
        }
        this.linkLocal = Ipv6Address.linkLocalFromMac(mac.bits());
        this.address = config.address();
        this.neighbors = Objects.requireNonNull(neighbors, "neighbors");
        this.advertiser = new RouterAdvertiser(config, random, nowNanos);
        this.routerAdvertisement = buildAdvertisement();
        this.nextFragmentId = random.nextInt();
        this.reassembler = new Ipv6Reassembler(alloc, counters, ReassemblyLimits.ipv6Defaults());
        reassembler.onTimeout(this::reassemblyTimedOut);
        neighbors.setSolicitor(new NeighborCache.Solicitor() {
            @Override
            public void solicit(Ipv6Address target, long toMac) {
                sendSolicitation(target, toMac);
            }

            @Override
            public void resolved(ByteBuf frame, long toMac) {
                MacAddress.write(frame, frame.readerIndex() + EthernetFrame.DESTINATION, toMac);
                gateway.send(frame);
            }
        });
    }

    private Icmpv6Repr.RouterAdvertisement buildAdvertisement() {
        List<NdpRdnss> rdnss = config.dnsServers().isEmpty() ? List.of()
                : List.of(new NdpRdnss(config.dnsLifetime(), config.dnsServers()));
        List<NdpDnssl> dnssl = List.of();
        List<String> domains = new ArrayList<>(config.searchDomains());
        while (!domains.isEmpty()) {
            try {
                dnssl = List.of(new NdpDnssl(config.dnsLifetime(), domains));
                break;
            } catch (IllegalArgumentException e) {
                domains.remove(domains.size() - 1); // together longer than one option carries: keep the first ones
            }
        }
        NdpOptions options = new NdpOptions(mac, null, gateway.mtu(), List.of(NdpPrefixInformation.slaac(
                config.prefix(), config.validLifetime(), config.preferredLifetime())), rdnss, dnssl);
        int flags = (config.managed() ? Icmpv6Repr.RouterAdvertisement.FLAG_MANAGED : 0)
                | (config.other() ? Icmpv6Repr.RouterAdvertisement.FLAG_OTHER : 0);
        return new Icmpv6Repr.RouterAdvertisement(HOP_LIMIT, flags, config.routerLifetime(), 0, 0, options);
    }

    // ---- accessors and hooks ----------------------------------------------------------------------------------------

    /** The configuration served. */
    public Ipv6Config config() {
        return config;
    }

    /** The gateway's link-local address (modified EUI-64 of its MAC). */
    public Ipv6Address linkLocal() {
        return linkLocal;
    }

    /** The gateway's address in the LAN's prefix. */
    public Ipv6Address address() {
        return address;
    }

    /** The neighbour cache (live). */
    public NeighborCache neighbors() {
        return neighbors;
    }

    /** The reassembler of guest fragments addressed to the gateway (live: for statistics and tests). */
    public Ipv6Reassembler reassembler() {
        return reassembler;
    }

    /** The Router Advertisement the gateway sends (for logs and tests). */
    public Icmpv6Repr.RouterAdvertisement routerAdvertisement() {
        return routerAdvertisement;
    }

    /** True for the gateway's two unicast addresses. */
    public boolean owns(long high, long low) {
        return (high == linkLocal.high() && low == linkLocal.low()) || (high == address.high() && low == address.low());
    }

    /** True for the gateway's two unicast addresses. */
    public boolean owns(Ipv6Address a) {
        return owns(a.high(), a.low());
    }

    /**
     * Whether {@code high:low} can be a guest's address on this LAN: link-local ({@code fe80::/64}, RFC 4291 2.5.6) or
     * in the LAN's prefix, and not one of the gateway's own. The NAT creates flows only for such sources (RFC 2827
     * ingress filtering: "traffic ... originating from within [the network] ... with a source address not in the
     * assigned range is dropped"), and port forwards reach only such guests (else the gateway would solicit any
     * address on the LAN and whichever VM answered would get the host's connections).
     */
    public boolean isGuestAddress(long high, long low) {
        return (high == LINK_LOCAL_64 || config.prefix().contains(high, low)) && !Ipv6Address.isMulticast(high)
                && !owns(high, low);
    }

    /** {@link #isGuestAddress(long, long)} of {@code a}. */
    public boolean isGuestAddress(Ipv6Address a) {
        return isGuestAddress(a.high(), a.low());
    }

    /**
     * The gateway address a packet to {@code destination} is sent from (RFC 6724's scope rule): the link-local one to
     * link-local (and multicast link-scope) destinations, the prefix one otherwise.
     */
    public Ipv6Address sourceFor(Ipv6Address destination) {
        return destination.isLinkLocal() || destination.multicastScope() == 2 ? linkLocal : address;
    }

    /**
     * Binds {@code service} to UDP {@code port} on the gateway's IPv6 addresses and joined groups.
     *
     * @throws IllegalArgumentException when the port is out of 1..65535
     * @throws IllegalStateException    when something is already bound there
     */
    public void bindUdp(int port, Udp6Service service) {
        Objects.requireNonNull(service, "service");
        if (port <= 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("UDP port out of range: " + port);
        }
        if (udpServices.putIfAbsent(port, service) != null) {
            throw new IllegalStateException("UDP port " + port + " already bound over IPv6");
        }
    }

    /** Removes the service bound to UDP {@code port}, if any. */
    public void unbindUdp(int port) {
        udpServices.remove(port);
    }

    /** Installs the hook for IPv6 the gateway does not serve (see {@link Ipv6Forwarder}); null removes it. */
    public void setForwarder(Ipv6Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    /** When the next timer is due (periodic advertisement, neighbour solicitations). */
    long pollAt() {
        long a = advertiser.pollAt();
        long n = neighbors.pollAt();
        long at = n == Long.MAX_VALUE || a - n < 0 ? a : n;
        long r = reassembler.pollAt();
        return r == Long.MAX_VALUE || at - r < 0 ? at : r;
    }

    /** Runs what is due at {@code nowNanos}. */
    void poll(long nowNanos) {
        reassembler.expire(nowNanos);
        if (advertiser.multicastDue(nowNanos)) {
            sendAdvertisement(Ipv6Address.ALL_NODES.multicastMac(), Ipv6Address.ALL_NODES);
            advertiser.multicastSent(nowNanos);
        }
        neighbors.poll(nowNanos);
    }

    /** The multicast advertisements sent so far by the schedule (for tests). */
    int periodicAdvertisementsSent() {
        return advertiser.multicastSent();
    }

    // ---- receive ----------------------------------------------------------------------------------------------------

    /** True for the groups the gateway joined (see the class comment). */
    private boolean joined(long high, long low) {
        if (high != 0xFF02_0000_0000_0000L) {
            return false;
        }
        return low == 1 || low == 2 || low == ALL_DHCP_AGENTS.low()
                || low == linkLocal.solicitedNodeMulticast().low() || low == address.solicitedNodeMulticast().low();
    }

    /** On the LAN: link-local or in the prefix. */
    private boolean onLink(long high, long low) {
        return (high >>> 54) == (0xFE80L >>> 6) || config.prefix().contains(high, low);
    }

    /** An address the neighbour cache may hold: unicast, on the LAN, not the gateway's. */
    private boolean learnable(long high, long low) {
        return !Ipv6Address.isMulticast(high) && !(high == 0 && (low == 0 || low == 1)) && onLink(high, low)
                && !owns(high, low);
    }

    /**
     * Handles the IPv6 packet in {@code eth} (its EtherType is IPv6; its destination MAC the gateway's, broadcast or
     * an IPv6 multicast MAC). Never throws for malformed input. The frame's buffer stays the caller's.
     */
    void receive(EthernetFrame eth, int ingress, long nowNanos, boolean nested) {
        Ipv6Packet packet = nested ? Ipv6Packet.reusable() : view;
        ParseError error = packet.wrap(eth);
        boolean linkMulticast = MacAddress.isGroup(eth.destination());
        if (error != null) {
            counters.drop(error == ParseError.TRUNCATED ? DropReason.IPV6_TRUNCATED
                    : error == ParseError.UNSUPPORTED ? DropReason.IPV6_UNSUPPORTED : DropReason.IPV6_MALFORMED);
            if (packet.parameterProblemCode() >= 0 && packet.answerParameterProblem()
                    && (!linkMulticast || isOptionOfType10(packet)) && forUs(packet)) {
                sendError(eth.source(), Icmpv6Repr.ParameterProblem.quoting(packet), packet, false, nowNanos);
            }
            return;
        }
        long srcHigh = packet.sourceHigh();
        long srcLow = packet.sourceLow();
        if (Ipv6Address.isMulticast(srcHigh) || (srcHigh == 0 && srcLow == 1) || owns(srcHigh, srcLow)) {
            counters.drop(DropReason.IPV6_BAD_SOURCE);
            return;
        }
        if (learnable(srcHigh, srcLow)) {
            neighbors.heard(srcHigh, srcLow, eth.source(), ingress, nowNanos);
        }
        if (packet.isFragment()) {
            fragment(eth, packet, ingress, nowNanos);
            return;
        }
        dispatch(eth, packet, linkMulticast, ingress, nowNanos, false);
    }

    /**
     * A fragment (or an atomic fragment): reassembled when it is addressed to the gateway (its unicast addresses, or
     * beyond the LAN, for the NAT), then handled as a whole packet; to multicast groups and other hosts of the LAN it
     * is dropped and counted.
     */
    private void fragment(EthernetFrame eth, Ipv6Packet packet, int ingress, long nowNanos) {
        long dstHigh = packet.destinationHigh();
        long dstLow = packet.destinationLow();
        if (Ipv6Address.isMulticast(dstHigh) || MacAddress.isGroup(eth.destination())
                || (!owns(dstHigh, dstLow) && onLink(dstHigh, dstLow))) {
            counters.drop(DropReason.IPV6_FRAGMENT);
            return;
        }
        ByteBuf whole = reassembler.offer(eth, packet, ingress, nowNanos);
        if (whole == null) {
            return;
        }
        try {
            // Views of their own (reassembly is rare): the frame's views stay as they were.
            EthernetFrame wholeFrame = EthernetFrame.checked(whole).orNull();
            Ipv6Packet wholePacket = Ipv6Packet.reusable();
            ParseError error = wholeFrame == null ? ParseError.TRUNCATED : wholePacket.wrap(wholeFrame);
            if (error != null) {
                // The chain after the Fragment header (now walked) is refused; no Parameter Problem about a
                // reassembled packet, whose offsets no fragment had.
                counters.drop(error == ParseError.TRUNCATED ? DropReason.IPV6_TRUNCATED
                        : error == ParseError.UNSUPPORTED ? DropReason.IPV6_UNSUPPORTED : DropReason.IPV6_MALFORMED);
                return;
            }
            if (wholePacket.isFragment()) {
                counters.drop(DropReason.IPV6_FRAGMENT); // a second Fragment header (RFC 8200 4.1: "at most once")
                return;
            }
            dispatch(wholeFrame, wholePacket, false, ingress, nowNanos, true);
        } finally {
            whole.release();
        }
    }

    /**
     * A whole (unfragmented or reassembled: {@code fragmented}) valid packet: delivered, snooped, offered to the
     * forwarder or dropped by its destination.
     */
    private void dispatch(EthernetFrame eth, Ipv6Packet packet, boolean linkMulticast, int ingress, long nowNanos,
                          boolean fragmented) {
        long dstHigh = packet.destinationHigh();
        long dstLow = packet.destinationLow();
        if (Ipv6Address.isMulticast(dstHigh)) {
            if (joined(dstHigh, dstLow)) {
                deliver(eth, packet, true, ingress, nowNanos, fragmented);
            } else {
                snoop(eth, packet, ingress, nowNanos);
            }
            return;
        }
        if (linkMulticast || (dstHigh == 0 && (dstLow == 0 || dstLow == 1)) || (dstHigh == 0
                && (dstLow >>> 32) == 0xFFFFL)) {
            counters.drop(DropReason.IPV6_BAD_DESTINATION);
            return;
        }
        if (owns(dstHigh, dstLow)) {
            deliver(eth, packet, false, ingress, nowNanos, fragmented);
        } else if (onLink(dstHigh, dstLow)) {
            counters.drop(DropReason.IPV6_NOT_FOR_GATEWAY);
        } else {
            beyond(eth, packet, ingress, nowNanos);
        }
    }

    /** A packet refused by the walk that the gateway would have processed as its destination. */
    private boolean forUs(Ipv6Packet packet) {
        long h = packet.destinationHigh();
        long l = packet.destinationLow();
        return Ipv6Address.isMulticast(h) ? joined(h, l) : owns(h, l) || !onLink(h, l);
    }

    /** RFC 4443 2.4 (e.3, e.4): the one Parameter Problem allowed to link-layer multicast. */
    private static boolean isOptionOfType10(Ipv6Packet packet) {
        if (packet.parameterProblemCode() != Ipv6Packet.PROBLEM_UNRECOGNIZED_OPTION) {
            return false;
        }
        int at = packet.offset() + packet.parameterProblemPointer();
        return at < packet.buffer().capacity() && (packet.buffer().getUnsignedByte(at) >>> 6) == 2;
    }

    /** A packet to a gateway address ({@code multicast} false) or a joined group. */
    private void deliver(EthernetFrame eth, Ipv6Packet packet, boolean multicast, int ingress, long nowNanos,
                         boolean fragmented) {
        switch (packet.protocolNumber()) {
            case IpProtocol.ICMPV6_NUMBER -> receiveIcmp(eth, packet, multicast, ingress, nowNanos, fragmented);
            case IpProtocol.UDP_NUMBER -> receiveUdp(eth, packet, multicast, ingress, nowNanos);
            case IpProtocol.TCP_NUMBER -> {
                if (multicast) {
                    counters.drop(DropReason.TCP_UNHANDLED);
                } else if (!offer(eth, packet, ingress, nowNanos)) {
                    counters.drop(DropReason.TCP_UNHANDLED);
                    sendReset(eth, packet, nowNanos);
                }
            }
            case NO_NEXT_HEADER -> counters.drop(DropReason.IPV6_NO_NEXT_HEADER);
            default -> {
                counters.drop(DropReason.IP_PROTOCOL_UNHANDLED);
                if (!multicast) {
                    // RFC 8200 4: "send an ICMP Parameter Problem message ... with an ICMP Code value of 1
                    // (unrecognized Next Header type encountered) and the ICMP Pointer field containing the offset
                    // of the unrecognized value within the original packet".
                    sendError(eth.source(), Icmpv6Repr.ParameterProblem.quoting(
                            Ipv6Packet.PROBLEM_UNRECOGNIZED_NEXT_HEADER, packet.protocolPointer(), packet), packet,
                            true, nowNanos);
                }
            }
        }
    }

    /** A packet to a group the gateway did not join: duplicate address detection and advertisements are read. */
    private void snoop(EthernetFrame eth, Ipv6Packet packet, int ingress, long nowNanos) {
        if (packet.protocolNumber() != IpProtocol.ICMPV6_NUMBER || packet.payloadLength() < Icmpv6Packet.HEADER_LENGTH
                || !isSnooped(packet.buffer().getUnsignedByte(packet.payloadOffset()))) {
            counters.drop(DropReason.IPV6_MULTICAST_NOT_JOINED);
            return;
        }
        Icmpv6Repr repr = parseIcmp(packet);
        if (repr == null) {
            return;
        }
        counters.ndpSnoopedOne();
        if (repr instanceof Icmpv6Repr.NeighborSolicitation ns) {
            if (packet.sourceHigh() == 0 && packet.sourceLow() == 0) {
                Ipv6Address target = ns.target();
                if (learnable(target.high(), target.low())) {
                    neighbors.tentative(target, eth.source(), ingress, nowNanos);
                }
            } else if (ns.options().sourceLinkLayerAddress() != null && learnable(packet.sourceHigh(),
                    packet.sourceLow())) {
                neighbors.heard(packet.source(), ns.options().sourceLinkLayerAddress().bits(), ingress, nowNanos);
            }
        } else {
            advertisement(eth, (Icmpv6Repr.NeighborAdvertisement) repr, ingress, nowNanos);
        }
    }

    private static boolean isSnooped(int type) {
        return type == Icmpv6Packet.TYPE_NEIGHBOR_SOLICITATION || type == Icmpv6Packet.TYPE_NEIGHBOR_ADVERTISEMENT;
    }

    /**
     * Parses and validates the ICMPv6 message of {@code packet} ({@link NdpValidation}); null (counted) when it is
     * broken. Allocates the record.
     */
    private Icmpv6Repr parseIcmp(Ipv6Packet packet) {
        Icmpv6Packet icmp = Icmpv6Packet.checked(packet).orNull();
        if (icmp == null) {
            counters.drop(DropReason.ICMPV6_TRUNCATED);
            return null;
        }
        ParseResult<Icmpv6Repr> parsed = NdpValidation.parse(packet, icmp);
        if (parsed instanceof ParseResult.Ok<Icmpv6Repr> ok) {
            return ok.value();
        }
        ParseError error = parsed.error();
        counters.drop(error == ParseError.BAD_CHECKSUM ? DropReason.ICMPV6_BAD_CHECKSUM
                : NdpValidation.isNdp(icmp.type()) ? DropReason.NDP_INVALID
                : error == ParseError.UNSUPPORTED ? DropReason.ICMPV6_UNHANDLED_TYPE : DropReason.ICMPV6_TRUNCATED);
        return null;
    }

    private void receiveIcmp(EthernetFrame eth, Ipv6Packet packet, boolean multicast, int ingress, long nowNanos,
                             boolean fragmented) {
        if (fragmented && packet.payloadLength() > 0
                && NdpValidation.isNdp(packet.buffer().getUnsignedByte(packet.payloadOffset()))) {
            // RFC 6980 5: "nodes MUST silently ignore NDP messages if the packets carrying them include a
            // Fragmentation Header" (atomic fragments included).
            counters.drop(DropReason.NDP_INVALID);
            return;
        }
        Icmpv6Repr repr = parseIcmp(packet);
        if (repr == null) {
            return;
        }
        if (repr instanceof Icmpv6Repr.EchoRequest echo) {
            echo(eth, packet, echo, multicast);
        } else if (repr instanceof Icmpv6Repr.RouterSolicitation rs) {
            solicitation(eth, packet, rs, ingress, nowNanos);
        } else if (repr instanceof Icmpv6Repr.NeighborSolicitation ns) {
            solicitation(eth, packet, ns, ingress, nowNanos);
        } else if (repr instanceof Icmpv6Repr.NeighborAdvertisement na) {
            advertisement(eth, na, ingress, nowNanos);
        } else if (repr instanceof Icmpv6Repr.RouterAdvertisement) {
            counters.drop(DropReason.NDP_ROUTER_ADVERTISEMENT_IGNORED);
        } else if (repr instanceof Icmpv6Repr.Redirect) {
            counters.drop(DropReason.NDP_REDIRECT_IGNORED);
        } else {
            counters.drop(DropReason.ICMPV6_UNHANDLED_TYPE);
        }
    }

    private void echo(EthernetFrame eth, Ipv6Packet packet, Icmpv6Repr.EchoRequest echo, boolean multicast) {
        Ipv6Address requester = packet.source();
        if (requester.isUnspecified()) {
            counters.drop(DropReason.IPV6_BAD_SOURCE);
            return;
        }
        // RFC 4443 4.2: the reply comes from the address the request went to, or (multicast) one of the gateway's.
        Ipv6Address from = multicast ? sourceFor(requester) : packet.destination();
        sendIcmp(eth.source(), from, requester, HOP_LIMIT, echo.reply());
        counters.echo6ReplySent();
    }

    /** A Router Solicitation to the all-routers group or a gateway address (RFC 4861 6.2.6). */
    private void solicitation(EthernetFrame eth, Ipv6Packet packet, Icmpv6Repr.RouterSolicitation rs, int ingress,
                              long nowNanos) {
        Ipv6Address src = packet.source();
        if (src.isUnspecified()) {
            advertiser.solicitedByUnspecified(nowNanos);
            return;
        }
        MacAddress sllao = rs.options().sourceLinkLayerAddress();
        if (sllao != null && learnable(src.high(), src.low())) {
            neighbors.heard(src, sllao.bits(), ingress, nowNanos);
        }
        if (!advertiser.tryUnicast(nowNanos)) {
            counters.drop(DropReason.NDP_SOLICITATION_RATE_LIMITED);
            return;
        }
        sendAdvertisement(sllao != null ? sllao.bits() : eth.source(), src);
    }

    /** A Neighbor Solicitation to a joined group or a gateway address (RFC 4861 7.2.3, 7.2.4). */
    private void solicitation(EthernetFrame eth, Ipv6Packet packet, Icmpv6Repr.NeighborSolicitation ns, int ingress,
                              long nowNanos) {
        Ipv6Address target = ns.target();
        Ipv6Address src = packet.source();
        if (!owns(target)) {
            // A group shared with another host (the low 24 bits of its address match one of ours).
            if (src.isUnspecified() && learnable(target.high(), target.low())) {
                counters.ndpSnoopedOne();
                neighbors.tentative(target, eth.source(), ingress, nowNanos);
            } else {
                counters.drop(DropReason.NDP_TARGET_NOT_OURS);
            }
            return;
        }
        if (src.isUnspecified()) {
            // 7.2.4: someone's duplicate address detection of our address; defend it.
            counters.dadDefendedOne();
            sendNeighborAdvertisement(Ipv6Address.ALL_NODES.multicastMac(), target, Ipv6Address.ALL_NODES, false);
            return;
        }
        MacAddress sllao = ns.options().sourceLinkLayerAddress();
        if (sllao != null && learnable(src.high(), src.low())) {
            neighbors.heard(src, sllao.bits(), ingress, nowNanos);
        }
        sendNeighborAdvertisement(sllao != null ? sllao.bits() : eth.source(), target, src, true);
    }

    /** A Neighbor Advertisement (RFC 4861 7.2.5), to the gateway or to a group. */
    private void advertisement(EthernetFrame eth, Icmpv6Repr.NeighborAdvertisement na, int ingress, long nowNanos) {
        Ipv6Address target = na.target();
        if (owns(target)) {
            counters.drop(DropReason.NDP_ADDRESS_CONFLICT);
            return;
        }
        if (!learnable(target.high(), target.low())) {
            counters.drop(DropReason.NDP_TARGET_NOT_OURS);
            return;
        }
        MacAddress tlla = na.options().targetLinkLayerAddress();
        neighbors.advertised(target, tlla != null ? tlla.bits() : eth.source(), na.override(), ingress, nowNanos);
    }

    private void receiveUdp(EthernetFrame eth, Ipv6Packet packet, boolean multicast, int ingress, long nowNanos) {
        ParseResult<UdpPacket> checked = UdpPacket.checked(packet.buffer(), packet.payloadOffset(),
                packet.payloadLength());
        if (!(checked instanceof ParseResult.Ok<UdpPacket> ok)) {
            counters.drop(checked.error() == ParseError.TRUNCATED ? DropReason.UDP_TRUNCATED
                    : DropReason.UDP_MALFORMED);
            return;
        }
        UdpPacket udp = ok.value();
        int dstPort = udp.dstPort();
        if (dstPort == 0) {
            counters.drop(DropReason.UDP_MALFORMED);
            return;
        }
        if (!udp.verifyChecksumIpv6(packet.sourceHigh(), packet.sourceLow(), packet.destinationHigh(),
                packet.destinationLow())) {
            counters.drop(DropReason.UDP_BAD_CHECKSUM);
            return;
        }
        Udp6Service service = udpServices.get(dstPort);
        if (service != null) {
            counters.udpDeliveredOne();
            service.datagram(new Udp6Datagram(MacAddress.of(eth.source()), packet.source(), udp.srcPort(),
                    packet.destination(), dstPort, multicast, udp.payload(), ingress), nowNanos);
            return;
        }
        if (multicast) {
            counters.drop(DropReason.UDP_MULTICAST_UNBOUND);
            return;
        }
        if (offer(eth, packet, ingress, nowNanos)) {
            return;
        }
        counters.drop(DropReason.UDP_PORT_UNREACHABLE);
        sendError(eth.source(), Icmpv6Repr.DestinationUnreachable.quoting(Icmpv6Packet.CODE_PORT_UNREACHABLE,
                packet), packet, true, nowNanos);
    }

    /** A packet to a destination beyond the LAN. */
    private void beyond(EthernetFrame eth, Ipv6Packet packet, int ingress, long nowNanos) {
        if (offer(eth, packet, ingress, nowNanos)) {
            return;
        }
        counters.drop(DropReason.IPV6_NO_ROUTE);
        if (packet.protocolNumber() == IpProtocol.TCP_NUMBER) {
            sendReset(eth, packet, nowNanos);
        } else {
            sendError(eth.source(), Icmpv6Repr.DestinationUnreachable.quoting(Icmpv6Packet.CODE_NO_ROUTE, packet),
                    packet, true, nowNanos);
        }
    }

    private boolean offer(EthernetFrame eth, Ipv6Packet packet, int ingress, long nowNanos) {
        Ipv6Forwarder f = forwarder;
        if (f != null && f.forward(eth, packet, ingress, nowNanos)) {
            counters.ipv6ForwardedOne();
            return true;
        }
        return false;
    }

    // ---- send -------------------------------------------------------------------------------------------------------

    /**
     * Sends ICMPv6 error {@code error} about {@code offending} to its source at {@code toMac}, unless RFC 4443 2.4 (e)
     * forbids it (the caller has applied the multicast rules of e.3 to e.5 where they have exceptions; here: never
     * about an ICMPv6 error or a Redirect, never to a source that is not one host) or the rate limit holds it back.
     * {@code walked} says whether the offending packet's chain was walked to its upper layer (else only its fixed
     * header may be read).
     */
    private void sendError(long toMac, Icmpv6Repr error, Ipv6Packet offending, boolean walked, long nowNanos) {
        long srcHigh = offending.sourceHigh();
        long srcLow = offending.sourceLow();
        if ((srcHigh == 0 && srcLow == 0) || Ipv6Address.isMulticast(srcHigh) || MacAddress.isGroup(toMac)) {
            return;
        }
        boolean multicastDestination = Ipv6Address.isMulticast(offending.destinationHigh());
        if (multicastDestination && !(error instanceof Icmpv6Repr.ParameterProblem)) {
            return;
        }
        if (walked && offending.protocolNumber() == IpProtocol.ICMPV6_NUMBER && !offending.isFragment()
                && offending.payloadLength() >= 1) {
            int type = offending.buffer().getUnsignedByte(offending.payloadOffset());
            if (Icmpv6Packet.isErrorType(type) || type == Icmpv6Packet.TYPE_REDIRECT) {
                return;
            }
        }
        if (!errorLimiter.tryAcquire(nowNanos)) {
            counters.icmpErrorRateLimited();
            return;
        }
        Ipv6Address to = new Ipv6Address(srcHigh, srcLow);
        Ipv6Address dst = new Ipv6Address(offending.destinationHigh(), offending.destinationLow());
        Ipv6Address from = owns(dst) ? dst : sourceFor(to);
        sendIcmp(toMac, from, to, HOP_LIMIT, error);
        counters.icmpv6ErrorSent();
    }

    /**
     * Reassembly of the packet whose first fragment is {@code first} (as received, Fragment header included) timed
     * out: Time Exceeded code 1 quoting it goes to its source (RFC 8200 4.5), from the address it was sent to if that
     * is the gateway's, else from the gateway's of the source's scope; never about a packet to a multicast address or
     * a group MAC, from an unspecified or multicast source (RFC 4443 2.4 e), nor about an ICMPv6 error; rate limited
     * with the other errors.
     */
    private void reassemblyTimedOut(long toMac, long ethDestination, ByteBuf first, long nowNanos) {
        int index = first.readerIndex();
        long srcHigh = first.getLong(index + Ipv6Packet.SOURCE);
        long srcLow = first.getLong(index + Ipv6Packet.SOURCE + 8);
        long dstHigh = first.getLong(index + Ipv6Packet.DESTINATION);
        long dstLow = first.getLong(index + Ipv6Packet.DESTINATION + 8);
        if (MacAddress.isGroup(toMac) || MacAddress.isGroup(ethDestination) || (srcHigh == 0 && srcLow == 0)
                || Ipv6Address.isMulticast(srcHigh) || Ipv6Address.isMulticast(dstHigh)) {
            return;
        }
        // The upper layer of the first fragment starts after its Fragment header, the last 8 bytes of its headers.
        int fragment = findFragmentHeader(first);
        if (fragment >= 0 && first.getUnsignedByte(fragment) == IpProtocol.ICMPV6_NUMBER
                && first.readableBytes() > fragment + 8
                && Icmpv6Packet.isErrorType(first.getUnsignedByte(fragment + 8))) {
            return;
        }
        if (!errorLimiter.tryAcquire(nowNanos)) {
            counters.icmpErrorRateLimited();
            return;
        }
        Ipv6Address to = new Ipv6Address(srcHigh, srcLow);
        Ipv6Address dst = new Ipv6Address(dstHigh, dstLow);
        sendIcmp(toMac, owns(dst) ? dst : sourceFor(to), to, HOP_LIMIT,
                new Icmpv6Repr.TimeExceeded(Icmpv6Packet.CODE_REASSEMBLY_TIME_EXCEEDED,
                        first.slice(index, Math.min(first.readableBytes(), Icmpv6Repr.MAX_QUOTE))));
        counters.icmpv6ErrorSent();
    }

    /** Absolute index of the Fragment header in a packet's readable bytes (walking its extension headers), or -1. */
    private static int findFragmentHeader(ByteBuf packet) {
        int index = packet.readerIndex();
        int end = packet.writerIndex();
        int next = packet.getUnsignedByte(index + Ipv6Packet.NEXT_HEADER);
        int at = index + Ipv6Packet.HEADER_LENGTH;
        while (at + 8 <= end) {
            if (next == IpProtocol.IPV6_FRAG_NUMBER) {
                return at;
            }
            if (next != IpProtocol.HOPOPT_NUMBER && next != IpProtocol.IPV6_ROUTE_NUMBER
                    && next != IpProtocol.IPV6_OPTS_NUMBER) {
                return -1;
            }
            next = packet.getUnsignedByte(at);
            at += (packet.getUnsignedByte(at + 1) + 1) * 8;
        }
        return -1;
    }

    /**
     * Sends ICMPv6 destination unreachable with {@code code} from {@code from} about the IPv6 packet {@code quoted}
     * (its readable bytes, at least the 40-byte header; at most 1232 are quoted, RFC 4443 2.4 c) to its source at
     * {@code to}: for NAT66, when a host socket reports what the guest's packet ran into after that packet is gone.
     * Nothing is sent, and false returned, when RFC 4443 2.4 (e) forbids it or the rate limit holds it back.
     *
     * <p>Ownership: the caller keeps {@code quoted}; its bytes are copied, its indices not moved.
     *
     * @throws IllegalArgumentException when {@code quoted} is not an IPv6 header or {@code code} is outside 0..255
     */
    public boolean sendDestinationUnreachable(MacAddress to, Ipv6Address from, int code, ByteBuf quoted,
                                              long nowNanos) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(from, "from");
        int index = quoted.readerIndex();
        int length = quoted.readableBytes();
        if (length < Ipv6Packet.HEADER_LENGTH || (quoted.getUnsignedByte(index) >>> 4) != 6) {
            throw new IllegalArgumentException("not an IPv6 header: " + length + " bytes");
        }
        if ((code & ~0xFF) != 0) {
            throw new IllegalArgumentException("ICMPv6 code out of range: " + code);
        }
        long srcHigh = quoted.getLong(index + Ipv6Packet.SOURCE);
        long srcLow = quoted.getLong(index + Ipv6Packet.SOURCE + 8);
        if (to.isMulticast() || (srcHigh == 0 && srcLow == 0) || Ipv6Address.isMulticast(srcHigh)
                || Ipv6Address.isMulticast(quoted.getLong(index + Ipv6Packet.DESTINATION))) {
            return false;
        }
        if (quoted.getUnsignedByte(index + Ipv6Packet.NEXT_HEADER) == IpProtocol.ICMPV6_NUMBER
                && length > Ipv6Packet.HEADER_LENGTH
                && Icmpv6Packet.isErrorType(quoted.getUnsignedByte(index + Ipv6Packet.HEADER_LENGTH))) {
            return false;
        }
        if (!errorLimiter.tryAcquire(nowNanos)) {
            counters.icmpErrorRateLimited();
            return false;
        }
        ByteBuf quote = quoted.slice(index, Math.min(length, Icmpv6Repr.MAX_QUOTE));
        sendIcmp(to.bits(), from, new Ipv6Address(srcHigh, srcLow), HOP_LIMIT,
                new Icmpv6Repr.DestinationUnreachable(code, quote));
        counters.icmpv6ErrorSent();
        return true;
    }

    /**
     * Answers a TCP segment nobody takes with a reset from its destination (RFC 9293 3.10.7.1), rate limited with the
     * ICMPv6 errors. Never answers a reset, a segment to or from a multicast address, or one whose checksum fails.
     */
    private void sendReset(EthernetFrame eth, Ipv6Packet packet, long nowNanos) {
        TcpPacket tcp = TcpPacket.checked(packet.buffer(), packet.payloadOffset(), packet.payloadLength()).orNull();
        if (tcp == null || !tcp.verifyChecksumIpv6(packet.sourceHigh(), packet.sourceLow(), packet.destinationHigh(),
                packet.destinationLow())) {
            counters.drop(DropReason.TCP_MALFORMED);
            return;
        }
        if (tcp.rst() || tcp.srcPort() == 0 || tcp.dstPort() == 0 || (packet.sourceHigh() == 0
                && packet.sourceLow() == 0) || MacAddress.isGroup(eth.source())) {
            return;
        }
        if (!errorLimiter.tryAcquire(nowNanos)) {
            counters.icmpErrorRateLimited();
            return;
        }
        TcpRepr reset;
        if (tcp.ack()) {
            // "If the incoming segment has an ACK field, the reset takes its sequence number from the ACK field"
            reset = new TcpRepr(tcp.dstPort(), tcp.srcPort(), TcpControl.RST, tcp.ackNumber(), null, 0,
                    TcpOptions.NONE, 0);
        } else {
            // "... otherwise, the reset has sequence number zero and the ACK field is set to the sum of the sequence
            // number and segment length of the incoming segment"
            int segmentLength = tcp.payloadLength() + (tcp.syn() ? 1 : 0) + (tcp.fin() ? 1 : 0);
            reset = new TcpRepr(tcp.dstPort(), tcp.srcPort(), TcpControl.RST, SeqNumber.of(0),
                    tcp.seqNumber().plus(segmentLength), 0, TcpOptions.NONE, 0);
        }
        Ipv6Address from = packet.destination();
        Ipv6Address to = packet.source();
        Ipv6Repr ip = new Ipv6Repr(from, to, IpProtocol.TCP, reset.totalLength(), HOP_LIMIT);
        ByteBuf out = newFrame(eth.source(), ip);
        try {
            reset.emit(out, EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH, from, to);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        counters.tcpResetSent();
        gateway.send(out);
    }

    /**
     * Sends an ICMPv6 echo reply from {@code from} to {@code to} at {@code toMac}: for NAT66, relaying the reply a host
     * sent to the guest's echo request, from the address the guest pinged (RFC 4443 4.2). The caller keeps {@code data}.
     */
    public void sendEchoReply(MacAddress toMac, Ipv6Address from, Ipv6Address to, int identifier, int sequence,
                              ByteBuf data) {
        sendIcmp(toMac.bits(), from, to, HOP_LIMIT, new Icmpv6Repr.EchoReply(identifier, sequence, data));
    }

    /**
     * Sends one TCP segment over IPv6 from {@code src} to {@code dst} at {@code dstMac}, as the gateway's TCP
     * endpoints (NAT66) emit them: the checksum is computed over {@code payload}, which is copied (the caller keeps it).
     * {@code tcp} is read during the call only.
     */
    public void sendTcp(MacAddress dstMac, Ipv6Address src, Ipv6Address dst, TcpHeader tcp, ByteBuf payload) {
        sendTcp(dstMac, src.high(), src.low(), dst.high(), dst.low(), tcp, payload);
    }

    /**
     * As {@link #sendTcp(MacAddress, Ipv6Address, Ipv6Address, TcpHeader, ByteBuf)} with the addresses' raw halves
     * (no object per segment).
     */
    public void sendTcp(MacAddress dstMac, long srcHigh, long srcLow, long dstHigh, long dstLow, TcpHeader tcp,
                        ByteBuf payload) {
        sendTcp(dstMac.bits(), srcHigh, srcLow, dstHigh, dstLow, tcp, payload);
    }

    /** As the above with the MAC's 48 bits ({@link MacAddress#bits()}): the NAT's path, no object per segment. */
    public void sendTcp(long dstMac, long srcHigh, long srcLow, long dstHigh, long dstLow, TcpHeader tcp,
                        ByteBuf payload) {
        int payloadLength = payload.readableBytes();
        int ipLength = Ipv6Packet.HEADER_LENGTH + tcp.totalLength();
        int length = EthernetFrame.HEADER_LENGTH + ipLength;
        ByteBuf out = gateway.startFrame(dstMac, length); // in place in the guest's port when the switch offers it
        int base = out.writerIndex();
        try {
            MacAddress.write(out, base + EthernetFrame.DESTINATION, dstMac);
            MacAddress.write(out, base + EthernetFrame.SOURCE, mac.bits());
            out.setShort(base + EthernetFrame.ETHER_TYPE, EtherType.IPV6_VALUE);
            int offset = base + EthernetFrame.HEADER_LENGTH;
            Ipv6Repr.writeHeader(out, offset, srcHigh, srcLow, dstHigh, dstLow, IpProtocol.TCP_NUMBER,
                    tcp.totalLength(), HOP_LIMIT, 0, 0);
            offset += Ipv6Packet.HEADER_LENGTH;
            int dataSum = Checksum.copyAndPartial(payload, payload.readerIndex(), out, offset + tcp.headerLength(),
                    payloadLength, 0); // copied and summed in one pass
            tcp.emitIpv6WithDataSum(out, offset, srcHigh, srcLow, dstHigh, dstLow, dataSum);
        } catch (Throwable e) { // an Error too: a reserved room left behind would break the port's framing
            gateway.abandonFrame(out);
            throw e;
        }
        gateway.finishFrame(out, length);
    }

    /**
     * Sends a UDP datagram over IPv6 with the readable bytes of {@code payload} (copied; the caller keeps it). A
     * datagram whose packet exceeds the LAN's MTU is sent as fragments (RFC 8200 4.5: the source fragments; offsets
     * in 8-byte units, M on all but the last, one identification); the checksum covers the whole datagram.
     *
     * @throws IllegalArgumentException when the datagram does not fit in 65535 bytes
     */
    public void sendUdp(MacAddress dstMac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort,
                        ByteBuf payload) {
        int index = payload.readerIndex();
        int length = payload.readableBytes();
        sendUdp(dstMac, src, srcPort, dst, dstPort, length, (frame, offset) ->
                frame.setBytes(offset, payload, index, length));
    }

    /** As {@link #sendUdp(MacAddress, Ipv6Address, int, Ipv6Address, int, ByteBuf)} with the payload written in. */
    public void sendUdp(MacAddress dstMac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort,
                        int payloadLength, UdpPayloadWriter writer) {
        Objects.requireNonNull(writer, "writer");
        UdpRepr udp = new UdpRepr(srcPort, dstPort, payloadLength);
        Ipv6Repr ip = new Ipv6Repr(src, dst, IpProtocol.UDP, udp.totalLength(), HOP_LIMIT);
        if (ip.totalLength() > gateway.mtu()) {
            sendFragmented(dstMac.bits(), ip, udp, writer);
            return;
        }
        ByteBuf out = newFrame(dstMac.bits(), ip);
        try {
            int offset = EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH;
            writer.write(out, offset + udp.headerLength());
            udp.emit(out, offset, src, dst);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        counters.udpSentOne();
        gateway.send(out);
    }

    private void sendFragmented(long dstMac, Ipv6Repr ip, UdpRepr udp, UdpPayloadWriter writer) {
        ByteBuf datagram = alloc.buffer(udp.totalLength());
        try {
            writer.write(datagram, udp.headerLength());
            udp.emit(datagram, 0, ip.source(), ip.destination());
            sendFragments(dstMac, ip, datagram, udp.totalLength());
            counters.udpSentOne();
        } finally {
            datagram.release();
        }
    }

    /**
     * Sends the first {@code total} bytes of {@code message} (a whole upper-layer message, checksum computed) as the
     * fragments of one packet with header {@code ip} (RFC 8200 4.5: the source fragments; offsets in 8-byte units, M
     * on all but the last, one identification). The caller keeps {@code message}.
     */
    private void sendFragments(long dstMac, Ipv6Repr ip, ByteBuf message, int total) {
        int maxData = (gateway.mtu() - Ipv6Packet.HEADER_LENGTH - Ipv6Packet.FRAGMENT_HEADER_LENGTH) & ~7;
        int id = nextFragmentId++;
        int fragments = 0;
        for (int at = 0; at < total; at += maxData) {
            int data = Math.min(maxData, total - at);
            Ipv6Repr header = new Ipv6Repr(ip.source(), ip.destination(), ip.nextHeader(), data, ip.hopLimit());
            int length = EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH
                    + Ipv6Packet.FRAGMENT_HEADER_LENGTH + data;
            ByteBuf out = alloc.buffer(length);
            try {
                int offset = new EthernetRepr(MacAddress.of(dstMac), mac, EtherType.IPV6).emit(out, 0);
                offset += header.emitFragment(out, offset, id, at, at + data < total);
                out.setBytes(offset, message, at, data);
                out.writerIndex(length);
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
            gateway.send(out);
            fragments++;
        }
        counters.fragmented6(fragments);
    }

    /**
     * Sends {@code frame}, a whole Ethernet frame of an IPv6 packet to on-link {@code destination} whose destination
     * MAC is filled in here: from the neighbour cache, the group's MAC for multicast, or once resolution (a Neighbor
     * Solicitation) finds it; meanwhile at most a few frames wait, the oldest dropped first (RFC 4861 7.2.2). For
     * traffic the gateway starts towards a guest it has no MAC for (port forwards into guests over IPv6).
     *
     * <p>Ownership: takes {@code frame}; it is sent or, if its neighbour does not resolve, released and counted.
     *
     * @param owner the switch port the traffic is accounted to ({@link Ipv4Forwarder#NO_OWNER} if none)
     */
    public void sendToNeighbor(ByteBuf frame, Ipv6Address destination, int owner, long nowNanos) {
        if (destination.isMulticast()) {
            MacAddress.write(frame, frame.readerIndex() + EthernetFrame.DESTINATION, destination.multicastMac());
            gateway.send(frame);
            return;
        }
        neighbors.enqueue(destination, frame, owner, nowNanos);
    }

    /** The Router Advertisement to {@code dst} at {@code dstMac}, from the link-local address, hop limit 255. */
    private void sendAdvertisement(long dstMac, Ipv6Address dst) {
        sendIcmp(dstMac, linkLocal, dst, NDP_HOP_LIMIT, routerAdvertisement);
        counters.routerAdvertisementSent();
    }

    /** A Neighbor Advertisement for gateway address {@code target} (Router and Override set, our MAC as target's). */
    private void sendNeighborAdvertisement(long dstMac, Ipv6Address target, Ipv6Address dst, boolean solicited) {
        sendIcmp(dstMac, target, dst, NDP_HOP_LIMIT, new Icmpv6Repr.NeighborAdvertisement(true, solicited, true,
                target, NdpOptions.targetLinkLayer(mac)));
        counters.neighborAdvertisementSent();
    }

    /** A Neighbor Solicitation for {@code target}: unicast to {@code toMac}, or to its solicited-node group. */
    private void sendSolicitation(Ipv6Address target, long toMac) {
        boolean multicast = toMac == NeighborCache.NONE;
        Ipv6Address dst = multicast ? target.solicitedNodeMulticast() : target;
        sendIcmp(multicast ? dst.multicastMac() : toMac, sourceFor(target), dst, NDP_HOP_LIMIT,
                new Icmpv6Repr.NeighborSolicitation(target, NdpOptions.sourceLinkLayer(mac)));
        counters.neighborSolicitationSent();
    }

    /**
     * Sends {@code icmp} from {@code from} to {@code to}; a message whose packet exceeds the LAN's MTU (an echo reply to
     * a reassembled request, or relayed from a host) goes as fragments (RFC 8200 4.5; the checksum covers the whole
     * message). Errors never do: they quote at most {@link Icmpv6Repr#MAX_QUOTE} bytes, so they fit 1280.
     */
    private void sendIcmp(long toMac, Ipv6Address from, Ipv6Address to, int hopLimit, Icmpv6Repr icmp) {
        Ipv6Repr ip = new Ipv6Repr(from, to, IpProtocol.ICMPV6, icmp.bufferLength(), hopLimit);
        if (ip.totalLength() > gateway.mtu()) {
            ByteBuf message = alloc.buffer(icmp.bufferLength());
            try {
                icmp.emit(message, 0, from, to);
                sendFragments(toMac, ip, message, icmp.bufferLength());
            } finally {
                message.release();
            }
            return;
        }
        ByteBuf out = newFrame(toMac, ip);
        try {
            icmp.emit(out, EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH, from, to);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        gateway.send(out);
    }

    /** A frame with the Ethernet and IPv6 headers written, its writer index at the end of the packet. */
    private ByteBuf newFrame(long toMac, Ipv6Repr ip) {
        int length = EthernetFrame.HEADER_LENGTH + ip.totalLength();
        ByteBuf out = alloc.buffer(length);
        try {
            MacAddress.write(out, EthernetFrame.DESTINATION, toMac);
            MacAddress.write(out, EthernetFrame.SOURCE, mac.bits());
            out.setShort(EthernetFrame.ETHER_TYPE, EtherType.IPV6_VALUE);
            ip.emit(out, EthernetFrame.HEADER_LENGTH);
            out.writerIndex(length);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        return out;
    }

    @Override
    public String toString() {
        return "GatewayIpv6{" + linkLocal + ", " + address + " in " + config.prefix() + "}";
    }
}
