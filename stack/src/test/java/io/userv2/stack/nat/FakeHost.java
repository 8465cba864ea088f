package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The host side of the NAT engine in memory: sockets whose peers are scripted by the test (refuse, never answer,
 * accept; read slowly, reset, fail). Readiness is delivered to the engine by {@link #deliver}, once per simulated
 * loop iteration, and only for what the engine said it is interested in, as a selector would.
 */
final class FakeHost implements HostSockets {
    /** How a dialled destination port behaves. */
    enum Dial { ACCEPT, REFUSE, BLACKHOLE, HOST_UNREACHABLE, NET_UNREACHABLE }

    final Map<Integer, Dial> dialByPort = new HashMap<>();
    final List<Tcp> tcp = new ArrayList<>();
    final List<Udp> udp = new ArrayList<>();
    final Map<Integer, Boolean> udpClosedPorts = new HashMap<>();
    final List<Ping> ping = new ArrayList<>();
    /** The host refuses ping sockets (the process's group outside net.ipv4.ping_group_range). */
    boolean pingUnavailable;
    /** The host refuses ICMPv6 ping sockets. */
    boolean ping6Unavailable;
    /** Tries to open a ping socket, allowed or not. */
    int pingOpenAttempts;
    /** The next ping socket fails to open (out of descriptors, say). */
    boolean pingOpenFails;
    /** The identifier the next ping socket gets from the "kernel". */
    private int nextPingIdentifier = 0x8000;
    NatEngine engine;

    @Override
    public HostTcpSocket dialTcp(NatTcpFlow flow, Ipv4Address address, int port) {
        Tcp s = new Tcp(flow, address, port, dialByPort.getOrDefault(port, Dial.ACCEPT));
        tcp.add(s);
        return s;
    }

    @Override
    public HostTcpSocket dialTcp6(NatTcpFlow flow, Ipv6Address address, int port) {
        Tcp s = new Tcp(flow, address, port, dialByPort.getOrDefault(port, Dial.ACCEPT));
        tcp.add(s);
        return s;
    }

    /** A connected socket as a port forward's listener would accept it. */
    Tcp accepted() {
        Tcp s = new Tcp(null, Ipv4Address.parse("127.0.0.1"), 0, null);
        tcp.add(s);
        return s;
    }

    @Override
    public HostUdpSocket openUdp(NatUdpFlow flow, Ipv4Address address, int port) {
        Udp s = new Udp(flow, address, port);
        udp.add(s);
        return s;
    }

    @Override
    public HostPingSocket openPing(NatIcmpFlow flow, Ipv4Address address) throws IOException {
        pingOpenAttempts++;
        if (pingUnavailable) {
            throw new PingSocketsUnavailable("socket: Permission denied (net.ipv4.ping_group_range)");
        }
        if (pingOpenFails) {
            pingOpenFails = false;
            throw new IOException("Too many open files");
        }
        Ping s = new Ping(flow, address, nextPingIdentifier++);
        ping.add(s);
        return s;
    }

    @Override
    public HostPingSocket openPing6(NatIcmpFlow flow, io.userv2.stack.wire.Ipv6Address address) throws IOException {
        pingOpenAttempts++;
        if (ping6Unavailable) {
            throw new PingSocketsUnavailable("socket: Permission denied (net.ipv4.ping_group_range)");
        }
        Ping s = new Ping(flow, address, nextPingIdentifier++);
        ping.add(s);
        return s;
    }

    /** One loop iteration's readiness events. */
    void deliver(long now) {
        for (Ping s : List.copyOf(ping)) {
            if (s.pendingEvent()) {
                engine.hostReadable(s.flow, now);
            }
        }
        for (Tcp s : List.copyOf(tcp)) {
            s.deliver(now);
        }
        for (Udp s : List.copyOf(udp)) {
            if (!s.closed && (!s.toGuest.isEmpty() || s.unreachablePending)) {
                engine.hostReadable(s.flow, now);
            }
        }
    }

    /** True when some socket would report readiness now. */
    boolean hasEvents() {
        for (Ping s : ping) {
            if (s.pendingEvent()) {
                return true;
            }
        }
        for (Tcp s : tcp) {
            if (s.pendingEvent()) {
                return true;
            }
        }
        for (Udp s : udp) {
            if (!s.closed && (!s.toGuest.isEmpty() || s.unreachablePending)) {
                return true;
            }
        }
        return false;
    }

    Tcp lastTcp() {
        return tcp.get(tcp.size() - 1);
    }

    /** A host TCP socket and the scripted application behind it. */
    final class Tcp implements HostTcpSocket {
        NatTcpFlow flow;
        final IpAddress address;
        final int port;
        Dial outcome;
        /** Bytes the guest sent, as the host application read them. */
        final ByteArrayOutputStream fromGuest = new ByteArrayOutputStream();
        /** Bytes the host application still has to send to the guest. */
        final ByteBuf toGuest = Unpooled.buffer();
        /** The host application closes its output once {@link #toGuest} is drained. */
        boolean hostFin;
        boolean guestFin;
        boolean closed;
        boolean closedWithReset;
        /** The host application reads at most this many bytes per loop iteration (a slow reader). */
        int readPerIteration = Integer.MAX_VALUE;
        int readThisIteration;
        /** The connection broke (reset by the host): every further read and write fails. */
        boolean broken;
        /** A bug to inject: thrown from the next read. */
        RuntimeException failOnRead;
        boolean wantRead;
        boolean wantWrite;

        Tcp(NatTcpFlow flow, IpAddress address, int port, Dial outcome) {
            this.flow = flow;
            this.address = address;
            this.port = port;
            this.outcome = outcome;
        }

        boolean pendingEvent() {
            if (closed) {
                return false;
            }
            if (outcome != null) {
                return outcome != Dial.BLACKHOLE;
            }
            return wantRead && (toGuest.isReadable() || hostFin || broken)
                    || wantWrite && (readThisIteration < readPerIteration || broken);
        }

        void deliver(long now) {
            readThisIteration = 0;
            if (closed) {
                return;
            }
            if (outcome != null) {
                Dial o = outcome;
                switch (o) {
                    case BLACKHOLE -> { }
                    case ACCEPT -> {
                        outcome = null;
                        engine.hostConnected(flow, now);
                    }
                    case REFUSE -> {
                        outcome = null;
                        engine.hostDialFailed(flow, DialFailure.REFUSED, now);
                    }
                    case HOST_UNREACHABLE -> {
                        outcome = null;
                        engine.hostDialFailed(flow, DialFailure.HOST_UNREACHABLE, now);
                    }
                    case NET_UNREACHABLE -> {
                        outcome = null;
                        engine.hostDialFailed(flow, DialFailure.NET_UNREACHABLE, now);
                    }
                }
                return;
            }
            if (wantRead && (toGuest.isReadable() || hostFin || broken)) {
                wantRead = false;
                engine.hostReadable(flow, now);
            }
            if (wantWrite && !closed) {
                wantWrite = false;
                engine.hostWritable(flow, now);
            }
        }

        @Override
        public int read(ByteBuf dst, int maxBytes) throws IOException {
            if (failOnRead != null) {
                RuntimeException e = failOnRead;
                failOnRead = null;
                throw e;
            }
            if (broken) {
                throw new IOException("Connection reset by peer");
            }
            int n = Math.min(maxBytes, toGuest.readableBytes());
            if (n == 0) {
                return hostFin ? -1 : 0;
            }
            dst.writeBytes(toGuest, n);
            return n;
        }

        @Override
        public int write(ByteBuf src) throws IOException {
            if (broken) {
                throw new IOException("Broken pipe");
            }
            int n = Math.min(src.readableBytes(), readPerIteration - readThisIteration);
            readThisIteration += n;
            byte[] b = new byte[n];
            src.readBytes(b);
            fromGuest.write(b, 0, n);
            return n;
        }

        @Override
        public void shutdownOutput() {
            guestFin = true;
        }

        @Override
        public void interest(boolean readable, boolean writable) {
            wantRead = readable;
            wantWrite = writable;
        }

        @Override
        public void close(boolean reset) {
            if (!closed) {
                closed = true;
                closedWithReset = reset;
                toGuest.release();
            }
        }

        /** The host application sends {@code bytes} to the guest. */
        void send(byte[] bytes) {
            toGuest.writeBytes(bytes);
        }
    }

    /** A host UDP socket and the scripted server behind it. */
    final class Udp implements HostUdpSocket {
        final NatUdpFlow flow;
        final Ipv4Address address;
        final int port;
        final List<byte[]> fromGuest = new ArrayList<>();
        final ArrayDeque<byte[]> toGuest = new ArrayDeque<>();
        boolean echo = true;
        boolean unreachablePending;
        boolean closed;

        Udp(NatUdpFlow flow, Ipv4Address address, int port) {
            this.flow = flow;
            this.address = address;
            this.port = port;
        }

        @Override
        public boolean send(ByteBuf payload) throws IOException {
            if (udpClosedPorts.getOrDefault(port, false)) {
                unreachablePending = true; // the host's ICMP comes back; the next receive reports it
                return true;
            }
            byte[] b = new byte[payload.readableBytes()];
            payload.getBytes(payload.readerIndex(), b);
            fromGuest.add(b);
            if (echo) {
                toGuest.add(b);
            }
            return true;
        }

        @Override
        public int receive(ByteBuf dst) throws IOException {
            if (unreachablePending) {
                unreachablePending = false;
                return PORT_UNREACHABLE;
            }
            byte[] b = toGuest.poll();
            if (b == null) {
                return NONE;
            }
            dst.writeBytes(b);
            return b.length;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /**
     * A ping socket as Linux implements it (icmp(7)): on send the kernel takes an echo request, puts in the socket's
     * own identifier and computes the checksum; the host at {@link #address} answers (unless told not to) with an echo
     * reply carrying that identifier, the same sequence number and data, which receive hands over without the IP
     * header.
     */
    final class Ping implements HostPingSocket {
        final NatIcmpFlow flow;
        final io.userv2.stack.wire.IpAddress address;
        final int identifier;
        /** An ICMPv6 ping socket (echo request 128, reply 129; the kernel's checksum is not modelled). */
        final boolean v6;
        /** The messages as they left the host: identifier rewritten, checksum computed. */
        final List<byte[]> sent = new ArrayList<>();
        /** Messages (or errors, as null) waiting to be received. */
        final ArrayDeque<byte[]> toGuest = new ArrayDeque<>();
        /** The destination answers. */
        boolean answers = true;
        /** The socket could not take a message now. */
        boolean full;
        /** A bug to inject: thrown from the next send. */
        RuntimeException failOnSend;
        boolean closed;

        Ping(NatIcmpFlow flow, io.userv2.stack.wire.IpAddress address, int identifier) {
            this.flow = flow;
            this.address = address;
            this.identifier = identifier;
            this.v6 = address.isIpv6();
        }

        boolean pendingEvent() {
            return !closed && !toGuest.isEmpty();
        }

        @Override
        public boolean send(ByteBuf message) throws IOException {
            if (failOnSend != null) {
                RuntimeException e = failOnSend;
                failOnSend = null;
                throw e;
            }
            if (closed) {
                throw new IOException("Bad file descriptor");
            }
            if (full) {
                return false;
            }
            byte[] b = new byte[message.readableBytes()];
            message.getBytes(message.readerIndex(), b);
            if (b.length < 8 || (b[0] & 0xFF) != (v6 ? 128 : 8) || b[1] != 0) {
                throw new IOException("Invalid argument"); // ping_common_sendmsg: only Echo, code 0
            }
            ByteBuf w = Unpooled.wrappedBuffer(b);
            w.setShort(4, identifier);
            w.setShort(2, 0);
            w.setShort(2, io.userv2.stack.wire.Checksum.compute(w, 0, b.length));
            sent.add(b);
            if (answers) {
                toGuest.add(reply(b));
            }
            return true;
        }

        /** The echo reply the destination sends to {@code request} (as it left the host). */
        byte[] reply(byte[] request) {
            byte[] r = request.clone();
            ByteBuf w = Unpooled.wrappedBuffer(r);
            w.setByte(0, v6 ? 129 : 0);
            w.setShort(2, 0);
            w.setShort(2, io.userv2.stack.wire.Checksum.compute(w, 0, r.length));
            return r;
        }

        /** Queues an error report (an ICMP error about an earlier request): the next receive throws. */
        void error() {
            toGuest.add(new byte[0]);
        }

        @Override
        public int receive(ByteBuf dst) throws IOException {
            byte[] b = toGuest.poll();
            if (b == null) {
                return NONE;
            }
            if (b.length == 0) {
                throw new IOException("No route to host");
            }
            dst.writeBytes(b);
            return b.length;
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
