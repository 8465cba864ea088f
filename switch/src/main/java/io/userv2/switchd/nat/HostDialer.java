package io.userv2.switchd.nat;

import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/**
 * Opens the host side of guest TCP connections: a non-blocking connect to the translated destination, whose outcome
 * decides how the guest's SYN is answered (SYN-ACK once connected, RST when refused, nothing on timeout).
 */
final class HostDialer {
    private static final System.Logger LOG = System.getLogger(HostDialer.class.getName());
    /** Host socket buffers: room for a large TCP window towards fast guests. */
    static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final TcpNat nat;
    private final ByteBufAllocator alloc;
    private final long dialTimeoutNanos;

    HostDialer(TcpNat nat, ByteBufAllocator alloc, long dialTimeoutNanos) {
        this.nat = nat;
        this.alloc = alloc;
        this.dialTimeoutNanos = dialTimeoutNanos;
    }

    /** The allocator for host-side buffers. */
    ByteBufAllocator alloc() {
        return alloc;
    }

    /** Starts connecting to {@code real:port} for the pending {@code conn}; returns its flow. */
    TcpFlow dial(TcpConnection conn, MacAddress guestMac, Ipv4Address real, int port, long now) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            boolean connected = ch.connect(new InetSocketAddress(real.toInetAddress(), port));
            HostTcpFlow flow = new HostTcpFlow(conn, guestMac, ch, nat, alloc, now + dialTimeoutNanos);
            flow.register(connected, now);
            return flow;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, conn.key() + ": dial " + real + ":" + port + " failed: " + e);
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // giving up on it anyway
                }
            }
            conn.refuse(now);
            return new HostTcpFlow.Failed(conn, guestMac);
        }
    }
}
