package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Ipv4Address;
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
    NatEngine engine;

    @Override
    public HostTcpSocket dialTcp(NatTcpFlow flow, Ipv4Address address, int port) {
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

    /** One loop iteration's readiness events. */
    void deliver(long now) {
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
        final Ipv4Address address;
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

        Tcp(NatTcpFlow flow, Ipv4Address address, int port, Dial outcome) {
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

}
