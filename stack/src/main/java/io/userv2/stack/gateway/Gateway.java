package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.FrameSink;
import io.userv2.stack.wire.ArpOperation;
import io.userv2.stack.wire.ArpPacket;
import io.userv2.stack.wire.ArpRepr;
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
import io.userv2.stack.wire.TcpRepr;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

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
 *       from every valid packet whose source is a host address of the subnet. Fragments are not reassembled.</li>
 *   <li>ICMP (RFC 792, RFC 1122 3.2.2.6): an echo request to the gateway's IP is answered with an echo reply from
 *       that IP carrying the same identifier, sequence number and data. IP options are not copied (RFC 1122 says the
 *       reply SHOULD update Record Route / Timestamp options; not done). Echo requests to broadcast addresses are
 *       dropped, as the RFC allows.</li>
 *   <li>UDP (RFC 768): the checksum is verified when present (0 = none). A datagram to the gateway's IP, to
 *       255.255.255.255 or to the subnet broadcast goes to the service bound to its port ({@link #bindUdp}). Unbound
 *       ports: to the gateway's IP the forwarder is asked first (host alias NAT), then ICMP port unreachable is
 *       answered (RFC 1122 3.2.2.1: "A host SHOULD generate Destination Unreachable messages with code: ... 3 (Port
 *       Unreachable), if the designated transport protocol (e.g., UDP) is unable to demultiplex the datagram"), rate
 *       limited by {@link IcmpRateLimiter} and never for broadcasts (RFC 1122 3.2.2); to broadcasts it is dropped.
 *       {@link #sendUdp} emits datagrams with explicit addressing.</li>
 *   <li>Not for the gateway: packets to other destinations, and TCP to the gateway's IP, are offered to the
 *       {@link Ipv4Forwarder} ({@link #setIpv4Forwarder}); without one, they are dropped and counted.</li>
 *   <li>802.1Q: the gateway serves the untagged LAN only; tagged frames are dropped and counted.</li>
 *   <li>Replies are not padded to the 60-byte Ethernet minimum: virtual links carry short frames (as gvproxy does).</li>
 * </ul>
 *
 * <p>Dispatch by IP protocol is one switch in {@link #receiveIpv4}.
 *
 * <p>Not thread-safe: one gateway is owned by one event-loop thread.
 */
public final class Gateway implements UdpSender {
    private static final long BROADCAST_MAC = MacAddress.BROADCAST.bits();

    private final MacAddress mac;
    private final Ipv4Address ip;
    private final Ipv4Subnet subnet;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    private final GatewayCounters counters;
    private final ArpCache arpCache;
    private final int networkBits;
    private final int broadcastBits;
    private final Map<Integer, UdpService> udpServices = new HashMap<>();
    private final IcmpRateLimiter icmpLimiter = new IcmpRateLimiter();
    private Ipv4Forwarder forwarder;
    private int nextIdentification;
    /** Further addresses the gateway answers at (see {@link #addAddress}). */
    private int[] extraAddresses = new int[0];

    /** A gateway with the pooled allocator, fresh counters and a default {@link ArpCache}. */
    public Gateway(MacAddress mac, Ipv4Address ip, Ipv4Subnet subnet, FrameSink sink) {
        this(mac, ip, subnet, sink, PooledByteBufAllocator.DEFAULT, new GatewayCounters(), new ArpCache());
    }

    /**
     * A gateway at {@code mac}/{@code ip} on {@code subnet}, sending frames to {@code sink}, allocating them from
     * {@code alloc}.
     *
     * @throws IllegalArgumentException when {@code ip} is not a host address of {@code subnet} or {@code mac} is a group
     *                                  address
     */
    public Gateway(MacAddress mac, Ipv4Address ip, Ipv4Subnet subnet, FrameSink sink, ByteBufAllocator alloc,
                   GatewayCounters counters, ArpCache arpCache) {
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
        this.networkBits = subnet.network().bits();
        this.broadcastBits = subnet.broadcast().bits();
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
        counters.received();
        EthernetFrame eth = EthernetFrame.checked(buf, index, length).orNull();
        if (eth == null) {
            counters.drop(DropReason.ETHERNET_TRUNCATED);
            return;
        }
        long dst = eth.destination();
        if (dst != mac.bits() && dst != BROADCAST_MAC) {
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
            case EtherType.IPV4_VALUE -> receiveIpv4(eth, ingress, nowNanos);
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

    private void receiveIpv4(EthernetFrame eth, int ingress, long nowNanos) {
        ParseResult<Ipv4Packet> checked = Ipv4Packet.checked(eth);
        if (!(checked instanceof ParseResult.Ok<Ipv4Packet> ok)) {
            counters.drop(checked.error() == ParseError.TRUNCATED ? DropReason.IPV4_TRUNCATED
                    : DropReason.IPV4_MALFORMED);
            return;
        }
        Ipv4Packet packet = ok.value();
        if (!packet.verifyChecksum()) {
            counters.drop(DropReason.IPV4_BAD_CHECKSUM);
            return;
        }
        int src = packet.source();
        int dst = packet.destination();
        if (isBroadcastOrMulticast(src)) {
            // RFC 1122 3.2.1.3: a host MUST silently discard a datagram whose source is a broadcast/multicast address.
            counters.drop(DropReason.IPV4_BAD_SOURCE);
            return;
        }
        if (isLearnable(src) && arpCache.learn(src, eth.source(), nowNanos)) {
            counters.arpLearned();
        }
        boolean toBroadcast = dst == -1 || dst == broadcastBits;
        if (!owns(dst) && !toBroadcast) {
            if (!offerToForwarder(eth, packet, ingress, nowNanos)) {
                counters.drop(DropReason.IPV4_NOT_FOR_GATEWAY);
            }
            return;
        }
        if (packet.isFragment()) {
            counters.drop(DropReason.IPV4_FRAGMENT);
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
                    udp.srcPort(), new Ipv4Address(packet.destination()), dstPort, toBroadcast, udp.payload()),
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

    /**
     * Answers ICMP port unreachable unless RFC 1122 3.2.2 forbids it: "An ICMP error message MUST NOT be sent as the
     * result of receiving: ... a datagram destined to an IP broadcast or IP multicast address, a datagram sent as a
     * link-layer broadcast, a non-initial fragment, a datagram whose source address does not define a single host --
     * e.g., a zero address, a loopback address, a broadcast address, a multicast address, or a Class E address."
     * (Broadcast destinations and fragments never get here; nor do broadcast/multicast sources.)
     */
    private void sendPortUnreachable(EthernetFrame eth, Ipv4Packet packet, long nowNanos) {
        int src = packet.source();
        if (eth.destination() == BROADCAST_MAC || src == 0 || (src >>> 24) == 127 || (src >>> 28) == 0xF) {
            return;
        }
        if (!icmpLimiter.tryAcquire(nowNanos)) {
            counters.icmpErrorRateLimited();
            return;
        }
        Icmpv4Repr error = Icmpv4Repr.DestinationUnreachable.quoting(Icmpv4Packet.CODE_PORT_UNREACHABLE, 0, packet);
        Ipv4Repr ipv4 = new Ipv4Repr(ip, new Ipv4Address(src), IpProtocol.ICMP, error.bufferLength(),
                Ipv4Repr.DEFAULT_TTL, nextIdentification(), false, 0xC0 /* precedence "internetwork control", as Linux */);
        sendIpv4(MacAddress.of(eth.source()), ipv4, error);
        counters.icmpErrorSent();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The frame comes from the gateway's allocator and goes to its sink. Ownership of {@code payload} stays with the
     * caller.
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
     * exception propagates.
     */
    @Override
    public void sendUdp(MacAddress dstMac, Ipv4Address srcIp, int srcPort, Ipv4Address dstIp, int dstPort,
                        int payloadLength, UdpPayloadWriter writer) {
        Objects.requireNonNull(writer, "writer");
        UdpRepr udp = new UdpRepr(srcPort, dstPort, payloadLength);
        Ipv4Repr ipv4 = new Ipv4Repr(srcIp, dstIp, IpProtocol.UDP, udp.totalLength(), Ipv4Repr.DEFAULT_TTL,
                nextIdentification(), false, 0);
        EthernetRepr ethernet = new EthernetRepr(dstMac, mac, EtherType.IPV4);
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
        sendIpv4(MacAddress.of(eth.source()), ipv4, reply);
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
     * the frame: the caller keeps ownership of it and its indices are not moved.
     */
    public void sendTcp(MacAddress dstMac, Ipv4Address src, Ipv4Address dst, TcpRepr tcp, ByteBuf payload) {
        int payloadLength = payload.readableBytes();
        // RFC 1191 / RFC 9293 3.7.2: path MTU discovery wants DF on TCP segments; the LAN never fragments anyway.
        Ipv4Repr ipv4 = new Ipv4Repr(src, dst, IpProtocol.TCP, tcp.totalLength(), Ipv4Repr.DEFAULT_TTL,
                nextIdentification(), true, 0);
        EthernetRepr ethernet = new EthernetRepr(dstMac, mac, EtherType.IPV4);
        int length = ethernet.headerLength() + ipv4.totalLength();
        ByteBuf out = alloc.buffer(length);
        try {
            int offset = ethernet.emit(out, 0);
            offset += ipv4.emit(out, offset);
            out.setBytes(offset + tcp.headerLength(), payload, payload.readerIndex(), payloadLength);
            tcp.emit(out, offset, src.bits(), dst.bits());
            out.writerIndex(length);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        send(out);
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
    private void send(ByteBuf frame) {
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
