package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.nat.HostUdpSocket;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatUdpFlow;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.function.LongConsumer;

/**
 * The host end of one NAT'd UDP flow (IPv4, or IPv6 for NAT66): a non-blocking {@link DatagramChannel} connected to the flow's translated
 * destination, registered for reading on the event loop. A connected datagram socket reports the ICMP port
 * unreachable the host gets back as {@link PortUnreachableException}, which becomes ICMP to the guest. Loop thread
 * only.
 */
final class NioUdpSocket implements HostUdpSocket, IoHandler {
    private final DatagramChannel channel;
    private final EventLoop loop;
    private final NatEngine engine;
    /** The flow (IPv4 or IPv6), for log lines. */
    private Object flow;
    /** Tells the engine the socket is readable, with the loop's time. */
    private LongConsumer readable;
    private SelectionKey key;
    private boolean closed;

    NioUdpSocket(DatagramChannel channel, EventLoop loop, NatEngine engine) {
        this.channel = channel;
        this.loop = loop;
        this.engine = engine;
    }

    void register(NatUdpFlow f) throws IOException {
        register(f, now -> engine.hostReadable(f, now));
    }

    private void register(Object f, LongConsumer onReadable) throws IOException {
        flow = f;
        readable = onReadable;
        key = loop.register(channel, SelectionKey.OP_READ, this);
    }

    @Override
    public boolean send(ByteBuf payload) throws IOException {
        ByteBuffer nio = payload.nioBuffer(payload.readerIndex(), payload.readableBytes());
        return channel.write(nio) > 0 || payload.readableBytes() == 0;
    }

    @Override
    public int receive(ByteBuf dst) throws IOException {
        ByteBuffer target = dst.nioBuffer(dst.writerIndex(), dst.writableBytes());
        try {
            if (channel.receive(target) == null) {
                return NONE;
            }
        } catch (PortUnreachableException e) {
            return PORT_UNREACHABLE;
        } catch (IOException e) {
            // The kernel's pending ICMP error on the connected socket (EHOSTUNREACH, ENETUNREACH), read once.
            return switch (NioTcpSocket.classify(e)) {
                case HOST_UNREACHABLE -> HOST_UNREACHABLE;
                case NET_UNREACHABLE -> NET_UNREACHABLE;
                default -> throw e;
            };
        }
        int n = target.position();
        dst.writerIndex(dst.writerIndex() + n);
        return n;
    }

    @Override
    public void ready(SelectionKey k) {
        if (!closed) {
            readable.accept(loop.now());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.close(this, key, channel);
    }

    @Override
    public void shutdown() {
        close();
    }

    @Override
    public String toString() {
        return String.valueOf(flow);
    }
}
