package io.userv2.switchd.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.UdpDatagram;
import io.userv2.stack.wire.Ipv4Address;
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
 * given by name is looked up when a session starts ({@link GuestNames}) and stays the session's guest.
 * Owned by the event loop.
 */
final class UdpForward implements IoHandler {
    private static final System.Logger LOG = System.getLogger(UdpForward.class.getName());
    private static final int FIRST_PORT = 32768;
    private static final int PORT_COUNT = 60999 - 32768 + 1;
    private static final int DATAGRAMS_PER_EVENT = 64;

    /** One host client and the gateway port that stands for it on the LAN. */
    private final class Session {
        final SocketAddress client;
        final Ipv4Address guest;
        final int gatewayPort;
        long lastActive;

        Session(SocketAddress client, Ipv4Address guest, int gatewayPort, long now) {
            this.client = client;
            this.guest = guest;
            this.gatewayPort = gatewayPort;
            this.lastActive = now;
        }

        void fromGuest(UdpDatagram d, long now) {
            lastActive = now;
            try {
                channel.send(d.payload().nioBuffer(), client);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, spec + ": send to " + client + ": " + e.getMessage());
            }
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
            if (buffer.remaining() > maxPayload) {
                continue; // would need fragmentation on the LAN
            }
            Session s = sessions.get(from);
            Ipv4Address guest = s != null ? s.guest : GuestNames.of(spec, names);
            if (guest == null) {
                dropsNoName++;
                continue;
            }
            long mac = gateway.arpCache().lookup(guest.bits(), now);
            if (mac == ArpCache.NONE) {
                dropsNoArp++;
                gateway.sendArpRequest(guest); // the next datagram finds the guest
                continue;
            }
            if (s == null && (s = openSession(from, guest, now)) == null) {
                continue;
            }
            s.lastActive = now;
            ByteBuf payload = Unpooled.wrappedBuffer(buffer);
            gateway.sendUdp(MacAddress.of(mac), gateway.ip(), s.gatewayPort, guest, spec.guestPort(), payload);
        }
    }

    private Session openSession(SocketAddress client, Ipv4Address guest, long now) {
        for (int tries = 0; tries < PORT_COUNT; tries++) {
            int port = FIRST_PORT + (int) ((now / 1000 + tries) % PORT_COUNT);
            Session s = new Session(client, guest, port, now);
            try {
                gateway.bindUdp(port, s::fromGuest);
            } catch (IllegalStateException | IllegalArgumentException taken) {
                continue;
            }
            sessions.put(client, s);
            return s;
        }
        return null;
    }

    /** Ends sessions idle since before {@code now - idle}. */
    void expire(long now) {
        for (Iterator<Session> it = sessions.values().iterator(); it.hasNext(); ) {
            Session s = it.next();
            if (now - s.lastActive > idleNanos) {
                gateway.unbindUdp(s.gatewayPort);
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
            gateway.unbindUdp(s.gatewayPort);
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
