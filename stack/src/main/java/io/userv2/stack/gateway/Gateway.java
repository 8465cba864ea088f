package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.FrameSink;
import io.userv2.stack.wire.ArpOperation;
import io.userv2.stack.wire.ArpPacket;
import io.userv2.stack.wire.ArpRepr;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Icmpv4Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.ParseError;
import io.userv2.stack.wire.ParseResult;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The virtual gateway's protocol engine: it takes the Ethernet frames the switch delivers to the gateway (its MAC and
 * broadcasts), answers ARP for its address and ICMP echo to its address, delivers UDP to bound {@link UdpService}s
 * (DHCP, DNS), offers what it does not serve to an {@link Ipv4Forwarder} (NAT), and drops and counts the rest by
 * {@link DropReason}. Sans-IO: no threads, sockets or clocks; time is an argument and replies go to a {@link FrameSink}.
 *
 * <p>Policy, with the rules it follows:
 * <ul>
 *   <li>ARP (RFC 826): a request for the gateway's IP is answered with a reply sent unicast to the requester. The
 *       sender's mapping is learned when the packet is addressed to the gateway, and only refreshed ("merge") when the
 *       sender is already known and the packet is for someone else. Probes (sender IP 0.0.0.0, RFC 5227) are answered
 *       but not learned. A sender claiming the gateway's IP is counted as a conflict.</li>
 *   <li>IPv4 (RFC 791, RFC 1122): the header must be valid with a correct checksum. The source's mapping is learned
 *       from every valid packet whose source is a host address of the subnet. Fragments (to any destination) are
 *       reassembled by an {@link Ipv4Reassembler}, bounded per ingress owner and in total by {@link ReassemblyLimits};
 *       the whole datagram is then handled exactly as if it had come unfragmented, the forwarder included. Expiry
 *       runs with every frame; an owner with a timer calls {@link #poll} at {@link #pollAt()}.</li>
 *   <li>MTU (RFC 791 section 3.2, RFC 1122 3.3.3): UDP and ICMP echo replies the gateway sends whose IP packet
 *       exceeds the LAN's MTU ({@link #mtu()}) go out as fragments (offsets in 8-byte units, MF on all but the last, one identification,
 *       DF clear); the UDP checksum covers the whole datagram. TCP is sent with DF and never fragmented (its MSS
 *       keeps it within the MTU).</li>
 *   <li>ICMP (RFC 792, RFC 1122 3.2.2.6): an echo request to the gateway's IP is answered with an echo reply from
 *       that IP carrying the same identifier, sequence number and data. IP options are not copied (RFC 1122 says the
 *       reply SHOULD update Record Route / Timestamp options; not done). Echo requests to broadcast addresses are
 *       dropped, as the RFC allows. Echo requests to other destinations go to the forwarder, whose replies come back
 *       through {@link #sendEchoReply}.</li>
 *   <li>UDP (RFC 768): the checksum is verified when present (0 = none). A datagram to the gateway's IP, to
 *       255.255.255.255 or to the subnet broadcast goes to the service bound to its port ({@link #bindUdp}). Unbound
 *       ports: to the gateway's IP the forwarder is asked first (host alias NAT), then ICMP port unreachable is
 *       answered (RFC 1122 3.2.2.1: "A host SHOULD generate Destination Unreachable messages with code: ... 3 (Port
 *       Unreachable), if the designated transport protocol (e.g., UDP) is unable to demultiplex the datagram"), rate
 *       limited by {@link IcmpRateLimiter} and never for broadcasts (RFC 1122 3.2.2); to broadcasts it is dropped.
 *       {@link #sendUdp} emits datagrams with explicit addressing; {@link #sendDestinationUnreachable} lets the NAT
 *       report errors the host reports to it, under the same RFC 1122 rules and rate limit.</li>
 *   <li>Fragments are reassembled ({@link Ipv4Reassembler}); when a datagram times out whose first fragment is in,
 *       ICMP Time Exceeded code 1 quoting that fragment goes to its source, under the same rules and rate limit.</li>
 *   <li>Not for the gateway: packets to other destinations, and TCP to the gateway's IP, are offered to the
 *       {@link Ipv4Forwarder} ({@link #setIpv4Forwarder}); without one, they are dropped and counted.</li>
 *   <li>802.1Q: the gateway serves the untagged LAN only; tagged frames are dropped and counted.</li>
 *   <li>IPv6: off until {@link #enableIpv6}, and then handled by {@link GatewayIpv6} (NDP, Router Advertisements,
 *       echo, UDP services, the IPv6 forwarder hook). While it is off, IPv6 frames are dropped as an unsupported
 *       EtherType and frames to IPv6 multicast MACs as not for the gateway, exactly as before IPv6 existed; once on,
 *       frames to {@code 33:33:...} multicast MACs carrying IPv6 are taken too (the switch floods them to the
 *       gateway's port like to every other).</li>
 *   <li>Replies are not padded to the 60-byte Ethernet minimum: virtual links carry short frames (as gvproxy does).</li>
 * </ul>
 *
 * <p>Dispatch by IP protocol is one switch in {@link #deliverIpv4}.
 *
 * <p>Not thread-safe: one gateway is owned by one event-loop thread.
 */
public final class Gateway implements UdpSender {
    private static final long BROADCAST_MAC = MacAddress.BROADCAST.bits();
    /** RFC 2464 7: IPv6 multicast goes to 33:33 followed by the group's last 32 bits (the MAC's first 16 bits). */
    private static final long IPV6_MULTICAST_MAC_PREFIX = 0x3333L;
    /** The LAN's MTU unless told otherwise: Ethernet's 1500. */
    public static final int DEFAULT_MTU = 1500;
    /** RFC 791: "Every internet module must be able to forward a datagram of 68 octets without further fragmentation." */
    public static final int MIN_MTU = 68;
    /** RFC 1812 4.3.2.3: an ICMP error carries at most 576 bytes; this is what is left for the quote. */
    private static final int MAX_QUOTE = 576 - Ipv4Packet.MIN_HEADER_LENGTH - Icmpv4Packet.HEADER_LENGTH;

    private final MacAddress mac;
    private final Ipv4Address ip;
    private final Ipv4Subnet subnet;
    private final FrameSink sink;
    /** Set between {@link #startFrame} and its end while the frame is built in the sink's room. */
    private boolean buildingInPlace;
    private final ByteBufAllocator alloc;
    private final GatewayCounters counters;
    private final ArpCache arpCache;
    private final int networkBits;
    private final int broadcastBits;
    private final Map<Integer, UdpService> udpServices = new HashMap<>();
    private final IcmpRateLimiter icmpLimiter = new IcmpRateLimiter();
    private final Ipv4Reassembler reassembler;
    private final int mtu;
    private Ipv4Forwarder forwarder;
    /** The IPv6 half, null while IPv6 is off. */
    private GatewayIpv6 ipv6;
    private int nextIdentification;
    /** Further addresses the gateway answers at (see {@link #addAddress}). */
    private int[] extraAddresses = new int[0];
    /** The views every received frame is parsed with (no object per frame); see {@link #receive}. */
    private final EthernetFrame frameView = EthernetFrame.reusable();
    private final Ipv4Packet packetView = Ipv4Packet.reusable();
    /** True while {@link #receive} runs: a nested call (a sink that loops a frame straight back) gets its own views. */
    private boolean receiving;

    /** A gateway with the pooled allocator, fresh counters, a default {@link ArpCache} and MTU 1500. */
    public Gateway(MacAddress mac, Ipv4Address ip, Ipv4Subnet subnet, FrameSink sink) {
        this(mac, ip, subnet, sink, DEFAULT_MTU);
    }

    /** A gateway with the pooled allocator, fresh counters and a default {@link ArpCache} on a LAN of {@code mtu}. */
    public Gateway(MacAddress mac, Ipv4Address ip, Ipv4Subnet subnet, FrameSink sink, int mtu) {
        this(mac, ip, subnet, sink, PooledByteBufAllocator.DEFAULT, new GatewayCounters(), new ArpCache(), mtu,
                ReassemblyLimits.defaults());
    }

    /** As the full constructor with MTU 1500 and the default {@link ReassemblyLimits}. */
    public Gateway(MacAddress mac, Ipv4Address ip, Ipv4Subnet subnet, FrameSink sink, ByteBufAllocator alloc,
                   GatewayCounters counters, ArpCache arpCache) {
        this(mac, ip, subnet, sink, alloc, counters, arpCache, DEFAULT_MTU, ReassemblyLimits.defaults());
    }

    /**
     * A gateway at {@code mac}/{@code ip} on {@code subnet}, sending frames to {@code sink}, allocating them (and its
     * reassembly buffers) from {@code alloc}, fragmenting what it sends to fit {@code mtu} and reassembling within
     * {@code reassembly}.
     *
     * @throws IllegalArgumentException when {@code ip} is not a host address of {@code subnet}, {@code mac} is a group
     *                                  address, or {@code mtu} is outside 68..65535
     */
    public Gateway(MacAddress mac, Ipv4Address ip, Ipv4Subnet subnet, FrameSink sink, ByteBufAllocator alloc,
                   GatewayCounters counters, ArpCache arpCache, int mtu, ReassemblyLimits reassembly) {
        this.mac = Objects.requireNonNull(mac, "mac");
        this.ip = Objects.requireNonNull(ip, "ip");
        this.subnet = Objects.requireNonNull(subnet, "subnet");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.arpCache = Objects.requireNonNull(arpCache, "arpCache");
        if (!subnet.contains(ip) || ip.equals(subnet.network()) || ip.equals(subnet.broadcast())) {
            throw new IllegalArgumentException(ip + " is not a host address of " + subnet);
        }
        if (mac.isMulticast()) {
            throw new IllegalArgumentException("gateway MAC must be unicast: " + mac);
        }
        if (mtu < MIN_MTU || mtu > 0xFFFF) {
            throw new IllegalArgumentException("MTU out of range 68..65535: " + mtu);
        }
        this.networkBits = subnet.network().bits();
        this.broadcastBits = subnet.broadcast().bits();
        this.mtu = mtu;
        this.reassembler = new Ipv4Reassembler(alloc, counters, reassembly);
        reassembler.onTimeout(this::reassemblyTimedOut);
    }

    /**
     * Makes the gateway answer at {@code address} too (ARP, ping, its UDP services and TCP), e.g. a DNS server at an
     * address of its own as in Lima's default network (gateway .2, DNS .3).
     *
     * @throws IllegalArgumentException unless {@code address} is a host address of the subnet
     */
    public void addAddress(Ipv4Address address) {
        int a = address.bits();
        if (!subnet.contains(a) || a == networkBits || a == broadcastBits) {
            throw new IllegalArgumentException(address + " is not a host address of " + subnet);
        }
        if (!owns(a)) {
            extraAddresses = java.util.Arrays.copyOf(extraAddresses, extraAddresses.length + 1);
            extraAddresses[extraAddresses.length - 1] = a;
        }
    }

    /** True for the gateway's address and those added with {@link #addAddress}. */
    public boolean owns(int address) {
        if (address == ip.bits()) {
            return true;
        }
        for (int a : extraAddresses) {
            if (a == address) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code address} can be a guest's on this LAN: a host address of the subnet (not its network or broadcast
     * address) that is not one of the gateway's own. Port forwards reach only such guests: else the gateway would ARP
     * for an address off the LAN (or answer itself) and whichever VM answered would get the host's connections.
     */
    public boolean isGuestAddress(int address) {
        return subnet.contains(address) && address != networkBits && address != broadcastBits && !owns(address);
    }

    /** {@link #isGuestAddress(int)} of {@code address}. */
    public boolean isGuestAddress(Ipv4Address address) {
        return isGuestAddress(address.bits());
    }

    /** The gateway's MAC address. */
    public MacAddress mac() {
        return mac;
    }

    /** The gateway's IPv4 address. */
    public Ipv4Address ip() {
        return ip;
    }

    /** The subnet the gateway serves. */
    public Ipv4Subnet subnet() {
        return subnet;
    }

    /** The LAN's MTU: the largest IPv4 packet the gateway sends unfragmented. */
    public int mtu() {
        return mtu;
    }

    /**
     * Serves IPv6 on the LAN as {@code config} says, from now on (the first Router Advertisement is due at
     * {@code nowNanos}); {@code random} spreads the periodic advertisements (RFC 4861 6.2.4). Returns the IPv6 half,
     * where IPv6 services are bound and the IPv6 forwarder is installed.
     *
     * @throws IllegalStateException    when IPv6 is already on
     * @throws IllegalArgumentException when the MTU is below IPv6's 1280
     */
    public GatewayIpv6 enableIpv6(Ipv6Config config, RandomGenerator random, long nowNanos) {
        return enableIpv6(config, new NeighborCache(counters), random, nowNanos);
    }

    /** As {@link #enableIpv6(Ipv6Config, RandomGenerator, long)} with a neighbour cache of other bounds. */
    public GatewayIpv6 enableIpv6(Ipv6Config config, NeighborCache neighbors, RandomGenerator random, long nowNanos) {
        if (ipv6 != null) {
            throw new IllegalStateException("IPv6 is already on");
        }
        ipv6 = new GatewayIpv6(this, config, neighbors, random, nowNanos);
        return ipv6;
    }

    /** The IPv6 half, or null while IPv6 is off. */
    public GatewayIpv6 ipv6() {
        return ipv6;
    }

    /** The allocator of every frame the gateway sends. */
    ByteBufAllocator alloc() {
        return alloc;
    }

    /** The reassembler of guest fragments (live: for statistics and tests). */
    public Ipv4Reassembler reassembler() {
        return reassembler;
    }

    /**
     * Expires what is overdue at {@code nowNanos} (reassembly) and, with IPv6 on, sends the Router Advertisements and
     * Neighbor Solicitations that are due. Every received frame expires reassembly too; an owner with a timer calls
     * this at {@link #pollAt()} so that an idle LAN frees memory and hears its router.
     */
    public void poll(long nowNanos) {
        reassembler.expire(nowNanos);
        if (ipv6 != null) {
            ipv6.poll(nowNanos);
        }
    }

    /** When {@link #poll} next has something to do, {@link Long#MAX_VALUE} if never. */
    public long pollAt() {
        long at = reassembler.pollAt();
        if (ipv6 != null) {
            long v6 = ipv6.pollAt();
            if (at == Long.MAX_VALUE || (v6 != Long.MAX_VALUE && v6 - at < 0)) {
                at = v6;
            }
        }
        return at;
    }

    /**
     * Forgets what ingress {@code owner} made the gateway hold (its fragments in reassembly, its IPv6 neighbour
     * entries), e.g. when its switch port goes away. Fragments count as {@link DropReason#FRAGMENT_ABORTED}.
     */
    public void releaseOwner(int owner) {
        reassembler.releaseOwner(owner);
        if (ipv6 != null) {
            ipv6.reassembler().releaseOwner(owner);
            ipv6.neighbors().releaseOwner(owner);
        }
    }

    /**
     * Releases every buffer the gateway holds (fragments in reassembly, frames waiting for an IPv6 neighbour); it may
     * still be used afterwards.
     */
    public void close() {
        reassembler.close();
        if (ipv6 != null) {
            ipv6.reassembler().close();
            ipv6.neighbors().close();
        }
    }

    /** The counters (live, not a copy). */
    public GatewayCounters counters() {
        return counters;
    }

    /** The ARP cache (live, not a copy). */
    public ArpCache arpCache() {
        return arpCache;
    }

    /**
     * Binds {@code service} to UDP {@code port} on the gateway's address and on the broadcast addresses.
     *
     * @throws IllegalArgumentException when the port is out of 1..65535
     * @throws IllegalStateException    when something is already bound there
     */
    public void bindUdp(int port, UdpService service) {
        Objects.requireNonNull(service, "service");
        if (port <= 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("UDP port out of range: " + port);
        }
        if (udpServices.putIfAbsent(port, service) != null) {
            throw new IllegalStateException("UDP port " + port + " already bound");
        }
    }

    /** Removes the service bound to UDP {@code port}, if any. */
    public void unbindUdp(int port) {
        udpServices.remove(port);
    }

    /**
     * Installs the hook that gets the IPv4 traffic the gateway does not serve (see {@link Ipv4Forwarder}), replacing
     * any previous one; {@code null} restores the default (drop and count).
     */
    public void setIpv4Forwarder(Ipv4Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    /**
     * Handles one Ethernet frame (the readable bytes of {@code frame}). Never throws for malformed input: such frames
     * are dropped and counted.
     *
     * <p>Ownership: the caller keeps ownership of {@code frame} and releases it after this returns; the gateway
     * neither releases nor retains it, does not move its indices, and keeps no reference to it (replies are copies).
     */
    public void receive(ByteBuf frame, long nowNanos) {
        receive(frame, frame.readerIndex(), frame.readableBytes(), Ipv4Forwarder.NO_OWNER, nowNanos);
    }

    /**
     * As {@link #receive(ByteBuf, long)} for the frame at {@code buf[index, index + length)}, so that a caller
     * holding many frames in one buffer (the switch's read buffer) needs no slice object per frame. The caller keeps
     * ownership of {@code buf}.
     *
     * @param ingress who sent the frame: the switch port it came in on, passed on to the {@link Ipv4Forwarder} so
     *     that what the frame makes the NAT hold is accounted to that port ({@link Ipv4Forwarder#NO_OWNER} if none)
     */
    public void receive(ByteBuf buf, int index, int length, int ingress, long nowNanos) {
        boolean nested = receiving;
        receiving = true;
        try {
            receive(buf, index, length, ingress, nowNanos, nested ? EthernetFrame.reusable() : frameView,
                    nested ? Ipv4Packet.reusable() : packetView);
        } finally {
            receiving = nested;
        }
    }

    /** {@link #receive(ByteBuf, int, int, int, long)} with the two views to parse the frame with. */
    private void receive(ByteBuf buf, int index, int length, int ingress, long nowNanos, EthernetFrame eth,
                         Ipv4Packet packet) {
        counters.received();
        reassembler.expire(nowNanos);
        if (eth.wrap(buf, index, length) != null) {
            counters.drop(DropReason.ETHERNET_TRUNCATED);
            return;
        }
        long dst = eth.destination();
        if (dst != mac.bits() && dst != BROADCAST_MAC && (ipv6 == null || (dst >>> 32) != IPV6_MULTICAST_MAC_PREFIX
                || eth.payloadEtherTypeValue() != EtherType.IPV6_VALUE)) {
            counters.drop(DropReason.NOT_FOR_GATEWAY_MAC);
            return;
        }
        if (MacAddress.isGroup(eth.source())) {
            counters.drop(DropReason.SOURCE_MAC_GROUP);
            return;
        }
        if (eth.isVlanTagged()) {
            counters.drop(DropReason.VLAN_TAGGED);
            return;
        }
        switch (eth.payloadEtherTypeValue()) {
            case EtherType.ARP_VALUE -> receiveArp(eth, nowNanos);
            case EtherType.IPV4_VALUE -> receiveIpv4(eth, packet, ingress, nowNanos);
            case EtherType.IPV6_VALUE -> {
                if (ipv6 != null) {
                    ipv6.receive(eth, ingress, nowNanos, eth != frameView);
                } else {
                    counters.drop(DropReason.UNSUPPORTED_ETHERTYPE);
                }
            }
            default -> counters.drop(DropReason.UNSUPPORTED_ETHERTYPE);
        }
    }

    private void receiveArp(EthernetFrame eth, long nowNanos) {
        ParseResult<ArpPacket> checked = ArpPacket.checked(eth);
        if (!(checked instanceof ParseResult.Ok<ArpPacket> ok)) {
            ParseError error = checked.error();
            counters.drop(error == ParseError.TRUNCATED ? DropReason.ARP_TRUNCATED
                    : error == ParseError.UNSUPPORTED ? DropReason.ARP_UNSUPPORTED : DropReason.ARP_MALFORMED);
            return;
        }
        ArpPacket arp = ok.value();
        int operation = arp.operationCode();
        if (operation != ArpOperation.REQUEST_CODE && operation != ArpOperation.REPLY_CODE) {
            counters.drop(DropReason.ARP_UNKNOWN_OPERATION);
            return;
        }
        long senderMac = arp.senderHardwareAddress();
        int senderIp = arp.senderProtocolAddress();
        if (MacAddress.isGroup(senderMac)) {
            counters.drop(DropReason.ARP_MALFORMED);
            return;
        }
        if (owns(senderIp)) {
            counters.drop(DropReason.ARP_ADDRESS_CONFLICT);
            return;
        }
        boolean forUs = owns(arp.targetProtocolAddress());
        if (isLearnable(senderIp)) {
            // RFC 826: "If the pair <protocol type, sender protocol address> is already in my translation table,
            // update the sender hardware address field ... Am I the target protocol address? If Merge_flag is false,
            // add the triplet".
            boolean changed = forUs ? arpCache.learn(senderIp, senderMac, nowNanos)
                    : arpCache.update(senderIp, senderMac, nowNanos);
            if (changed) {
                counters.arpLearned();
            }
        }
        if (!forUs) {
            counters.drop(DropReason.ARP_NOT_FOR_GATEWAY);
            return;
        }
        if (operation == ArpOperation.REQUEST_CODE) {
            sendArp(MacAddress.of(senderMac), ArpRepr.replyTo(ArpRepr.parse(arp), mac));
            counters.arpReplySent();
        }
        // A reply addressed to us has been learned from above; nothing more to do.
    }

    private void receiveIpv4(EthernetFrame eth, Ipv4Packet packet, int ingress, long nowNanos) {
        ParseError error = packet.wrap(eth);
        if (error != null) {
            counters.drop(error == ParseError.TRUNCATED ? DropReason.IPV4_TRUNCATED : DropReason.IPV4_MALFORMED);
            return;
        }
        if (!packet.verifyChecksum()) {
            counters.drop(DropReason.IPV4_BAD_CHECKSUM);
            return;
        }
        int src = packet.source();
        if (isBroadcastOrMulticast(src)) {
            // RFC 1122 3.2.1.3: a host MUST silently discard a datagram whose source is a broadcast/multicast address.
            counters.drop(DropReason.IPV4_BAD_SOURCE);
            return;
        }
        if (isLearnable(src) && arpCache.learn(src, eth.source(), nowNanos)) {
            counters.arpLearned();
        }
        if (packet.isFragment()) {
            ByteBuf whole = reassembler.offer(eth, packet, ingress, nowNanos);
            if (whole != null) {
                try {
                    // Views of their own (reassembly is rare): the frame's views stay as they were.
                    EthernetFrame wholeFrame = EthernetFrame.checked(whole).orNull();
                    deliverIpv4(wholeFrame, Ipv4Packet.checked(wholeFrame).orNull(), ingress, nowNanos);
                } finally {
                    whole.release();
                }
            }
            return;
        }
        deliverIpv4(eth, packet, ingress, nowNanos);
    }

    /** Handles a whole (unfragmented or reassembled) datagram whose header has been validated. */
    private void deliverIpv4(EthernetFrame eth, Ipv4Packet packet, int ingress, long nowNanos) {
        int dst = packet.destination();
        boolean toBroadcast = dst == -1 || dst == broadcastBits;
        if (!owns(dst) && !toBroadcast) {
            if (!offerToForwarder(eth, packet, ingress, nowNanos)) {
                counters.drop(DropReason.IPV4_NOT_FOR_GATEWAY);
            }
            return;
        }
        switch (packet.protocolNumber()) {
            case IpProtocol.ICMP_NUMBER -> receiveIcmp(eth, packet, toBroadcast);
            case IpProtocol.UDP_NUMBER -> receiveUdp(eth, packet, toBroadcast, ingress, nowNanos);
            case IpProtocol.TCP_NUMBER -> {
                if (toBroadcast || !offerToForwarder(eth, packet, ingress, nowNanos)) {
                    counters.drop(DropReason.TCP_UNHANDLED);
                }
            }
            default -> counters.drop(DropReason.IP_PROTOCOL_UNHANDLED);
        }
    }

    private boolean offerToForwarder(EthernetFrame eth, Ipv4Packet packet, int ingress, long nowNanos) {
        Ipv4Forwarder f = forwarder;
        if (f != null && f.forward(eth, packet, ingress, nowNanos)) {
            counters.ipv4ForwardedOne();
            return true;
        }
        return false;
    }

    private void receiveUdp(EthernetFrame eth, Ipv4Packet packet, boolean toBroadcast, int ingress, long nowNanos) {
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
        if (!udp.verifyChecksum(packet.source(), packet.destination())) {
            counters.drop(DropReason.UDP_BAD_CHECKSUM);
            return;
        }
        UdpService service = udpServices.get(dstPort);
        if (service != null) {
            counters.udpDeliveredOne();
            service.datagram(new UdpDatagram(MacAddress.of(eth.source()), new Ipv4Address(packet.source()),
                    udp.srcPort(), new Ipv4Address(packet.destination()), dstPort, toBroadcast, udp.payload(),
                    ingress),
                    nowNanos);
            return;
        }
        if (toBroadcast) {
            counters.drop(DropReason.UDP_BROADCAST_UNBOUND);
            return;
        }
        if (offerToForwarder(eth, packet, ingress, nowNanos)) {
            return;
        }
        counters.drop(DropReason.UDP_PORT_UNREACHABLE);
        sendPortUnreachable(eth, packet, nowNanos);
    }

    /** Answers ICMP port unreachable from the address the datagram was sent to (see {@link #sendUnreachable}). */
    private void sendPortUnreachable(EthernetFrame eth, Ipv4Packet packet, long nowNanos) {
        if (eth.destination() == BROADCAST_MAC) {
            return; // RFC 1122 3.2.2: not for "a datagram sent as a link-layer broadcast"
        }
        int quoted = packet.headerLength() + Math.min(8, packet.payloadLength());
        sendUnreachable(eth.source(), packet.destination(), Icmpv4Packet.CODE_PORT_UNREACHABLE,
                packet.buffer().slice(packet.offset(), quoted), nowNanos);
    }

    /**
     * Sends ICMP destination unreachable (RFC 792 type 3) with {@code code} from {@code from} to the source of the
     * datagram {@code quoted} describes, at {@code to}: for the NAT, when the host reports what the guest's packet ran
     * into (a host UDP socket got port unreachable, a host dial failed with host or net unreachable) after that packet
     * is gone. Build {@code quoted} with {@link io.userv2.stack.wire.Ipv4Quote}, or slice it from a packet at hand.
     *
     * <p>Nothing is sent, and false returned, when RFC 1122 3.2.2 forbids it ("An ICMP error message MUST NOT be sent
     * as the result of receiving: an ICMP error message, ... a datagram destined to an IP broadcast or IP multicast
     * address, a datagram sent as a link-layer broadcast, a non-initial fragment, a datagram whose source address does
     * not define a single host -- e.g., a zero address, a loopback address, a broadcast address, a multicast address,
     * or a Class E address"), or when the {@link IcmpRateLimiter} holds it back (counted in
     * {@link GatewayCounters#icmpErrorsRateLimited()}). At most 548 bytes of the quote are sent, so that the error
     * fits in 576 bytes (RFC 1812 4.3.2.3).
     *
     * <p>Ownership: the caller keeps {@code quoted}; its bytes are copied, its indices not moved.
     *
     * @param to       the Ethernet destination: the guest that sent the quoted datagram
     * @param from     the error's IPv4 source: the address that could not be reached, or the gateway's
     * @param code     the ICMP code, e.g. {@link Icmpv4Packet#CODE_PORT_UNREACHABLE},
     *                 {@link Icmpv4Packet#CODE_HOST_UNREACHABLE}, {@link Icmpv4Packet#CODE_NET_UNREACHABLE}
     * @param quoted   the readable bytes: the original IPv4 header (options included) and at least the first 8 bytes
     *                 of its payload
     * @param nowNanos the current time, for the rate limit
     * @return true when the error was sent
     * @throws IllegalArgumentException when {@code quoted} does not hold an IPv4 header and 8 more bytes, or
     *                                  {@code code} is outside 0..255
     */
    public boolean sendDestinationUnreachable(MacAddress to, Ipv4Address from, int code, ByteBuf quoted,
                                              long nowNanos) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(from, "from");
        int index = quoted.readerIndex();
        int length = quoted.readableBytes();
        int headerLength = length < Ipv4Packet.MIN_HEADER_LENGTH ? 0
                : (quoted.getUnsignedByte(index + Ipv4Packet.VERSION_IHL) & 0xF) * 4;
        if (length < Ipv4Packet.MIN_HEADER_LENGTH
                || (quoted.getUnsignedByte(index + Ipv4Packet.VERSION_IHL) >>> 4) != 4
                || headerLength < Ipv4Packet.MIN_HEADER_LENGTH || length < headerLength + 8) {
            throw new IllegalArgumentException("not an IPv4 header and 8 bytes: " + length + " bytes");
        }
        if ((code & ~0xFF) != 0) {
            throw new IllegalArgumentException("ICMP code out of range: " + code);
        }
        if (to.isMulticast()) {
            return false;
        }
        int protocol = quoted.getUnsignedByte(index + Ipv4Packet.PROTOCOL);
        if ((quoted.getUnsignedShort(index + Ipv4Packet.FLAGS_FRAGMENT_OFFSET) & Ipv4Packet.FRAGMENT_OFFSET_MASK) != 0
                || isBroadcastOrMulticast(quoted.getInt(index + Ipv4Packet.DESTINATION))
                || (protocol == IpProtocol.ICMP_NUMBER && isIcmpError(quoted.getUnsignedByte(index + headerLength)))) {
            return false;
        }
        return sendUnreachable(to.bits(), from.bits(), code, quoted.slice(index, Math.min(length, MAX_QUOTE)),
                nowNanos);
    }

    /** RFC 1122 3.2.2: ICMP error types (destination unreachable, source quench, redirect, time exceeded, problem). */
    private static boolean isIcmpError(int type) {
        return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    /**
     * Reassembly of the datagram whose first fragment is {@code first} timed out: ICMP Time Exceeded code 1 quoting it
     * (RFC 792; RFC 1122 3.3.2) goes to its source from the address it was sent to if that is the gateway's (else
     * from the gateway's address, as a router), under RFC 1122 3.2.2's rules (not about an ICMP error, a broadcast
     * or multicast datagram, a link-layer broadcast, a source that is not one host) and the rate limit.
     */
    private void reassemblyTimedOut(long toMac, long ethDestination, ByteBuf first, long nowNanos) {
        int index = first.readerIndex();
        int headerLength = (first.getUnsignedByte(index + Ipv4Packet.VERSION_IHL) & 0xF) * 4;
        int destination = first.getInt(index + Ipv4Packet.DESTINATION);
        if (MacAddress.isGroup(toMac) || MacAddress.isGroup(ethDestination)
                || isBroadcastOrMulticast(destination)
                || (first.getUnsignedByte(index + Ipv4Packet.PROTOCOL) == IpProtocol.ICMP_NUMBER
                        && first.readableBytes() > headerLength
                        && isIcmpError(first.getUnsignedByte(index + headerLength)))) {
            return;
        }
        int from = owns(destination) ? destination : ip.bits();
        sendError(toMac, from, Icmpv4Packet.TYPE_TIME_EXCEEDED, Icmpv4Packet.CODE_REASSEMBLY_TIME_EXCEEDED,
                first.slice(index, Math.min(first.readableBytes(), MAX_QUOTE)), nowNanos);
    }

    /** {@link #sendError} of destination unreachable {@code code}. */
    private boolean sendUnreachable(long toMac, int from, int code, ByteBuf quote, long nowNanos) {
        return sendError(toMac, from, Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE, code, quote, nowNanos);
    }

    /**
     * Sends ICMP error {@code type} (destination unreachable or time exceeded) with {@code code} quoting {@code quote}
     * (a slice, not retained) to its source at {@code toMac}, unless the source "does not define a single host" (RFC
     * 1122 3.2.2: zero, loopback, broadcast, multicast, class E) or the rate limit says no. The caller has applied the
     * other rules of 3.2.2.
     */
    private boolean sendError(long toMac, int from, int type, int code, ByteBuf quote, long nowNanos) {
        int src = quote.getInt(quote.readerIndex() + Ipv4Packet.SOURCE);
        if (src == 0 || (src >>> 24) == 127 || (src >>> 28) >= 0xE || src == broadcastBits) {
            return false;
        }
        if (!icmpLimiter.tryAcquire(nowNanos)) {
            counters.icmpErrorRateLimited();
            return false;
        }
        Icmpv4Repr error = type == Icmpv4Packet.TYPE_TIME_EXCEEDED ? new Icmpv4Repr.TimeExceeded(code, quote)
                : new Icmpv4Repr.DestinationUnreachable(code, 0, quote);
        Ipv4Repr ipv4 = new Ipv4Repr(new Ipv4Address(from), new Ipv4Address(src), IpProtocol.ICMP,
                error.bufferLength(), Ipv4Repr.DEFAULT_TTL, nextIdentification(), false,
                0xC0 /* precedence "internetwork control", as Linux */);
        sendIpv4(MacAddress.of(toMac), ipv4, error);
        counters.icmpErrorSent();
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The frame comes from the gateway's allocator and goes to its sink. Ownership of {@code payload} stays with the
     * caller. Datagrams larger than the MTU are sent as fragments.
     */
    @Override
    public void sendUdp(MacAddress dstMac, Ipv4Address srcIp, int srcPort, Ipv4Address dstIp, int dstPort,
                        ByteBuf payload) {
        int index = payload.readerIndex();
        int length = payload.readableBytes();
        sendUdp(dstMac, srcIp, srcPort, dstIp, dstPort, length, (frame, offset) ->
                frame.setBytes(offset, payload, index, length));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The frame comes from the gateway's allocator; {@code writer} fills the payload, then the UDP checksum is
     * computed over it and the frame goes to the sink. If {@code writer} throws, the frame is released and the
     * exception propagates. A datagram whose IP packet exceeds {@link #mtu()} is written into a buffer of its own,
     * checksummed once, and sent as fragments (RFC 791 section 3.2): each carries a multiple of 8 data bytes but the
     * last, MF on all but the last, the same identification, DF clear, its own header checksum.
     */
    @Override
    public void sendUdp(MacAddress dstMac, Ipv4Address srcIp, int srcPort, Ipv4Address dstIp, int dstPort,
                        int payloadLength, UdpPayloadWriter writer) {
        Objects.requireNonNull(writer, "writer");
        UdpRepr udp = new UdpRepr(srcPort, dstPort, payloadLength);
        if (udp.totalLength() > 0xFFFF - Ipv4Packet.MIN_HEADER_LENGTH) {
            throw new IllegalArgumentException("UDP datagram too long for IPv4: " + payloadLength + " data bytes");
        }
        Ipv4Repr ipv4 = new Ipv4Repr(srcIp, dstIp, IpProtocol.UDP, udp.totalLength(), Ipv4Repr.DEFAULT_TTL,
                nextIdentification(), false, 0);
        EthernetRepr ethernet = new EthernetRepr(dstMac, mac, EtherType.IPV4);
        if (ipv4.totalLength() > mtu) {
            sendFragmented(ethernet, ipv4, udp, writer);
            return;
        }
        int length = ethernet.headerLength() + ipv4.totalLength();
        ByteBuf out = alloc.buffer(length);
        try {
            int offset = ethernet.emit(out, 0);
            offset += ipv4.emit(out, offset);
            writer.write(out, offset + udp.headerLength());
            udp.emit(out, offset, srcIp.bits(), dstIp.bits());
            out.writerIndex(length);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        counters.udpSentOne();
        send(out);
    }

    /** Sends the datagram {@code ipv4} describes as fragments of at most {@link #mtu()} bytes. */
    private void sendFragmented(EthernetRepr ethernet, Ipv4Repr ipv4, UdpRepr udp, UdpPayloadWriter writer) {
        int total = udp.totalLength();
        ByteBuf datagram = alloc.buffer(total);
        try {
            writer.write(datagram, udp.headerLength());
            udp.emit(datagram, 0, ipv4.source().bits(), ipv4.destination().bits());
            sendFragments(ethernet, ipv4, datagram, total);
            counters.udpSentOne();
        } finally {
            datagram.release();
        }
    }

    /**
     * Sends the first {@code total} bytes of {@code datagram} (the IP payload {@code ipv4} describes, written
     * whole) as fragments of at most {@link #mtu()} bytes. The caller keeps {@code datagram}.
     */
    private void sendFragments(EthernetRepr ethernet, Ipv4Repr ipv4, ByteBuf datagram, int total) {
        // RFC 791: all fragments but the last carry a multiple of 8 octets; the MTU is at least 68, so this is >= 48.
        int maxData = (mtu - ipv4.headerLength()) & ~7;
        int fragments = 0;
        for (int at = 0; at < total; at += maxData) {
            int data = Math.min(maxData, total - at);
            Ipv4Repr header = new Ipv4Repr(ipv4.source(), ipv4.destination(), ipv4.protocol(), data, ipv4.ttl(),
                    ipv4.identification(), false, ipv4.tos());
            int length = ethernet.headerLength() + header.totalLength();
            ByteBuf out = alloc.buffer(length);
            try {
                int offset = ethernet.emit(out, 0);
                offset += header.emitFragment(out, offset, at, at + data < total);
                out.setBytes(offset, datagram, at, data);
                out.writerIndex(length);
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
            send(out);
            fragments++;
        }
        counters.fragmented(fragments);
    }

    /**
     * Sends an ICMP echo reply from {@code from} to {@code to} at {@code toMac}: for the NAT, which relays the reply a
     * host sent to the guest's echo request from the address the guest pinged (RFC 1122 3.2.2.6: "The IP source
     * address in an ICMP Echo Reply MUST be the same as the specific-destination address ... of the corresponding
     * ICMP Echo Request message"). The checksum is computed here. A reply whose IP packet exceeds {@link #mtu()} goes
     * out as fragments, as the gateway's own replies do.
     *
     * <p>Ownership: the caller keeps {@code data}; its readable bytes are copied, its indices not moved.
     *
     * @throws IllegalArgumentException when the identifier or sequence number is outside 0..65535 or the reply
     *                                  would not fit in an IPv4 packet
     */
    public void sendEchoReply(MacAddress toMac, Ipv4Address from, Ipv4Address to, int identifier, int sequence,
                              ByteBuf data) {
        Icmpv4Repr reply = new Icmpv4Repr.EchoReply(identifier, sequence, data);
        sendIcmp(toMac, new Ipv4Repr(from, to, IpProtocol.ICMP, reply.bufferLength(), Ipv4Repr.DEFAULT_TTL,
                nextIdentification(), false, 0), reply);
    }

    /** Sends {@code icmp} in {@code ipv4}, as fragments when the packet exceeds the MTU. */
    private void sendIcmp(MacAddress toMac, Ipv4Repr ipv4, Icmpv4Repr icmp) {
        if (ipv4.totalLength() <= mtu) {
            sendIpv4(toMac, ipv4, icmp);
            return;
        }
        int total = icmp.bufferLength();
        ByteBuf message = alloc.buffer(total);
        try {
            icmp.emit(message, 0);
            sendFragments(new EthernetRepr(toMac, mac, EtherType.IPV4), ipv4, message, total);
        } finally {
            message.release();
        }
    }

    private void receiveIcmp(EthernetFrame eth, Ipv4Packet packet, boolean toBroadcast) {
        Icmpv4Packet icmp = Icmpv4Packet.checked(packet).orNull();
        if (icmp == null) {
            counters.drop(DropReason.ICMP_TRUNCATED);
            return;
        }
        if (!icmp.verifyChecksum()) {
            counters.drop(DropReason.ICMP_BAD_CHECKSUM);
            return;
        }
        if (icmp.type() != Icmpv4Packet.TYPE_ECHO_REQUEST) {
            counters.drop(DropReason.ICMP_UNHANDLED_TYPE);
            return;
        }
        if (toBroadcast) {
            counters.drop(DropReason.ICMP_ECHO_TO_BROADCAST);
            return;
        }
        // RFC 1122 3.2.2.6: "The IP source address in an ICMP Echo Reply MUST be the same as the specific-destination
        // address ... Data received in an ICMP Echo Request MUST be entirely included in the resulting Echo Reply."
        Icmpv4Repr reply = new Icmpv4Repr.EchoReply(icmp.echoIdentifier(), icmp.echoSequence(), icmp.data());
        Ipv4Repr ipv4 = new Ipv4Repr(new Ipv4Address(packet.destination()), new Ipv4Address(packet.source()),
                IpProtocol.ICMP, reply.bufferLength(),
                Ipv4Repr.DEFAULT_TTL, nextIdentification(), false, packet.tos() & ~0x3 /* DSCP kept, ECN cleared */);
        sendIcmp(MacAddress.of(eth.source()), ipv4, reply);
        counters.echoReplySent();
    }

    /**
     * Broadcasts an ARP request "who has {@code target}? tell" the gateway. The frame is allocated from the gateway's
     * allocator and handed to the sink, which owns it.
     */
    public void sendArpRequest(Ipv4Address target) {
        sendArp(MacAddress.BROADCAST, ArpRepr.request(mac, ip, target));
        counters.arpRequestSent();
    }

    private void sendArp(MacAddress to, ArpRepr arp) {
        EthernetRepr ethernet = new EthernetRepr(to, mac, EtherType.ARP);
        int length = ethernet.headerLength() + arp.bufferLength();
        ByteBuf out = alloc.buffer(length);
        try {
            int offset = ethernet.emit(out, 0);
            arp.emit(out, offset);
            out.writerIndex(length);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        send(out);
    }

    /**
     * Sends one TCP segment from {@code src} to {@code dst} (at {@code dstMac}) with DF set, as the gateway's TCP
     * endpoints (NAT, DNS over TCP) emit them. The checksum is computed over {@code payload}, which is copied into
     * the frame: the caller keeps ownership of it and its indices are not moved. {@code tcp} is read during the call
     * only (it is usually a connection's reused header).
     */
    public void sendTcp(MacAddress dstMac, Ipv4Address src, Ipv4Address dst, TcpHeader tcp, ByteBuf payload) {
        sendTcp(dstMac, src.bits(), dst.bits(), tcp, payload);
    }

    /** As {@link #sendTcp(MacAddress, Ipv4Address, Ipv4Address, TcpHeader, ByteBuf)} with the addresses' raw bits. */
    public void sendTcp(MacAddress dstMac, int src, int dst, TcpHeader tcp, ByteBuf payload) {
        sendTcp(dstMac.bits(), src, dst, tcp, payload);
    }

    /**
     * As {@link #sendTcp(MacAddress, Ipv4Address, Ipv4Address, TcpHeader, ByteBuf)} with raw bits: the MAC's 48
     * ({@link MacAddress#bits()}) and the addresses' 32 (the NAT's path: no object per segment).
     */
    public void sendTcp(long dstMac, int src, int dst, TcpHeader tcp, ByteBuf payload) {
        int payloadLength = payload.readableBytes();
        // Once per segment: the headers are written from primitives (no Ipv4Repr/EthernetRepr per segment).
        int ipLength = Ipv4Packet.MIN_HEADER_LENGTH + tcp.totalLength();
        int length = EthernetFrame.HEADER_LENGTH + ipLength;
        ByteBuf out = startFrame(dstMac, length);
        int base = out.writerIndex();
        try {
            MacAddress.write(out, base + EthernetFrame.DESTINATION, dstMac);
            MacAddress.write(out, base + EthernetFrame.SOURCE, mac.bits());
            out.setShort(base + EthernetFrame.ETHER_TYPE, EtherType.IPV4.value());
            int offset = base + EthernetFrame.HEADER_LENGTH;
            // RFC 1191 / RFC 9293 3.7.2: path MTU discovery wants DF on TCP segments; the LAN never fragments.
            Ipv4Repr.writeHeader(out, offset, src, dst, IpProtocol.TCP.number(), ipLength,
                    Ipv4Repr.DEFAULT_TTL, nextIdentification(), Ipv4Packet.FLAG_DF, 0);
            offset += Ipv4Packet.MIN_HEADER_LENGTH;
            // The data copied and summed in one pass (RFC 1071 4.1), the header summed after.
            int dataSum = Checksum.copyAndPartial(payload, payload.readerIndex(), out, offset + tcp.headerLength(),
                    payloadLength, 0);
            tcp.emitWithDataSum(out, offset, src, dst, dataSum);
        } catch (Throwable e) { // an Error too: a reserved room left behind would break the port's framing
            abandonFrame(out);
            throw e;
        }
        finishFrame(out, length);
    }

    /**
     * A buffer to build a frame of {@code length} bytes for unicast {@code dstMac} in, starting at its writer index:
     * in place where the sink sends it from, when the sink offers that ({@link FrameSink#reserve}; the copy into a
     * port's staging buffer saved), else a new one. Follow with {@link #finishFrame} or, if building failed,
     * {@link #abandonFrame}, before anything else is sent. The bytes must be written with absolute setters.
     */
    ByteBuf startFrame(long dstMac, int length) {
        ByteBuf room = sink.reserve(dstMac, length);
        buildingInPlace = room != null;
        return buildingInPlace ? room : alloc.buffer(length);
    }

    /** Sends the frame of {@code length} bytes built in {@code out} (from {@link #startFrame}). */
    void finishFrame(ByteBuf out, int length) {
        if (buildingInPlace) {
            buildingInPlace = false;
            counters.sent();
            sink.commit();
        } else {
            out.writerIndex(length);
            send(out);
        }
    }

    /** Drops the frame {@link #startFrame} gave {@code out} for, unsent. */
    void abandonFrame(ByteBuf out) {
        if (buildingInPlace) {
            buildingInPlace = false;
            sink.cancel();
        } else {
            out.release();
        }
    }

    private void sendIpv4(MacAddress to, Ipv4Repr ipv4, Icmpv4Repr icmp) {
        EthernetRepr ethernet = new EthernetRepr(to, mac, EtherType.IPV4);
        int length = ethernet.headerLength() + ipv4.totalLength();
        ByteBuf out = alloc.buffer(length);
        try {
            int offset = ethernet.emit(out, 0);
            offset += ipv4.emit(out, offset);
            icmp.emit(out, offset);
            out.writerIndex(length);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        send(out);
    }

    /** Hands {@code frame} to the sink, which takes ownership. */
    void send(ByteBuf frame) {
        counters.sent();
        sink.send(frame);
    }

    private int nextIdentification() {
        int id = nextIdentification;
        nextIdentification = (id + 1) & 0xFFFF;
        return id;
    }

    /** A host address of our subnet other than the gateway's own, the network and the broadcast address. */
    private boolean isLearnable(int address) {
        return subnet.contains(address) && !owns(address) && address != networkBits && address != broadcastBits;
    }

    private boolean isBroadcastOrMulticast(int address) {
        return address == -1 || (address >>> 28) == 0xE || address == broadcastBits;
    }

    @Override
    public String toString() {
        return "Gateway{" + ip + " at " + mac + " on " + subnet + "}";
    }
}
