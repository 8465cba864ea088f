package io.userv2.switchd.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.ArpOperation;
import io.userv2.stack.wire.ArpPacket;
import io.userv2.stack.wire.ArpRepr;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpPacket;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Two built-in VMs of the {@link WarmUp} on its switch, one streaming TCP segments to the other, which acknowledges
 * every second one and each that ends a write, as the kernels of two guests do in a VM-to-VM transfer. Their frames
 * go from one stream port to another: learned unicast, port security, the receive coalescing of a stream between VMs,
 * frames written on from the sender's read buffer or staged behind others. The NAT rounds of the warm-up never take
 * that path, and without this a VM's first transfer to another ran while C2 compiled it.
 *
 * <p>Neither end runs a TCP stack: the switch forwards frames between VMs reading no more than the headers port
 * security and the coalescing look at, so the segments are well formed (their checksums too) but only count their
 * sequence numbers up. Before the first segment the sender asks for the receiver's address with ARP and waits for
 * the answer, so the switch has learned both MACs. No retransmission: nothing is lost on a unix socket, and a stream
 * that stops moving ends the warm-up ({@link WarmUpGuest.Stalled}).
 *
 * <p>Owns both connections and its buffers; one thread uses it.
 */
final class WarmUpPair implements AutoCloseable {
    /** The sending VM's MAC (locally administered, apart from the {@link WarmUpGuest}'s). */
    static final MacAddress SENDER_MAC = MacAddress.parse("52:55:55:77:70:01");
    /** The receiving VM's MAC. */
    static final MacAddress RECEIVER_MAC = MacAddress.parse("52:55:55:77:70:02");
    private static final int SENDER_PORT = 40_000;
    private static final int RECEIVER_PORT = 5201;
    /** How far the sender may run ahead of the receiver, in bytes: a TCP window. */
    private static final int WINDOW_BYTES = 1 << 20;
    /** Every this many segments the sender ends a write (PSH), as an application's 8-segment writes would. */
    private static final int SEGMENTS_PER_WRITE = 8;
    /** Where the TCP header starts: after Ethernet and a 20-byte IPv4 header. */
    private static final int TCP_OFFSET = WarmUpGuest.TCP_OFFSET;
    /** How long the pair may go without moving a byte before the warm-up gives up. */
    private static final long STALL_NANOS = 1_000_000_000L;

    /** One of the two VMs: its connection and what it has to send and has received. */
    private static final class End {
        final SocketChannel channel;
        final SelectionKey key;
        final MacAddress mac;
        final int address;
        final ByteBuf out;
        final ByteBuf in;

        End(SocketChannel channel, Selector selector, MacAddress mac, Ipv4Address address, int maxFrame)
                throws IOException {
            channel.configureBlocking(false);
            this.channel = channel;
            this.key = channel.register(selector, SelectionKey.OP_READ);
            this.mac = mac;
            this.address = address.bits();
            this.out = Unpooled.directBuffer(1 << 20); // allocated last: nothing to release if the above throws
            this.in = Unpooled.directBuffer(4 * (maxFrame + 4));
        }

