package io.userv2.bench.stack.dhcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.dhcp.DhcpConfig;
import io.userv2.stack.dhcp.DhcpCounters;
import io.userv2.stack.dhcp.DhcpServer;
import io.userv2.stack.dhcp.LeaseStore;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpPacket;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpRepr;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Complete DHCP handshakes per second through a {@link DhcpServer} bound to a {@link Gateway}: the benchmark plays
 * the clients, puts real Ethernet/IPv4/UDP/DHCP frames into {@link Gateway#receive} (which parses the headers, checks
 * the UDP checksum and delivers to port 67) and takes the replies from the gateway's {@code FrameSink} (built in
 * pooled buffers from the gateway's allocator; the benchmark reads the message type and yiaddr and releases them).
 * One operation is one DISCOVER -> OFFER -> REQUEST (selecting, with Server Identifier and Requested IP Address) ->
 * ACK exchange, 2 frames in and 2 out, on the default Lima network (192.168.104.0/24, pool .3 to .254, 1 h leases),
 * with {@link LeaseStore#NONE} (no disk) and a virtual clock advancing 1 µs per operation.
 *
 * <p>{@code client} selects who is asking:
 * <ul>
 *   <li>{@code returning}: a fixed population of {@value #RETURNING_CLIENTS} MACs taking turns, each already holding
 *       an active lease (a VM rebooting): the server offers the client's current address and re-binds it. The lease
 *       table holds {@value #RETURNING_CLIENTS} leases.</li>
 *   <li>{@code new}: a MAC never seen before on every operation, which also sends a DHCPRELEASE (unicast from its
 *       new address) after the ACK, as a VM shutting down does; so 3 frames in per operation. Once the 252-address
 *       pool has been handed out (after the first 252 operations) every DISCOVER finds no never-used address and
 *       takes over the association released longest ago, so this is the steady state of a full /24 with VMs coming
 *       and going; the table holds 252 leases.</li>
 * </ul>
 * The lease table hands its whole (sorted) lease list to the {@link LeaseStore} after every ACK and RELEASE, also
 * with {@link LeaseStore#NONE}, so the cost per handshake grows with the number of leases; that is why the population
 * is stated. {@link LeaseStore#NONE} reports every snapshot stored from inside {@code save}, so no ACK is ever held
 * waiting for the store here (the daemon's lease file writes on a background thread, which this does not measure).
 *
 * <p>The client side is cheap but not free: each frame is a pre-built template in which the benchmark patches the
 * MAC (Ethernet source and chaddr), xid, Requested IP / ciaddr (and the IPv4 header for the RELEASE), then recomputes
 * the UDP checksum (about 300 bytes). Setup checks one handshake field by field with {@link DhcpRepr#parse}; every
 * operation checks the reply types and that the ACK confirms the offered address; tear-down checks the server's
 * counters (one OFFER and one ACK per handshake, no NAK, nothing dropped, and one release per handshake for
 * {@code new}) and that the gateway dropped nothing.
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -o -q package -DskipTests -pl bench -am
 * java -jar bench/target/userv2-benchmarks.jar DhcpServerBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc
 * </pre>
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes per handshake.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class DhcpServerBenchmark {
    /** Size of the {@code returning} population. */
    static final int RETURNING_CLIENTS = 128;
    static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Ipv4Address GW_IP = Ipv4Address.parse("192.168.104.2");
    static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    /** Client MACs are this (locally administered, unicast) plus a 24-bit client number. */
    static final long MAC_BASE = 0x0255_5500_0000L;
    /** Where the DHCP message starts in the client frames (Ethernet 14 + IPv4 20 + UDP 8). */
    static final int DHCP = 42;
    static final int UDP = 34;
    static final long START_NANOS = 5_000_000_000L;
    static final long WALL_MILLIS = 1_767_225_600_000L;

    /** {@code returning} (a known MAC re-acquiring its lease) or {@code new} (a fresh MAC, released after the ACK). */
    @Param({"returning", "new"})
    public String client;

    private final ArrayDeque<ByteBuf> sent = new ArrayDeque<>();
    private Gateway gateway;
    private DhcpServer server;
    private boolean fresh;
    private long now = START_NANOS;
    private long clientNumber;
    private int xid = 0x1000;
    private long handshakes;

    private ByteBuf discover;
    private ByteBuf request;
    private ByteBuf release;
    private UdpRepr discoverUdp;
    private UdpRepr requestUdp;
    private UdpRepr releaseUdp;
    private int requestedIpOffset;

    /** The gateway with the DHCP server, the frame templates, and one handshake checked field by field. */
    @Setup(Level.Trial)
    public void setUp() {
        fresh = switch (client) {
            case "returning" -> false;
            case "new" -> true;
            default -> throw new IllegalArgumentException("client must be returning or new, got " + client);
        };
        gateway = new Gateway(GW_MAC, GW_IP, SUBNET, sent::add);
        DhcpConfig config = DhcpConfig.builder(SUBNET, GW_IP).build();
        server = DhcpServer.attach(gateway, config, LeaseStore.NONE, now, WALL_MILLIS);

        MacAddress placeholder = MacAddress.of(MAC_BASE);
        Ipv4Address somewhere = Ipv4Address.parse("192.168.104.200");
        DhcpRepr d = DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).xid(xid).chaddr(placeholder)
                .messageType(DhcpMessageType.DISCOVER).hostname("lima-vm").build();
        discoverUdp = new UdpRepr(DhcpServer.CLIENT_PORT, DhcpServer.SERVER_PORT, d.encodedLength());
        discover = frame(placeholder, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, discoverUdp, d);
        DhcpRepr r = DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).xid(xid).chaddr(placeholder)
                .messageType(DhcpMessageType.REQUEST).serverIdentifier(GW_IP).requestedIp(somewhere)
                .hostname("lima-vm").build();
        requestUdp = new UdpRepr(DhcpServer.CLIENT_PORT, DhcpServer.SERVER_PORT, r.encodedLength());
        request = frame(placeholder, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, requestUdp, r);
        requestedIpOffset = optionValue(request, DHCP, 50);
        if (request.getInt(requestedIpOffset) != somewhere.bits()) {
            throw new IllegalStateException("option 50 not found where expected");
        }
        DhcpRepr rel = DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).xid(xid).chaddr(placeholder).ciaddr(somewhere)
                .messageType(DhcpMessageType.RELEASE).serverIdentifier(GW_IP).build();
        releaseUdp = new UdpRepr(DhcpServer.CLIENT_PORT, DhcpServer.SERVER_PORT, rel.encodedLength());
        release = frame(placeholder, GW_MAC, somewhere, GW_IP, releaseUdp, rel);

        checkOneHandshake(config);
    }

    /** Builds one client frame (direct buffer, like a port's), UDP checksum included. */
    private static ByteBuf frame(MacAddress src, MacAddress dst, Ipv4Address srcIp, Ipv4Address dstIp, UdpRepr udp,
                                 DhcpRepr m) {
        Ipv4Repr ipv4 = new Ipv4Repr(srcIp, dstIp, IpProtocol.UDP, udp.totalLength(), 64);
        ByteBuf f = Unpooled.directBuffer(14 + ipv4.totalLength());
        int offset = new EthernetRepr(dst, src, EtherType.IPV4).emit(f, 0);
        offset += ipv4.emit(f, offset);
        if (offset != UDP) {
            throw new IllegalStateException("unexpected header length " + offset);
        }
        m.emit(f, DHCP);
        udp.emit(f, UDP, srcIp.bits(), dstIp.bits());
        f.writerIndex(14 + ipv4.totalLength());
        return f;
    }

    /** Absolute index of the value of option {@code code} in the DHCP message at {@code dhcp}. */
    private static int optionValue(ByteBuf f, int dhcp, int code) {
        int i = dhcp + 240;
        while (i < f.writerIndex()) {
            int c = f.getUnsignedByte(i);
            if (c == 0) {
                i++;
                continue;
            }
            if (c == 255) {
                break;
            }
            if (c == code) {
                return i + 2;
            }
            i += 2 + f.getUnsignedByte(i + 1);
        }
        throw new IllegalStateException("no option " + code);
    }

    /** One handshake with every reply parsed in full: OFFER and ACK for the client, from us, with one address. */
    private void checkOneHandshake(DhcpConfig config) {
        long mac = nextMac();
        sendDiscover(mac);
        DhcpRepr offer = takeParsed();
        sendRequest(mac, offer.yiaddr().bits());
        DhcpRepr ack = takeParsed();
        if (offer.messageType() != DhcpMessageType.OFFER || ack.messageType() != DhcpMessageType.ACK
                || offer.chaddr().bits() != mac || ack.chaddr().bits() != mac
                || !offer.yiaddr().equals(config.poolStart()) || !ack.yiaddr().equals(offer.yiaddr())
                || !GW_IP.equals(ack.serverIdentifier()) || ack.leaseTime() != config.leaseSeconds()
                || !sent.isEmpty()) {
            throw new IllegalStateException("unexpected handshake: " + offer + " / " + ack);
        }
        if (fresh) {
            sendRelease(mac, ack.yiaddr().bits());
        }
        handshakes++;
        if (!sent.isEmpty() || server.lease(MacAddress.of(mac)) == null) {
            throw new IllegalStateException("no lease after the handshake: " + server);
        }
    }

    private DhcpRepr takeParsed() {
        ByteBuf f = sent.poll();
        if (f == null) {
            throw new IllegalStateException("no reply; " + server.counters() + " " + gateway.counters());
        }
        try {
            int dhcp = 14 + (f.getUnsignedByte(14) & 0x0F) * 4 + 8;
            return DhcpRepr.parse(DhcpPacket.checked(f, dhcp, f.writerIndex() - dhcp).orNull()).orNull();
        } finally {
            f.release();
        }
    }

    private long nextMac() {
        long n = clientNumber++;
        return MAC_BASE | (fresh ? n & 0xFF_FFFF : n % RETURNING_CLIENTS);
    }

    private void sendDiscover(long mac) {
        patchClient(discover, mac);
        discoverUdp.emit(discover, UDP, 0, -1);
        gateway.receive(discover, now);
    }

    private void sendRequest(long mac, int ip) {
        patchClient(request, mac);
        request.setInt(requestedIpOffset, ip);
        requestUdp.emit(request, UDP, 0, -1);
        gateway.receive(request, now);
    }

    private void sendRelease(long mac, int ip) {
        patchClient(release, mac);
        release.setInt(DHCP + 12, ip); // ciaddr
        Ipv4Address from = new Ipv4Address(ip);
        new Ipv4Repr(from, GW_IP, IpProtocol.UDP, releaseUdp.totalLength(), 64).emit(release, 14);
        releaseUdp.emit(release, UDP, ip, GW_IP.bits());
        gateway.receive(release, now);
    }

    private void patchClient(ByteBuf f, long mac) {
        MacAddress.write(f, 6, mac);
        MacAddress.write(f, DHCP + 28, mac);
        f.setInt(DHCP + 4, ++xid);
    }

    /** Takes the next reply, checks its type (option 53 is emitted first) and returns its yiaddr. */
    private int take(int expectedType) {
        ByteBuf f = sent.poll();
        if (f == null) {
            throw new IllegalStateException("no reply; " + server.counters() + " " + gateway.counters());
        }
        try {
            int dhcp = 14 + (f.getUnsignedByte(14) & 0x0F) * 4 + 8;
            if (f.getUnsignedByte(dhcp + 240) != 53 || f.getUnsignedByte(dhcp + 242) != expectedType) {
                throw new IllegalStateException("expected DHCP message type " + expectedType);
            }
            return f.getInt(dhcp + 16);
        } finally {
            f.release();
        }
    }

    /** One client's DISCOVER -> OFFER -> REQUEST -> ACK (then RELEASE for {@code new}). */
    @Benchmark
    public int handshake() {
        long mac = nextMac();
        now += 1_000;
        sendDiscover(mac);
        int offered = take(2); // OFFER
        sendRequest(mac, offered);
        int acked = take(5); // ACK
        if (acked != offered) {
            throw new IllegalStateException("ACK for " + Ipv4Address.format(acked) + " after OFFER of "
                    + Ipv4Address.format(offered));
        }
        if (fresh) {
            sendRelease(mac, acked);
        }
        handshakes++;
        return acked;
    }

    /** Counters agree with the handshakes done; frees the templates and any stray reply. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            DhcpCounters c = server.counters();
            if (c.offers() != handshakes || c.acks() != handshakes || c.naks() != 0 || c.droppedTotal() != 0
                    || c.releases() != (fresh ? handshakes : 0) || gateway.counters().droppedTotal() != 0
                    || !sent.isEmpty()) {
                throw new IllegalStateException(handshakes + " handshakes but " + c + "; " + gateway.counters());
            }
        } finally {
            sent.forEach(ByteBuf::release);
            discover.release();
            request.release();
            release.release();
        }
    }
}
