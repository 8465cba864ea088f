package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.tcp.IsnGenerator;
import io.userv2.stack.tcp.SegmentEmitter;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.tcp.TcpStats;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A guest in {@link NatSim}: a MAC and an address on a switch port, a TCP "kernel" made of our own
 * {@link TcpConnection}s, applications that read everything they are sent (unless paused), and inboxes for UDP and
 * ICMP. Like a real kernel it answers segments for connections it does not have with RST, unless it is frozen (then
 * it answers nothing at all).
 */
final class SimGuest {
    final NatSim sim;
    final int port;
    final MacAddress mac;
    final Ipv4Address ip;
    /** The guest's IPv6 address (SLAAC on the sim's prefix), or null for an IPv4-only guest. */
    final Ipv6Address ip6;
    final TcpConfig tcp;
    final TcpStats stats = new TcpStats();
    final IsnGenerator isn = new IsnGenerator(new byte[16]);
    final Map<TcpConnectionKey, TcpConnection> conns = new LinkedHashMap<>();
    final Map<TcpConnectionKey, ByteArrayOutputStream> received = new HashMap<>();
    final List<byte[]> udpReceived = new ArrayList<>();
    final List<String> icmpReceived = new ArrayList<>();
    /** The echo replies received, whole. */
    final List<EchoReply> echoReplies = new ArrayList<>();
    /** Bytes 4..7 of the transport header each ICMP error quoted (TCP: the sequence number). */
    final List<Long> icmpQuotedSecondWord = new ArrayList<>();
    int resetsReceivedForUnknown;
    /** A frozen guest takes frames in and never answers (a stopped VM). */
    boolean frozen;
    /** Applications stop reading (their receive buffers fill and the windows close). */
    boolean appsPaused;
    private int nextPort = 40_000;
    private int nextIdentification = 1;
    /** The guest kernel's own reassembly, for datagrams the gateway fragments. */
    private final io.userv2.stack.gateway.Ipv4Reassembler reassembler = new io.userv2.stack.gateway.Ipv4Reassembler(
            io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, new io.userv2.stack.gateway.GatewayCounters(),
            io.userv2.stack.gateway.ReassemblyLimits.defaults());
    private final SegmentEmitter emitter = this::emit;

    SimGuest(NatSim sim, int port, MacAddress mac, Ipv4Address ip, TcpConfig tcp) {
        this(sim, port, mac, ip, null, tcp);
    }

    SimGuest(NatSim sim, int port, MacAddress mac, Ipv4Address ip, Ipv6Address ip6, TcpConfig tcp) {
        this.sim = sim;
        this.port = port;
        this.mac = mac;
        this.ip = ip;
        this.ip6 = ip6;
        this.tcp = tcp;
    }

    /** Opens a connection over IPv6 to {@code dst:dstPort} from a fresh local port. */
    TcpConnection connect(Ipv6Address dst, int dstPort) {
        return open(new TcpConnectionKey(dst, dstPort, ip6, nextPort++));
    }

    /** Opens a connection to {@code dst:dstPort} from a fresh local port. */
    TcpConnection connect(Ipv4Address dst, int dstPort) {
        return connect(dst, dstPort, nextPort++);
    }

    /** Opens a connection to {@code dst:dstPort} from {@code localPort}. */
    TcpConnection connect(Ipv4Address dst, int dstPort, int localPort) {
        return open(new TcpConnectionKey(dst, dstPort, ip, localPort));
    }

    private TcpConnection open(TcpConnectionKey key) {
        TcpConnection old = conns.remove(key);
        if (old != null) {
            old.release();
        }
        TcpConnection c = TcpConnection.connect(key, tcp, sim.alloc, stats, isn.next(key, sim.now), sim.now);
        conns.put(key, c);
        received.put(key, new ByteArrayOutputStream());
        return c;
    }

    /** What the application of {@code c} has read so far. */
    byte[] receivedOn(TcpConnection c) {
        return received.get(c.key()).toByteArray();
    }

    /** Writes {@code bytes} into {@code c} as far as its send buffer takes; returns how many. */
    int send(TcpConnection c, byte[] bytes, int offset) {
        int n = Math.min(c.sendCapacity(), bytes.length - offset);
        if (n > 0) {
            c.send(NatSim.wrap(bytes).slice(offset, n));
        }
        return n;
    }

