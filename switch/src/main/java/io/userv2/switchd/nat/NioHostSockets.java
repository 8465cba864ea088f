package io.userv2.switchd.nat;

import io.userv2.stack.nat.HostPingSocket;
import io.userv2.stack.nat.HostSockets;
import io.userv2.stack.nat.HostTcpSocket;
import io.userv2.stack.nat.HostUdpSocket;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatIcmpFlow;
import io.userv2.stack.nat.NatTcpFlow;
import io.userv2.stack.nat.NatUdpFlow;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;

/**
 * The NAT engine's host sockets, with NIO on the event loop: non-blocking connects and connected datagram sockets
 * whose readiness the loop turns into the engine's host events; and ping sockets, which NIO has not, through
 * {@link PingSockets}.
 *
 * <p>Every host TCP socket has {@code SO_KEEPALIVE} on, with Linux's per-socket timers set to the guest side's
 * keep-alive times where the JDK offers them ({@code jdk.net.ExtendedSocketOptions}), so a host peer that vanished
 * without a word is noticed as a guest that did would be.
 */
final class NioHostSockets implements HostSockets {
    /** Host socket buffers: room for a large TCP window towards fast guests. */
    static final int SOCKET_BUFFER = 4 * 1024 * 1024;

    private final EventLoop loop;
    private final HostKeepAlive keepAlive;
    private NatEngine engine;
    private PingSockets pings;

    NioHostSockets(EventLoop loop, HostKeepAlive keepAlive) {
        this.loop = loop;
        this.keepAlive = keepAlive;
    }

    /** The engine the sockets report to; set once, before the first socket opens. */
    void bind(NatEngine e) {
        this.engine = e;
    }

    @Override
    public HostTcpSocket dialTcp(NatTcpFlow flow, Ipv4Address address, int port) throws IOException {
        return dial(flow, SocketChannel.open(), new InetSocketAddress(address.toInetAddress(), port));
    }

    @Override
    public HostTcpSocket dialTcp6(NatTcpFlow flow, Ipv6Address address, int port) throws IOException {
        return dial(flow, SocketChannel.open(StandardProtocolFamily.INET6),
                new InetSocketAddress(address.toInetAddress(), port));
    }

    private HostTcpSocket dial(NatTcpFlow flow, SocketChannel ch, InetSocketAddress to) throws IOException {
        try {
            ch.configureBlocking(false);
            configure(ch);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            boolean connected = ch.connect(to);
            NioTcpSocket socket = new NioTcpSocket(ch, loop, engine);
            socket.registerConnecting(flow, connected);
            return socket;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Wraps an accepted host connection (a port forward's client, TCP or unix) for {@link NatEngine#openToGuest}. */
    NioTcpSocket accepted(SocketChannel ch) throws IOException {
        ch.configureBlocking(false);
        configure(ch);
        return new NioTcpSocket(ch, loop, engine);
    }

    @Override
    public HostUdpSocket openUdp(NatUdpFlow flow, Ipv4Address address, int port) throws IOException {
        return open(flow, DatagramChannel.open(), new InetSocketAddress(address.toInetAddress(), port));
    }

    @Override
    public HostUdpSocket openUdp6(NatUdpFlow flow, Ipv6Address address, int port) throws IOException {
        return open(flow, DatagramChannel.open(StandardProtocolFamily.INET6),
                new InetSocketAddress(address.toInetAddress(), port));
    }

    private HostUdpSocket open(NatUdpFlow flow, DatagramChannel ch, InetSocketAddress to) throws IOException {
        try {
            ch.configureBlocking(false);
            ch.connect(to);
            NioUdpSocket socket = new NioUdpSocket(ch, loop, engine);
            socket.register(flow);
            return socket;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public HostPingSocket openPing(NatIcmpFlow flow, Ipv4Address address) throws IOException {
        if (pings == null) {
            pings = new PingSockets(loop, engine);
        }
        return pings.open(flow, address);
    }

    @Override
    public HostPingSocket openPing6(NatIcmpFlow flow, Ipv6Address address) throws IOException {
        if (pings == null) {
            pings = new PingSockets(loop, engine);
        }
        return pings.open6(flow, address);
    }

    private void configure(SocketChannel ch) throws IOException {
        if (!ch.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) {
            return; // a unix socket (a unix forward's client): no TCP options, no keep-alive
        }
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        if (keepAlive.idleSeconds() > 0) {
            setIfSupported(ch, jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE, keepAlive.idleSeconds());
            setIfSupported(ch, jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL, keepAlive.intervalSeconds());
            setIfSupported(ch, jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT, keepAlive.probes());
        }
    }

    private static void setIfSupported(NetworkChannel ch, SocketOption<Integer> option, int value)
            throws IOException {
        if (ch.supportedOptions().contains(option)) {
            ch.setOption(option, value);
        }
    }
}