        void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            out.release();
            in.release();
        }
    }

    private final Selector selector;
    private final End sender;
    private final End receiver;
    private final long deadline;
    private final TcpHeader tx = new TcpHeader();
    private boolean receiverKnown;
    private int seq;
    private int ipId;
    private long bytesSent;
    private long bytesReceived;
    /** Data segments the receiver has taken since it last acknowledged. */
    private int unacked;
    private long lastMove;
    /** Data segments the receiver has taken, in all. */
    long segmentsReceived;
    /** Acknowledgements the receiver has sent, in all. */
    private long acksSent;
    /** Acknowledgements the sender has taken, in all. */
    private long acksReceived;

    /**
     * Connects both VMs to the switch at {@code socket}; closes whatever it opened if any step fails.
     *
     * @param maxFrame the largest frame the switch sends
     * @param deadline {@link System#nanoTime()} after which every wait fails
     */
    static WarmUpPair connect(Path socket, Ipv4Address senderAddress, Ipv4Address receiverAddress, int maxFrame,
            long deadline) throws IOException {
        SocketChannel senderChannel = WarmUp.connect(socket);
        SocketChannel receiverChannel;
        try {
            receiverChannel = WarmUp.connect(socket);
        } catch (IOException | RuntimeException e) {
            senderChannel.close();
            throw e;
        }
        return new WarmUpPair(senderChannel, senderAddress, receiverChannel, receiverAddress, maxFrame, deadline);
    }

    /** Takes both connected channels (made non-blocking here; closed by {@link #close}, or here if this throws). */
    private WarmUpPair(SocketChannel senderChannel, Ipv4Address senderAddress, SocketChannel receiverChannel,
            Ipv4Address receiverAddress, int maxFrame, long deadline) throws IOException {
        this.deadline = deadline;
        Selector s = null;
        End a = null;
        try {
            s = Selector.open();
            a = new End(senderChannel, s, SENDER_MAC, senderAddress, maxFrame);
            this.receiver = new End(receiverChannel, s, RECEIVER_MAC, receiverAddress, maxFrame);
        } catch (IOException | RuntimeException e) {
            if (a != null) {
                a.close();
            } else {
                senderChannel.close();
            }
            receiverChannel.close();
            if (s != null) {
                s.close();
            }
            throw e;
        }
        this.selector = s;
        this.sender = a;
    }

    /**
     * Streams {@code count} segments of {@code payload} bytes from the sender to the receiver, the receiver's
     * acknowledgements going back; returns once the receiver has every one of them and the sender every
     * acknowledgement. The first call finds the receiver with ARP first.
     */
    void stream(int count, int payload) throws IOException {
        lastMove = System.nanoTime();
        if (!receiverKnown) {
            ArpRepr request = ArpRepr.request(sender.mac, new Ipv4Address(sender.address),
                    new Ipv4Address(receiver.address));
            request.emit(sender.out,
                    WarmUpGuest.appendFrame(sender.out, sender.mac, MacAddress.BROADCAST, EtherType.ARP,
                            request.bufferLength()) + 14);
            while (!receiverKnown) {
                pump();
            }
        }
        long targetBytes = bytesReceived + (long) count * payload;
        // The last segment ends a write, so the receiver acknowledges it: once it has them all, the stream is over
        // when every acknowledgement it sent has reached the sender.
        for (int sent = 0; sent < count || bytesReceived < targetBytes || acksReceived < acksSent; ) {
            while (sent < count && bytesSent - bytesReceived + payload <= WINDOW_BYTES
                    && sender.out.writableBytes() >= 4 + TCP_OFFSET + 20 + payload) {
                sent++;
                boolean endsWrite = sent % SEGMENTS_PER_WRITE == 0 || sent == count;
                segment(sender, receiver, endsWrite ? TcpControl.PSH : TcpControl.NONE, payload);
                bytesSent += payload;
            }
            pump();
        }
    }

    /**
     * Writes what either end has to send, reads and handles what has arrived at either, and waits up to a few
     * milliseconds when neither moved a byte. Fails when nothing has moved for {@link #STALL_NANOS}, or the deadline
     * passed.
     */
    private void pump() throws IOException {
        boolean moved = write(sender) | write(receiver) | read(receiver) | read(sender);
        long now = System.nanoTime();
        if (moved) {
            lastMove = now;
            return;
        }
        if (now - deadline >= 0) {
            throw new WarmUpGuest.Stalled("out of time");
        }
        if (now - lastMove >= STALL_NANOS) {
            throw new WarmUpGuest.Stalled("no progress between the two VMs");
        }
        waitFor(sender);
        waitFor(receiver);
        selector.select(10);
        selector.selectedKeys().clear();
    }

    /** Has the next wait end when {@code e} can read, or write what it has to send. */
    private static void waitFor(End e) {
        e.key.interestOps(SelectionKey.OP_READ | (e.out.isReadable() ? SelectionKey.OP_WRITE : 0));
    }

    private static boolean write(End e) throws IOException {
        if (!e.out.isReadable()) {
            return false;
        }
        int n = e.out.readBytes(e.channel, e.out.readableBytes());
        e.out.discardReadBytes();
        return n > 0;
    }

    private boolean read(End e) throws IOException {
        int n = e.in.writeBytes(e.channel, e.in.writableBytes());
        if (n < 0) {
            throw new WarmUpGuest.Stalled("the switch closed a connection between the two VMs");
        }
        while (e.in.readableBytes() >= 4) {
            int length = e.in.getInt(e.in.readerIndex());
            if (e.in.readableBytes() < 4 + length) {
                break;
            }
            int start = e.in.readerIndex() + 4;
            if (e == receiver) {
                atReceiver(start, length);
            } else {
                atSender(start, length);
            }
            e.in.skipBytes(4 + length);
        }
        e.in.discardReadBytes();
        return n > 0;
    }

    /** A frame the receiver got: the sender's ARP request is answered, its segments counted and acknowledged. */
    private void atReceiver(int start, int length) {
        ByteBuf in = receiver.in;
        ArpRepr arp = arp(in, start, length);
        if (arp != null) {
            if (arp.operation() == ArpOperation.REQUEST && arp.targetProtocolAddress().bits() == receiver.address) {
                ArpRepr reply = ArpRepr.replyTo(arp, receiver.mac);
                reply.emit(receiver.out, WarmUpGuest.appendFrame(receiver.out, receiver.mac,
                        arp.senderHardwareAddress(), EtherType.ARP, reply.bufferLength()) + 14);
            }
            return;
        }
        int data = tcpPayload(in, start, length, receiver.address);
        if (data <= 0) {
            return;
        }
        segmentsReceived++;
        bytesReceived += data;
        unacked++;
        boolean endsWrite = (in.getUnsignedByte(start + TCP_OFFSET + 13) & TcpPacket.FLAG_PSH) != 0; // the flags byte
        if (unacked >= 2 || endsWrite) {
            segment(receiver, sender, TcpControl.NONE, 0);
            acksSent++;
            unacked = 0;
        }
    }

    /** A frame the sender got: the receiver's ARP answer, or an acknowledgement. */
    private void atSender(int start, int length) {
        ByteBuf in = sender.in;
        ArpRepr arp = arp(in, start, length);
        if (arp != null) {
            if (arp.operation() == ArpOperation.REPLY && arp.senderProtocolAddress().bits() == receiver.address) {
                receiverKnown = true;
            }
            return;
        }
        if (tcpPayload(in, start, length, sender.address) == 0) {
            acksReceived++;
        }
    }

    /** The ARP packet of the frame at {@code start}, or null if it is not one. */
    private static ArpRepr arp(ByteBuf in, int start, int length) {
        if (length < 14 || in.getUnsignedShort(start + 12) != EtherType.ARP.value()) {
            return null;
        }
        ArpPacket parsed = ArpPacket.checked(in, start + 14, length - 14).orNull();
        return parsed == null ? null : ArpRepr.parse(parsed);
    }

    /** The TCP payload length of the frame at {@code start} if it is a pair's segment to {@code address}, else -1. */
    private static int tcpPayload(ByteBuf in, int start, int length, int address) {
        if (length < TCP_OFFSET + 20 || in.getUnsignedShort(start + 12) != EtherType.IPV4.value()
                || in.getUnsignedByte(start + 14 + Ipv4Packet.PROTOCOL) != IpProtocol.TCP_NUMBER
                || in.getInt(start + 14 + Ipv4Packet.DESTINATION) != address) {
            return -1;
        }
        int total = in.getUnsignedShort(start + 14 + Ipv4Packet.TOTAL_LENGTH);
        int tcpHeader = (in.getUnsignedByte(start + TCP_OFFSET + 12) >> 4) * 4;
        return total - 20 - tcpHeader;
    }

    /** Appends a segment from {@code from} to {@code to} with {@code payload} zero bytes to {@code from}'s output. */
    private void segment(End from, End to, TcpControl control, int payload) {
        boolean data = from == sender;
        tx.start(data ? SENDER_PORT : RECEIVER_PORT, data ? RECEIVER_PORT : SENDER_PORT, control,
                data ? seq : 1).setAck(data ? 1 : seq).setWindow(0xffff).setPayloadLength(payload);
        WarmUpGuest.appendSegment(from.out, from.mac, to.mac, from.address, to.address, ipId++, tx, payload);
        if (data) {
            seq += payload;
        }
    }

    @Override
    public void close() {
        sender.close();
        receiver.close();
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
