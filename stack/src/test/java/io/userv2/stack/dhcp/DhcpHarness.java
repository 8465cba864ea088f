package io.userv2.stack.dhcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpPacket;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpRepr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;

/**
 * A gateway with a DHCP server on it, a virtual clock, a shared lease store (synchronous unless another is given) and helpers to play a client: the tests
 * put frames in and read the frames the gateway sends back, so every exchange goes through the real wire codecs.
 */
final class DhcpHarness {
    static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Ipv4Address GW_IP = Ipv4Address.parse("192.168.104.2");
    static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    static final MacAddress VM1 = MacAddress.parse("52:55:55:12:34:56");
    static final MacAddress VM2 = MacAddress.parse("52:55:55:00:00:02");
    static final MacAddress VM3 = MacAddress.parse("52:55:55:00:00:03");
    /** The engine's monotonic clock at the start (any origin). */
    static final long T0 = 5_000_000_000L;
    /** The wall clock at the start: 2026-01-01T00:00:00Z. */
    static final long WALL0 = 1_767_225_600_000L;
    static final long SECOND = 1_000_000_000L;

    static Ipv4Address ip(String s) {
        return Ipv4Address.parse(s);
    }

    /**
     * A reply as the client sees it; the Ethernet/IPv4/UDP layers were checked by pcap4j. {@code bytes} is the UDP
     * payload as sent, for checks that do not trust our own codec.
     */
    record Reply(MacAddress ethDst, Ipv4Address ipSrc, Ipv4Address ipDst, int srcPort, int dstPort, DhcpRepr dhcp,
                 byte[] bytes) {
        DhcpMessageType type() {
            return dhcp.messageType();
        }

        /**
         * The value of every instance of option {@code code} in the reply's options field, in order, read straight
         * from the bytes (RFC 2132 section 2: code, length, value; Pad 0 and End 255 have no length); the server
         * never uses Option Overload, so sname and file are not looked at.
         */
        List<byte[]> rawOption(int code) {
            List<byte[]> found = new ArrayList<>();
            assertEquals(0x63825363, java.nio.ByteBuffer.wrap(bytes, 236, 4).getInt(), "magic cookie");
            int i = 240;
            while (i < bytes.length) {
                int c = bytes[i] & 0xFF;
                if (c == 0) {
                    i++;
                    continue;
                }
                if (c == 255) {
                    return found;
                }
                int len = bytes[i + 1] & 0xFF;
                if (c == code) {
                    found.add(java.util.Arrays.copyOfRange(bytes, i + 2, i + 2 + len));
                }
                i += 2 + len;
            }
            throw new AssertionError("options without End");
        }
    }

    /** Records the lease listener's calls as short strings. */
    static final class Events implements LeaseListener, DhcpEventListener {
        final List<String> log = new ArrayList<>();

        @Override
        public void onLease(Lease l) {
            log.add("lease " + l.ip() + " " + l.hostname());
        }

        @Override
        public void onRelease(Lease l) {
            log.add("release " + l.ip());
        }

        @Override
        public void onExpire(Lease l) {
            log.add("expire " + l.ip());
        }

        @Override
        public void poolExhausted(MacAddress client) {
            log.add("exhausted " + client);
        }

        @Override
        public void declined(MacAddress client, Ipv4Address address) {
            log.add("declined " + address);
        }

        @Override
        public void nak(MacAddress client, Ipv4Address requested, String reason) {
            log.add("nak " + requested + ": " + reason);
        }

        @Override
        public void leaseDiscarded(Lease lease, String reason) {
            log.add("discarded " + lease.ip() + ": " + reason);
        }

        @Override
        public void storeFailed(RuntimeException error) {
            log.add("store failed: " + error.getMessage());
        }
    }

    final Deque<ByteBuf> sent = new ArrayDeque<>();
    final Gateway gateway;
    /** What is durable ("on disk"). */
    final InMemoryLeaseStore store;
    /** What the server saves to: {@link #store} itself, or a store in front of it. */
    final LeaseStore saveTo;
    final DhcpConfig config;
    final Events events = new Events();
    DhcpServer server;
    long now = T0;
    int xid = 0x1000;

    DhcpHarness() {
        this(DhcpConfig.builder(SUBNET, GW_IP).searchDomains(List.of("lima.test", "corp.test")).build(),
                new InMemoryLeaseStore());
    }

    DhcpHarness(DhcpConfig config, InMemoryLeaseStore store) {
        this(config, store, store);
    }

    /** A server saving to {@code saveTo}, which keeps what is durable in {@code store}. */
    DhcpHarness(DhcpConfig config, InMemoryLeaseStore store, LeaseStore saveTo) {
        this.config = config;
        this.store = store;
        this.saveTo = saveTo;
        this.gateway = new Gateway(GW_MAC, config.serverIp(), config.subnet(), sent::add,
                io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, new GatewayCounters(), new ArpCache());
        start();
    }