    /** Sends a RST for {@code c} with SEQ = ISS + 1 (as a guest whose connect gave up does) and forgets it. */
    void sendReset(TcpConnection c) {
        TcpConnectionKey k = c.key();
        emit(k, new TcpHeader().start(k.localPort(), k.remotePort(), TcpControl.RST, c.iss().plus(1).value()),
                io.netty.buffer.Unpooled.EMPTY_BUFFER);
        conns.remove(k).release();
    }

    /** The guest reboots: its kernel forgets every connection. */
    void forgetConnections() {
        releaseAll();
    }

    void releaseAll() {
        for (TcpConnection c : conns.values()) {
            c.release();
        }
        conns.clear();
        reassembler.close();
    }

    /** A frame from the gateway; the caller keeps it. */
    void receive(ByteBuf frame) {
        if (frozen) {
            return;
        }
        EthernetFrame eth = EthernetFrame.checked(frame, frame.readerIndex(), frame.readableBytes()).orNull();
        if (eth != null && ip6 != null && eth.payloadEtherTypeValue() == EtherType.IPV6_VALUE) {
            receive6(eth);
            return;
        }
        if (eth == null || eth.payloadEtherTypeValue() != EtherType.IPV4_VALUE) {
            return;
        }
        Ipv4Packet ip4 = Ipv4Packet.checked(eth).orNull();
        if (ip4 == null || ip4.destination() != ip.bits()) {
            return;
        }
        if (ip4.isFragment()) {
            ByteBuf whole = reassembler.offer(eth, ip4, 0, sim.now);
            if (whole != null) {
                try {
                    receive(whole);
                } finally {
                    whole.release();
                }
            }
            return;
        }
        switch (ip4.protocolNumber()) {
            case IpProtocol.TCP_NUMBER -> receiveTcp(ip4);
            case IpProtocol.UDP_NUMBER -> {
                UdpPacket udp = UdpPacket.checked(ip4.buffer(), ip4.payloadOffset(), ip4.payloadLength()).orNull();
                if (udp != null) {
                    ByteBuf p = udp.payload();
                    byte[] b = new byte[p.readableBytes()];
                    p.getBytes(p.readerIndex(), b);
                    udpReceived.add(b);
                }
            }
            case IpProtocol.ICMP_NUMBER -> {
                Icmpv4Packet icmp = Icmpv4Packet.checked(ip4).orNull();
                if (icmp != null && icmp.type() == Icmpv4Packet.TYPE_ECHO_REPLY) {
                    byte[] data = new byte[icmp.dataLength()];
                    ip4.buffer().getBytes(icmp.dataOffset(), data);
                    echoReplies.add(new EchoReply(new Ipv4Address(ip4.source()), new Ipv4Address(ip4.destination()),
                            icmp.code(), icmp.echoIdentifier(), icmp.echoSequence(), data, icmp.verifyChecksum(),
                            ip4.verifyChecksum()));
                } else if (icmp != null) {
                    icmpReceived.add("type " + icmp.type() + " code " + icmp.code() + " from "
                            + Ipv4Address.format(ip4.source()));
                    // The quote: the original IPv4 header (20 bytes here), then the transport header's first 8.
                    int quote = ip4.payloadOffset() + 8;
                    if (ip4.payloadLength() >= 8 + 28) {
                        icmpQuotedSecondWord.add(ip4.buffer().getInt(quote + 24) & 0xFFFF_FFFFL);
                    }
                }
            }
            default -> { }
        }
    }

