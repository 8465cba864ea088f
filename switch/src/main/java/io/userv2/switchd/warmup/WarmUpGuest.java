package io.userv2.switchd.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.ArpOperation;
import io.userv2.stack.wire.ArpPacket;
import io.userv2.stack.wire.ArpRepr;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv4Repr;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The guest of the {@link WarmUp}: a Linux-like TCP client reduced to what a lossless local link needs, speaking the
 * QEMU stream protocol (a 4-byte big-endian length before each Ethernet frame) on one connection to the warm-up's own
 * switch. It opens one connection at a time to the gateway's host alias, sends data in segments of a chosen size
 * within the window the gateway advertises, or takes the data the gateway sends and acknowledges every second
 * segment, as a guest kernel would, and closes with FINs both ways, or with a reset and a late segment after it (as
 * Linux does when an application closes a socket with data unread). Every {@value #CHATTER_EVERY} segments it also
 * sends one of the other frames a guest sends (ARP, ICMP echo, DNS, IPv6 router solicitation) and answers ARP
 * requests for its address. It can take another MAC and address ({@link #moveTo}), as a new VM on the LAN, and
 * another connection ({@link #reconnect}), as a VM that restarts. No
 * retransmission: frames on a unix socket are not lost, and a flow that stops moving ends the warm-up
 * ({@link Stalled}). Owns its connection and buffers; one thread uses it.
 */
final class WarmUpGuest implements AutoCloseable {
    /** The guest's first MAC (locally administered); {@link #moveTo} takes others. */
    static final MacAddress MAC = MacAddress.parse("52:55:55:77:61:72");
    /** The unscaled window the guest advertises and its scale: 1 MiB, under a port's egress bound (4 MiB). */
    private static final int WINDOW = 8192;
    private static final int WINDOW_SCALE = 7;
    /** Bytes the timestamps option takes in each segment, with its padding. */
    private static final int TIMESTAMPS_LENGTH = 12;
    /** Don't Fragment, in the IPv4 header's flags and fragment offset, as Linux sets it on TCP. */
    private static final int DF = 0x4000;
    /** Where the TCP header starts in the guest's frames: after Ethernet and a 20-byte IPv4 header. */
    static final int TCP_OFFSET = 14 + 20;
    /** Segments between two frames of {@link #chatter}. */
    private static final int CHATTER_EVERY = 32;
    private static final byte[] PING_DATA = new byte[56];
    /** A query for the gateway's own name, which it answers itself. */
    private static final byte[] DNS_QUERY = dnsQuery("gateway.lima.internal.");
    /** How long a flow may go without progress before the warm-up gives up. */
    private static final long STALL_NANOS = 1_000_000_000L;

    /** Thrown when the switch stopped answering within {@link #STALL_NANOS}, or reset the flow. */
    static final class Stalled extends IOException {
        Stalled(String message) {
            super(message);
        }
    }

    /** One TCP connection from the guest; every field is the guest's view. */
    static final class Flow {
        final int localPort;
        final int remotePort;
        int sndUna;
        int sndNxt;
        int sndWnd;
        int sndShift;
        int peerMss;
        int rcvNxt;
        int tsRecent;
        /** Whether the gateway's SYN-ACK took up timestamps (RFC 7323): only then do segments carry them. */
        boolean timestamps;
        boolean established;
        boolean reset;
        boolean finReceived;
        long bytesReceived;
        long segmentsReceived;
        long segmentsSent;
        long bytesSent;
        int unacked;

        Flow(int localPort, int remotePort) {
            this.localPort = localPort;
            this.remotePort = remotePort;
        }
    }

    private SocketChannel channel;
    /** Hands the switch's event loop a task from this thread (see {@link #chatter}). */
    private final Runnable nudge;
    private final Selector selector;
    private final MacAddress gatewayMac;
    private MacAddress mac = MAC;
    private int address;
    private NdpOptions solicitationOptions = solicitationOptions(MAC);
    private final int gatewayAddress;
    private final ByteBuf out = Unpooled.directBuffer(1 << 20);
    private final ByteBuf in;
    private final TcpHeader tx = new TcpHeader();
    private final TcpHeader rx = new TcpHeader();
    private final TcpPacket packet = TcpPacket.reusable();
    private final long deadline;
    private Flow flow;
    /** When a byte was last written or the flow last moved. */
    private long lastMove;
    private int ipId;
    private int nextPort = 40_000;
    private int chatter;

    /**
     * @param channel a connected stream socket to the switch (made non-blocking here; closed by {@link #close})
     * @param maxFrame the largest frame the switch sends
     * @param deadline {@link System#nanoTime()} after which every wait fails
     */
    WarmUpGuest(SocketChannel channel, MacAddress gatewayMac, Ipv4Address address, Ipv4Address gatewayAddress,
            int maxFrame, long deadline, Runnable nudge) throws IOException {
        this.channel = channel;
        this.nudge = nudge;
        this.gatewayMac = gatewayMac;
        this.address = address.bits();
        this.gatewayAddress = gatewayAddress.bits();
        this.deadline = deadline;
        this.in = Unpooled.directBuffer(4 * (maxFrame + 4));
        channel.configureBlocking(false);
        selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
    }

    /**
     * Goes on over {@code next}, a new connection to the switch (so a new port, whose first frames take the port's
     * first-time paths), and closes the current one (whose port then closes, aborting what its flows left), as a VM
     * that restarts. Call between flows: whatever the old connection still held is dropped.
     */
    void reconnect(SocketChannel next) throws IOException {
        next.configureBlocking(false);
        next.register(selector, SelectionKey.OP_READ);
        SocketChannel old = channel;
        channel = next;
        in.clear();
        out.clear();
        old.close();
    }

    /**
     * From now on the guest is another VM: frames come from {@code newMac} and {@code newAddress}, so that the switch
     * learns a new address and the gateway a new neighbour, as when a VM joins.
     */
    void moveTo(MacAddress newMac, Ipv4Address newAddress) {
        mac = newMac;
        address = newAddress.bits();
        solicitationOptions = solicitationOptions(newMac);
    }

    private static NdpOptions solicitationOptions(MacAddress mac) {
        return new NdpOptions(mac, null, NdpOptions.ABSENT, List.of(), List.of(), List.of());
    }

    /** Opens a connection to the host alias at {@code port}, announcing {@code mss}; returns once established. */
    Flow connect(int port, int mss) throws IOException {
        flow = new Flow(nextPort++, port);
        int isn = ThreadLocalRandom.current().nextInt();
        flow.sndUna = isn;
        flow.sndNxt = SeqNumber.add(isn, 1);
        tx.start(flow.localPort, port, TcpControl.SYN, isn).setWindow(65535).setMaxSegmentSize(mss)
                .setSackPermitted(true).setTimestamps(now(), 0).setWindowScale(WINDOW_SCALE);
        segment(0);
        flush();
        lastMove = System.nanoTime();
        while (!flow.established) {
            await();
        }
        ack();
        flush();
        return flow;
    }

    /**
     * Sends {@code count} data segments of {@code size} bytes (at most the gateway's MSS) on {@code f}, within the
     * window it advertises, and waits until they are all acknowledged.
     */
    void upload(Flow f, int count, int size) throws IOException {
        int payload = Math.min(size, f.peerMss - (f.timestamps ? TIMESTAMPS_LENGTH : 0));
        long sent = 0;
        while (sent < count || f.sndUna != f.sndNxt) {
            while (sent < count && SeqNumber.diff(f.sndNxt, f.sndUna) + payload <= f.sndWnd) {
                tx.start(f.localPort, f.remotePort, sent % 8 == 7 ? TcpControl.PSH : TcpControl.NONE, f.sndNxt)
                        .setAck(f.rcvNxt).setWindow(WINDOW).setPayloadLength(payload);
                stamp(f);
                segment(payload);
                f.sndNxt = SeqNumber.add(f.sndNxt, payload);
                f.segmentsSent++;
                f.bytesSent += payload;
                sent++;
                if (sent % CHATTER_EVERY == 0) {
                    chatter();
                }
                if (out.writableBytes() < payload + 128) {
                    flush();
                }
            }
            flush();
            await();
        }
    }

    /** Takes data on {@code f} until {@code bytes} have arrived (or the host closed), acknowledging as it goes. */
    void download(Flow f, long bytes) throws IOException {
        lastMove = System.nanoTime();
        long chatterAt = CHATTER_EVERY;
        while (f.bytesReceived < bytes && !f.finReceived) {
            await();
            if (f.unacked > 0) {
                ack(); // what is left of a batch: the sender waits for no delayed ACK here
            }
            if (f.segmentsReceived >= chatterAt) {
                chatterAt = f.segmentsReceived + CHATTER_EVERY;
                chatter();
            }
            flush(); // with the ACKs sent while reading
        }
    }

    /**
     * Closes {@code f} as a guest kernel does: sends its FIN, then waits until the gateway has acknowledged it and
     * sent its own FIN (the host side's close), and acknowledges that.
     */
    void close(Flow f) throws IOException {
        tx.start(f.localPort, f.remotePort, TcpControl.FIN, f.sndNxt).setAck(f.rcvNxt).setWindow(WINDOW);
        stamp(f);
        segment(0);
        f.sndNxt = SeqNumber.add(f.sndNxt, 1);
        flush();
        lastMove = System.nanoTime();
        while (!f.finReceived || f.sndUna != f.sndNxt) {
            await();
        }
        if (f.unacked > 0) {
            ack();
        }
        flush();
    }

    /**
     * Aborts {@code f} as Linux does when an application closes a socket with data unread: a reset (with ACK), then
     * one more segment for the connection that no longer exists (a late ACK, which the gateway answers with a reset).
     * Does not wait: nothing is to come back but resets.
     */
    void reset(Flow f) throws IOException {
        tx.start(f.localPort, f.remotePort, TcpControl.RST, f.sndNxt).setAck(f.rcvNxt).setWindow(0);
        segment(0);
        tx.start(f.localPort, f.remotePort, TcpControl.NONE, f.sndNxt).setAck(f.rcvNxt).setWindow(WINDOW);
        stamp(f);
        segment(0);
        flush();
    }

    /**
     * One of the frames a guest sends besides its TCP stream, in turn: an ARP request (broadcast), an ICMP echo
     * request to the gateway, a DNS query to it over UDP, an IPv6 Router Solicitation (multicast), and a DHCP
     * DISCOVER asking for a broadcast answer (which the gateway floods, as it floods its Router Advertisements on the
     * real network), so that the compiled path has seen them too (a branch it never saw costs a recompilation when a
     * VM takes it).
     */
    private void chatter() {
        // A task from another thread wakes the loop's selector, as the API, the acceptor and the shutdown hook do on
        // the real network: its wake-up path, and the selector's locks taken from two threads, are seen too.
        nudge.run();
        switch (chatter++ % 5) {
            case 0 -> {
                ArpRepr request = ArpRepr.request(mac, new Ipv4Address(address), new Ipv4Address(gatewayAddress));
                int start = frameStart(MacAddress.BROADCAST, EtherType.ARP, request.bufferLength());
                request.emit(out, start + 14);
            }
            case 1 -> {
                ByteBuf data = Unpooled.wrappedBuffer(PING_DATA);
                Icmpv4Repr echo = new Icmpv4Repr.EchoRequest(0x7775, chatter, data);
                int start = frameStart(gatewayMac, EtherType.IPV4, 20 + echo.bufferLength());
                Ipv4Repr.writeHeader(out, start + 14, address, gatewayAddress, IpProtocol.ICMP_NUMBER,
                        20 + echo.bufferLength(), 64, ipId++ & 0xffff, DF, 0);
                echo.emit(out, start + 34);
            }
            case 2 -> {
                UdpRepr udp = new UdpRepr(53_000 + (chatter & 1023), 53, DNS_QUERY.length);
                int start = frameStart(gatewayMac, EtherType.IPV4, 20 + udp.totalLength());
                Ipv4Repr.writeHeader(out, start + 14, address, gatewayAddress, IpProtocol.UDP_NUMBER,
                        20 + udp.totalLength(), 64, ipId++ & 0xffff, DF, 0);
                out.setBytes(start + 34 + udp.headerLength(), DNS_QUERY);
                udp.emit(out, start + 34, address, gatewayAddress);
            }
            case 3 -> {
                DhcpRepr discover = DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).xid(chatter).broadcast(true)
                        .chaddr(mac).messageType(DhcpMessageType.DISCOVER).build();
                int length = discover.encodedLength();
                UdpRepr udp = new UdpRepr(68, 67, length);
                int start = frameStart(MacAddress.BROADCAST, EtherType.IPV4, 20 + udp.totalLength());
                Ipv4Repr.writeHeader(out, start + 14, 0, -1, IpProtocol.UDP_NUMBER, 20 + udp.totalLength(), 64,
                        ipId++ & 0xffff, 0, 0);
                discover.emit(out, start + 34 + udp.headerLength());
                udp.emit(out, start + 34, 0, -1);
            }
            default -> {
                Icmpv6Repr.RouterSolicitation rs = new Icmpv6Repr.RouterSolicitation(solicitationOptions);
                Ipv6Address src = Ipv6Address.linkLocalFromMac(mac.bits());
                int start = frameStart(MacAddress.of(Ipv6Address.ALL_ROUTERS.multicastMac()), EtherType.IPV6,
                        Ipv6Packet.HEADER_LENGTH + rs.bufferLength());
                Ipv6Repr.writeHeader(out, start + 14, src.high(), src.low(), Ipv6Address.ALL_ROUTERS.high(),
                        Ipv6Address.ALL_ROUTERS.low(), IpProtocol.ICMPV6_NUMBER, rs.bufferLength(), 255, 0, 0);
                rs.emit(out, start + 14 + Ipv6Packet.HEADER_LENGTH, src, Ipv6Address.ALL_ROUTERS);
            }
        }
    }

    /**
     * Appends a length prefix and an Ethernet header from the guest to {@code dst} for {@code payload} bytes to
     * {@link #out}; returns where the frame starts (its bytes are written up to its end).
     */
    private int frameStart(MacAddress dst, EtherType type, int payload) {
        return appendFrame(out, mac, dst, type, payload);
    }

    /**
     * Appends a length prefix and an Ethernet header from {@code src} to {@code dst} for {@code payload} bytes to
     * {@code out} (QEMU's stream framing); returns where the frame starts (its bytes are written up to its end, the
     * payload left for the caller to fill).
     */
    static int appendFrame(ByteBuf out, MacAddress src, MacAddress dst, EtherType type, int payload) {
        int frameLength = 14 + payload;
        out.ensureWritable(4 + frameLength);
        int start = out.writerIndex() + 4;
        out.writeInt(frameLength);
        new EthernetRepr(dst, src, type).emit(out, start);
        out.writerIndex(start + frameLength);
        return start;
    }

    /**
     * Reads and handles what has arrived, waiting up to a few milliseconds for it. Fails when nothing has moved (no
     * bytes written, no progress of the flow) for {@link #STALL_NANOS}, or the deadline passed.
     */
    private void await() throws IOException {
        long before = progress();
        int n = in.writeBytes(channel, in.writableBytes());
        if (n == 0) {
            selector.select(10);
            selector.selectedKeys().clear();
            n = in.writeBytes(channel, in.writableBytes());
        }
        if (n < 0) {
            throw new Stalled("the switch closed the connection");
        }
        frames();
        if (flow.reset) {
            throw new Stalled("reset on port " + flow.remotePort);
        }
        long now = System.nanoTime();
        if (progress() != before) {
            lastMove = now;
        }
        checkTime(now);
    }

    private void checkTime(long now) throws Stalled {
        if (now - deadline >= 0) {
            throw new Stalled("out of time");
        }
        if (now - lastMove >= STALL_NANOS) {
            throw new Stalled("no progress on port " + flow.remotePort);
        }
    }

    /** A number that changes whenever the flow moves: acknowledged, received, established or closed by the peer. */
    private long progress() {
        return flow.sndUna + flow.bytesReceived + (flow.established ? 1 : 0) + (flow.finReceived ? 2 : 0);
    }

    /** Handles each whole frame in {@link #in}. */
    private void frames() throws IOException {
        while (in.readableBytes() >= 4) {
            int length = in.getInt(in.readerIndex());
            if (in.readableBytes() < 4 + length) {
                break;
            }
            int start = in.readerIndex() + 4;
            frame(start, length);
            in.skipBytes(4 + length);
        }
        in.discardReadBytes();
    }

    private void frame(int start, int length) throws IOException {
        if (length < 14) {
            return;
        }
        int type = in.getUnsignedShort(start + 12);
        if (type == EtherType.ARP.value()) {
            arp(start + 14, length - 14);
        } else if (type == EtherType.IPV4.value() && length >= TCP_OFFSET
                && in.getUnsignedByte(start + 14 + Ipv4Packet.PROTOCOL) == IpProtocol.TCP_NUMBER
                && in.getInt(start + 14 + Ipv4Packet.DESTINATION) == address) {
            int ihl = (in.getUnsignedByte(start + 14) & 0x0f) * 4;
            int tcpLength = in.getUnsignedShort(start + 14 + Ipv4Packet.TOTAL_LENGTH) - ihl;
            if (packet.wrap(in, start + 14 + ihl, tcpLength) == null
                    && rx.parse(packet, in.getInt(start + 14 + Ipv4Packet.SOURCE), address, false) == null) {
                tcp();
            }
        }
    }

    private void tcp() {
        Flow f = flow;
        if (f == null || rx.dstPort() != f.localPort || rx.srcPort() != f.remotePort) {
            return;
        }
        if (rx.control() == TcpControl.RST) {
            f.reset = true;
            return;
        }
        if (rx.hasTimestamps()) {
            f.tsRecent = rx.tsVal();
        }
        if (rx.control() == TcpControl.SYN) {
            if (!f.established && rx.hasAck() && rx.ack() == f.sndNxt) {
                f.rcvNxt = SeqNumber.add(rx.seq(), 1);
                f.sndUna = rx.ack();
                f.sndWnd = rx.window(); // not scaled in a SYN (RFC 7323 2.2)
                f.sndShift = Math.max(0, rx.windowScale());
                f.peerMss = rx.maxSegmentSize() > 0 ? rx.maxSegmentSize() : 536;
                f.timestamps = rx.hasTimestamps();
                f.established = true;
            }
            return;
        }
        if (rx.hasAck() && SeqNumber.ge(rx.ack(), f.sndUna) && SeqNumber.le(rx.ack(), f.sndNxt)) {
            f.sndUna = rx.ack();
            f.sndWnd = rx.window() << f.sndShift;
        }
        int data = rx.payloadLength();
        if (data > 0) {
            f.segmentsReceived++;
            if (rx.seq() == f.rcvNxt) {
                f.rcvNxt = SeqNumber.add(f.rcvNxt, data);
                f.bytesReceived += data;
            }
            f.unacked++;
        }
        if (rx.control() == TcpControl.FIN && SeqNumber.add(rx.seq(), data) == f.rcvNxt) {
            f.rcvNxt = SeqNumber.add(f.rcvNxt, 1);
            f.finReceived = true;
            f.unacked++;
        }
        if (f.unacked >= 2) {
            ack();
        }
    }

    private void ack() {
        Flow f = flow;
        tx.start(f.localPort, f.remotePort, TcpControl.NONE, f.sndNxt).setAck(f.rcvNxt).setWindow(WINDOW);
        stamp(f);
        segment(0);
        f.unacked = 0;
    }

    /** Adds the timestamps option to the segment in {@link #tx} if {@code f} took them up (RFC 7323 3.2). */
    private void stamp(Flow f) {
        if (f.timestamps) {
            tx.setTimestamps(now(), f.tsRecent);
        }
    }

    /** Appends the frame of {@link #tx} with {@code payload} zero bytes, prefixed by its length, to {@link #out}. */
    private void segment(int payload) {
        appendSegment(out, mac, gatewayMac, address, gatewayAddress, ipId++, tx, payload);
    }

    /**
     * Appends the frame of the segment in {@code tx} with {@code payload} zero bytes, from {@code src} /
     * {@code srcAddress} to {@code dst} / {@code dstAddress}, in a 20-byte IPv4 header with Don't Fragment set (as
     * Linux sends TCP), prefixed by its length, to {@code out}.
     */
    static void appendSegment(ByteBuf out, MacAddress src, MacAddress dst, int srcAddress, int dstAddress, int ipId,
            TcpHeader tx, int payload) {
        int tcpLength = tx.headerLength() + payload;
        int start = appendFrame(out, src, dst, EtherType.IPV4, 20 + tcpLength);
        Ipv4Repr.writeHeader(out, start + 14, srcAddress, dstAddress, IpProtocol.TCP_NUMBER, 20 + tcpLength, 64,
                ipId & 0xffff, DF, 0);
        out.setZero(start + TCP_OFFSET + tx.headerLength(), payload);
        tx.emit(out, start + TCP_OFFSET, srcAddress, dstAddress);
    }

    /** An ARP reply to a request for the guest's address, sent at once. */
    private void arp(int offset, int length) throws IOException {
        ArpPacket parsed = ArpPacket.checked(in, offset, length).orNull();
        if (parsed == null) {
            return;
        }
        ArpRepr request = ArpRepr.parse(parsed);
        if (request.operation() != ArpOperation.REQUEST || request.targetProtocolAddress().bits() != address) {
            return;
        }
        ArpRepr reply = ArpRepr.replyTo(request, mac);
        int start = frameStart(request.senderHardwareAddress(), EtherType.ARP, reply.bufferLength());
        reply.emit(out, start + 14);
        flush();
    }

    /** Writes {@link #out} to the switch, waiting while its socket is full. */
    private void flush() throws IOException {
        while (out.isReadable()) {
            int n = out.readBytes(channel, out.readableBytes());
            long now = System.nanoTime();
            if (n > 0) {
                lastMove = now;
            } else {
                checkTime(now);
                channel.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                selector.select(10);
                selector.selectedKeys().clear();
                channel.register(selector, SelectionKey.OP_READ);
            }
        }
        out.clear();
    }

    private static byte[] dnsQuery(String name) {
        try {
            return Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)).toWire();
        } catch (TextParseException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    private static int now() {
        return (int) (System.nanoTime() / 1_000_000);
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        out.release();
        in.release();
    }
}