    /** (Re)creates the server on the same gateway and store, as a daemon restart would; wall time follows now. */
    void start() {
        gateway.unbindUdp(DhcpServer.SERVER_PORT);
        server = DhcpServer.attach(gateway, config, saveTo, now, WALL0 + (now - T0) / 1_000_000L);
        server.setEventListener(events);
        server.setLeaseListener(events, now);
    }

    void advanceSeconds(long s) {
        now += s * SECOND;
    }

    /** A client message builder with a fresh xid. */
    DhcpRepr.Builder message(MacAddress mac, DhcpMessageType type) {
        return DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).xid(++xid).chaddr(mac).messageType(type);
    }

    /** Broadcasts {@code m} as a client without an address does: 0.0.0.0:68 > 255.255.255.255:67. */
    void broadcast(DhcpRepr m) {
        send(m.chaddr(), MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, encode(m));
    }

    /** Unicasts {@code m} from {@code from} to the server, as a RENEWING client does. */
    void unicast(DhcpRepr m, Ipv4Address from) {
        send(m.chaddr(), GW_MAC, from, config.serverIp(), encode(m));
    }

    static byte[] encode(DhcpRepr m) {
        ByteBuf b = Unpooled.buffer(m.encodedLength());
        b.writerIndex(m.emit(b, 0));
        return HexLiteral.toArray(b);
    }

    /** Sends a UDP 68 > 67 frame carrying {@code payload} (any bytes). */
    void send(MacAddress srcMac, MacAddress dstMac, Ipv4Address src, Ipv4Address dst, byte[] payload) {
        UdpRepr udp = new UdpRepr(DhcpServer.CLIENT_PORT, DhcpServer.SERVER_PORT, payload.length);
        Ipv4Repr ipv4 = new Ipv4Repr(src, dst, IpProtocol.UDP, udp.totalLength(), 64);
        ByteBuf frame = Unpooled.directBuffer(14 + ipv4.totalLength());
        int offset = new EthernetRepr(dstMac, srcMac, EtherType.IPV4).emit(frame, 0);
        offset += ipv4.emit(frame, offset);
        frame.setBytes(offset + 8, payload);
        udp.emit(frame, offset, src.bits(), dst.bits());
        frame.writerIndex(14 + ipv4.totalLength());
        try {
            gateway.receive(frame, now);
        } finally {
            frame.release();
        }
    }

    /** The next reply, decoded; the Ethernet, IPv4 and UDP layers must satisfy pcap4j (checksums included). */
    Reply take() {
        ByteBuf frame = sent.remove();
        try {
            byte[] bytes = HexLiteral.toArray(frame);
            EthernetPacket eth = EthernetPacket.newPacket(bytes, 0, bytes.length);
            IpV4Packet ip = eth.get(IpV4Packet.class);
            assertTrue(ip.getHeader().hasValidChecksum(false), "IPv4 checksum");
            UdpPacket udp = eth.get(UdpPacket.class);
            assertTrue(udp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false),
                    "UDP checksum");
            assertEquals(GW_MAC.toString(), eth.getHeader().getSrcAddr().toString());
            Ipv4Packet ours = Ipv4Packet.checked(EthernetFrame.checked(frame).orNull()).orNull();
            int udpOffset = ours.payloadOffset();
            DhcpPacket dhcp = DhcpPacket.checked(frame, udpOffset + 8, ours.payloadLength() - 8).orNull();
            DhcpRepr repr = DhcpRepr.parse(dhcp).orNull();
            byte[] payload = udp.getPayload().getRawData();
            return new Reply(MacAddress.of(EthernetFrame.checked(frame).orNull().destination()),
                    new Ipv4Address(ours.source()), new Ipv4Address(ours.destination()),
                    frame.getUnsignedShort(udpOffset), frame.getUnsignedShort(udpOffset + 2), repr, payload);
        } catch (IllegalRawDataException e) {
            throw new AssertionError(e);
        } finally {
            frame.release();
        }
    }

    /** Asserts nothing was sent. */
    void assertSilent() {
        assertTrue(sent.isEmpty(), "unexpected reply");
    }

    /** DISCOVER then REQUEST (selecting) and return the ACK. */
    Reply lease(MacAddress mac, String hostname) {
        broadcast(message(mac, DhcpMessageType.DISCOVER).hostname(hostname).build());
        Reply offer = take();
        assertEquals(DhcpMessageType.OFFER, offer.type());
        broadcast(message(mac, DhcpMessageType.REQUEST).serverIdentifier(config.serverIp())
                .requestedIp(offer.dhcp().yiaddr()).hostname(hostname).build());
        Reply ack = take();
        assertEquals(DhcpMessageType.ACK, ack.type(), () -> "" + ack.dhcp());
        return ack;
    }
}