    /** An IPv6 packet for this guest: TCP segments, and ICMPv6 errors noted as ICMP ones are. */
    private void receive6(EthernetFrame eth) {
        Ipv6Packet p = Ipv6Packet.checked(eth).orNull();
        if (p == null || !p.destination().equals(ip6)) {
            return;
        }
        if (p.protocolNumber() == IpProtocol.TCP_NUMBER) {
            TcpPacket tcpPacket = TcpPacket.checked(p.buffer(), p.payloadOffset(), p.payloadLength()).orNull();
            TcpHeader seg = new TcpHeader();
            if (tcpPacket == null || seg.parseIpv6(tcpPacket, p.sourceHigh(), p.sourceLow(), p.destinationHigh(),
                    p.destinationLow(), true) != null) {
                return;
            }
            segmentArrived(new TcpConnectionKey(p.source(), seg.srcPort(), p.destination(), seg.dstPort()), seg,
                    tcpPacket);
        } else if (p.protocolNumber() == IpProtocol.ICMPV6_NUMBER) {
            Icmpv6Packet icmp = Icmpv6Packet.checked(p).orNull();
            if (icmp != null && icmp.verifyChecksum(p) && Icmpv6Packet.isErrorType(icmp.type())) {
                icmpReceived.add("type " + icmp.type() + " code " + icmp.code() + " from " + p.source());
                // The quote, after the 8-byte ICMPv6 header: the original IPv6 header, then the transport header.
                int quote = p.payloadOffset() + 8;
                if (p.payloadLength() >= 8 + 48) {
                    icmpQuotedSecondWord.add(p.buffer().getInt(quote + 44) & 0xFFFF_FFFFL);
                }
            }
        }
    }

    private void receiveTcp(Ipv4Packet ip4) {
        TcpPacket tcpPacket = TcpPacket.checked(ip4.buffer(), ip4.payloadOffset(), ip4.payloadLength()).orNull();
        TcpHeader seg = new TcpHeader();
        if (tcpPacket == null || seg.parse(tcpPacket, ip4.source(), ip4.destination(), true) != null) {
            return;
        }
        segmentArrived(TcpConnectionKey.ofIncoming(new Ipv4Address(ip4.source()), new Ipv4Address(ip4.destination()),
                seg), seg, tcpPacket);
    }

    /** A segment for the guest's kernel: its connection's, or answered with RST. */
    private void segmentArrived(TcpConnectionKey key, TcpHeader seg, TcpPacket tcpPacket) {
        TcpConnection c = conns.get(key);
        if (c != null) {
            c.process(seg, tcpPacket.payload(), sim.now);
            return;
        }
        if (seg.control() == TcpControl.RST) {
            return;
        }
        // No such connection (rebooted): RFC 9293 3.10.7.1, answer with RST as a real kernel does.
        TcpHeader rst = new TcpHeader();
        if (TcpConnection.resetFor(seg, rst)) {
            resetsReceivedForUnknown++;
            emit(key, rst, io.netty.buffer.Unpooled.EMPTY_BUFFER);
        }
    }

    /** The guest's applications read, and its kernel sends what is due; true when anything happened. */
    boolean run(long now) {
        if (frozen) {
            return false;
        }
        boolean any = false;
        for (TcpConnection c : List.copyOf(conns.values())) {
            if (!appsPaused && c.readableBytes() > 0) {
                ByteBuf in = c.recv(c.readableBytes());
                byte[] b = new byte[in.readableBytes()];
                in.readBytes(b);
                in.release();
                received.get(c.key()).writeBytes(b);
                any = true;
            }
            if (c.pollAt() - now <= 0) {
                c.dispatch(now, emitter);
                any = true;
            }
        }
        return any;
    }

    long pollAt() {
        long next = Long.MAX_VALUE;
        if (frozen) {
            return next;
        }
        for (TcpConnection c : conns.values()) {
            long d = c.pollAt();
            if (d - next < 0) {
                next = d;
            }
        }
        return next;
    }

    /** An echo reply as the guest received it, with whether its ICMP and IPv4 checksums verified. */
    record EchoReply(Ipv4Address from, Ipv4Address to, int code, int identifier, int sequence, byte[] data,
            boolean icmpChecksumOk, boolean ipChecksumOk) {
    }

    /** Sends an ICMP echo request to {@code dst} (in fragments of at most 1500 bytes when it is larger). */
    void ping(Ipv4Address dst, int identifier, int sequence, byte[] data) {
        ByteBuf d = io.netty.buffer.Unpooled.buffer(8 + data.length);
        new io.userv2.stack.wire.Icmpv4Repr.EchoRequest(identifier, sequence, NatSim.wrap(data)).emit(d, 0);
        d.writerIndex(8 + data.length);
        byte[] message = new byte[d.readableBytes()];
        d.readBytes(message);
        sendIcmp(dst, message);
    }

