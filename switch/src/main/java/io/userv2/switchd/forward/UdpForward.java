package io.userv2.switchd.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv4Forwarder;
import io.userv2.stack.gateway.NeighborCache;
import io.userv2.stack.gateway.Udp6Datagram;
import io.userv2.stack.gateway.UdpDatagram;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A UDP port forward: datagrams to a host socket go to the guest from a gateway port chosen per host client (a
 * session), and the guest's replies to that port go back to that client. Sessions end after the idle timeout. A guest
 * given by name is looked up when a session starts ({@link GuestNames}) and stays the session's guest. An IPv6 guest
 * is reached from the gateway's IPv6 address of its scope, its MAC from the neighbour cache (an unknown one is
 * solicited and that datagram dropped, as an unknown IPv4 guest is ARPed for). Owned by the event loop.
 */
final class UdpForward implements IoHandler {
    private static final System.Logger LOG = System.getLogger(UdpForward.class.getName());
    private static final int FIRST_PORT = 32768;
    private static final int PORT_COUNT = 60999 - 32768 + 1;
    private static final int DATAGRAMS_PER_EVENT = 64;
    /** How much more header an IPv6 datagram carries than an IPv4 one (40 against 20 bytes). */
    private static final int IPV6_EXTRA = 20;

    /** One host client and the gateway port that stands for it on the LAN. */
    private final class Session {
        final SocketAddress client;
        final IpAddress guest;
        final int gatewayPort;
        long lastActive;

        Session(SocketAddress client, IpAddress guest, int gatewayPort, long now) {
            this.client = client;
            this.guest = guest;
            this.gatewayPort = gatewayPort;
            this.lastActive = now;
        }

        void fromGuest(UdpDatagram d, long now) {
            toClient(d.payload(), now);
        }

        void fromGuest6(Udp6Datagram d, long now) {
            toClient(d.payload(), now);
        }

        private void toClient(ByteBuf payload, long now) {
            lastActive = now;
            try {
                channel.send(payload.nioBuffer(), client);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, spec + ": send to " + client + ": " + e.getMessage());
            }
        }

        boolean ipv6() {
            return guest instanceof Ipv6Address;
        }
    }

    final ForwardSpec spec;
    private final DatagramChannel channel;
    private final EventLoop loop;
    private final Gateway gateway;
    private final GuestNames names;
    private final long idleNanos;
    private final int maxPayload;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(65536);
    private final Map<SocketAddress, Session> sessions = new HashMap<>();
    private long dropsNoArp;
    private long dropsNoName;

    private UdpForward(ForwardSpec spec, DatagramChannel channel, EventLoop loop, Gateway gateway, GuestNames names,
            long idleNanos, int maxPayload) {
        this.spec = spec;
        this.channel = channel;
        this.loop = loop;
        this.gateway = gateway;
        this.names = names;
        this.idleNanos = idleNanos;
        this.maxPayload = maxPayload;
    }

    /** Binds the host side; throws IOException (address in use, say) with nothing left open. */
    static UdpForward open(ForwardSpec spec, EventLoop loop, Gateway gateway, GuestNames names, long idleNanos,
            int mtu) throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.bind(spec.local());
            ch.configureBlocking(false);
            UdpForward f = new UdpForward(spec, ch, loop, gateway, names, idleNanos, mtu - 28);
            loop.register(ch, SelectionKey.OP_READ, f);
            return f;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public void ready(SelectionKey key) {
        long now = System.nanoTime();
        for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
            buffer.clear();
            SocketAddress from;
            try {
                from = channel.receive(buffer);
            } catch (IOException e) {
                return;
            }
            if (from == null) {
                return;
            }
            buffer.flip();
            Session s = sessions.get(from);
            IpAddress guest = s != null ? s.guest : GuestNames.of(spec, names);
            if (guest == null) {
                dropsNoName++;
                continue;
            }
            GatewayIpv6 v6 = gateway.ipv6();
            if (guest.isIpv6() && (v6 == null || !v6.isGuestAddress((Ipv6Address) guest))) {
                dropsNoName++; // IPv6 is off on this LAN, or the guest is not on it (no Neighbor Solicitation for it)
                continue;
            }
            if (buffer.remaining() > maxPayload - (guest instanceof Ipv6Address ? IPV6_EXTRA : 0)) {
                continue; // would need fragmentation on the LAN
            }
            long mac = guest instanceof Ipv6Address g6
                    ? v6.neighbors().resolve(g6, Ipv4Forwarder.NO_OWNER, now) // solicits an unknown one
                    : gateway.arpCache().lookup(((Ipv4Address) guest).bits(), now);
            if (mac == ArpCache.NONE || mac == NeighborCache.NONE) {
                dropsNoArp++;
                if (guest instanceof Ipv4Address g4) {
                    gateway.sendArpRequest(g4); // the next datagram finds the guest
                }
                continue;
            }
            if (s == null && (s = openSession(from, guest, now)) == null) {
                continue;
            }
            s.lastActive = now;
            ByteBuf payload = Unpooled.wrappedBuffer(buffer);
            if (guest instanceof Ipv6Address g6) {
                v6.sendUdp(MacAddress.of(mac), v6.sourceFor(g6), s.gatewayPort, g6, spec.guestPort(), payload);
            } else {
                gateway.sendUdp(MacAddress.of(mac), gateway.ip(), s.gatewayPort, (Ipv4Address) guest,
                        spec.guestPort(), payload);
            }
        }
    }

    private Session openSession(SocketAddress client, IpAddress guest, long now) {
        for (int tries = 0; tries < PORT_COUNT; tries++) {
            int port = FIRST_PORT + (int) ((now / 1000 + tries) % PORT_COUNT);
            Session s = new Session(client, guest, port, now);
            try {
                if (s.ipv6()) {
                    gateway.ipv6().bindUdp(port, s::fromGuest6);
                } else {
                    gateway.bindUdp(port, s::fromGuest);
                }
            } catch (IllegalStateException | IllegalArgumentException taken) {
                continue;
            }
            sessions.put(client, s);
            return s;
        }
        return null;
    }

    private void unbind(Session s) {
        if (s.ipv6()) {
            GatewayIpv6 v6 = gateway.ipv6();
            if (v6 != null) {
                v6.unbindUdp(s.gatewayPort);
            }
        } else {
            gateway.unbindUdp(s.gatewayPort);
        }
    }

    /** Ends sessions idle since before {@code now - idle}. */
    void expire(long now) {
        for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (now - s.lastActive > idleNanos) {
                unbind(s);
                it.remove();
            }
        }
    }

    /** Datagrams dropped because the guest's MAC was not known yet. */
    long dropsNoArp() {
        return dropsNoArp;
    }

    /** Datagrams dropped because the guest's name had no answer on the LAN. */
    long dropsNoName() {
        return dropsNoName;
    }

    @Override
    public void shutdown() {
        loop.unregister(this);
        for (Session s : sessions.values()) {
            unbind(s);
        }
        sessions.clear();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "forward " + spec;
    }
}