    /** Sends {@code message} as the payload of an IPv4 packet with protocol ICMP, as it is (checksum included). */
    void sendIcmp(Ipv4Address dst, byte[] message) {
        sendIp(dst, IpProtocol.ICMP, message);
    }

    /** Sends one UDP datagram to {@code dst:dstPort}, in fragments of at most 1500 bytes when it is larger. */
    void sendUdp(int srcPort, Ipv4Address dst, int dstPort, byte[] payload) {
        UdpRepr udp = new UdpRepr(srcPort, dstPort, payload.length);
        byte[] datagram = new byte[udp.totalLength()];
        ByteBuf d = NatSim.wrap(datagram);
        d.setBytes(udp.headerLength(), payload);
        udp.emit(d, 0, ip.bits(), dst.bits());
        sendIp(dst, IpProtocol.UDP, datagram);
    }

    /** Sends {@code datagram} to {@code dst}, in fragments of at most 1500 bytes when it is larger. */
    private void sendIp(Ipv4Address dst, IpProtocol protocol, byte[] datagram) {
        int id = nextIdentification++;
        int perFragment = (1500 - 20) & ~7;
        for (int at = 0; at < datagram.length; at += perFragment) {
            int n = Math.min(perFragment, datagram.length - at);
            boolean more = at + n < datagram.length;
            Ipv4Repr ipv4 = new Ipv4Repr(ip, dst, protocol, n, 64, id, false, 0);
            EthernetRepr eth = new EthernetRepr(NatSim.GATEWAY_MAC, mac, EtherType.IPV4);
            ByteBuf out = io.netty.buffer.Unpooled.buffer(14 + 20 + n);
            int offset = eth.emit(out, 0);
            ipv4.emitFragment(out, offset, at, more);
            out.setBytes(offset + 20, datagram, at, n);
            out.writerIndex(14 + 20 + n);
            sim.fromGuest(this, out);
        }
    }

    private void emit(TcpConnectionKey key, TcpHeader seg, ByteBuf payload) {
        if (key.isIpv6()) {
            emit6(key, seg, payload);
            return;
        }
        try {
            Ipv4Repr ipv4 = new Ipv4Repr(ip, key.remoteAddress(), IpProtocol.TCP, seg.totalLength(), 64, 1, true, 0);
            ByteBuf out = header(key.remoteAddress(), ipv4);
            int offset = 14 + ipv4.headerLength();
            out.setBytes(offset + seg.headerLength(), payload, payload.readerIndex(), payload.readableBytes());
            seg.emit(out, offset, ip.bits(), key.remoteAddress().bits());
            sim.fromGuest(this, out);
        } finally {
            payload.release();
        }
    }

    /** A segment over IPv6, from the guest's IPv6 address to the key's remote side (the gateway's address). */
    private void emit6(TcpConnectionKey key, TcpHeader seg, ByteBuf payload) {
        try {
            Ipv6Address dst = key.remoteIpv6();
            int length = 14 + 40 + seg.totalLength();
            ByteBuf out = io.netty.buffer.Unpooled.buffer(length);
            int offset = new EthernetRepr(NatSim.GATEWAY_MAC, mac, EtherType.IPV6).emit(out, 0);
            Ipv6Repr.writeHeader(out, offset, ip6.high(), ip6.low(), dst.high(), dst.low(), IpProtocol.TCP_NUMBER,
                    seg.totalLength(), 64, 0, 0);
            offset += 40;
            out.setBytes(offset + seg.headerLength(), payload, payload.readerIndex(), payload.readableBytes());
            seg.emitIpv6(out, offset, ip6.high(), ip6.low(), dst.high(), dst.low());
            out.writerIndex(length);
            sim.fromGuest(this, out);
        } finally {
            payload.release();
        }
    }

    /** A frame buffer with Ethernet and IPv4 headers written, sized for the whole packet. */
    private ByteBuf header(Ipv4Address dst, Ipv4Repr ipv4) {
        EthernetRepr eth = new EthernetRepr(NatSim.GATEWAY_MAC, mac, EtherType.IPV4);
        int length = eth.headerLength() + ipv4.totalLength();
        ByteBuf out = io.netty.buffer.Unpooled.buffer(length);
        int offset = eth.emit(out, 0);
        ipv4.emit(out, offset);
        out.writerIndex(length);
        return out;
    }
}
