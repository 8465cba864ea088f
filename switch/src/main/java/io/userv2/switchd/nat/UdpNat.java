package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.gateway.UdpSender;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.switchd.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * UDP NAT: one connected host datagram socket per guest (source, destination) pair, replies routed back to the guest
 * from the address it talked to, flows closed after {@code idleTimeout} without traffic in either direction. DNS and
 * DHCP to the gateway never get here (they are bound services of the gateway). Owned by the event loop.
 */
public final class UdpNat {
    private static final System.Logger LOG = System.getLogger(UdpNat.class.getName());
    private static final int IPV4_UDP_HEADERS = 28;

    /** What UDP NAT did, for statistics. Written on the loop thread only. */
    public static final class Counters {
        long flowsOpened;
        long datagramsToHost;
        long datagramsToGuest;
        long dropsPolicy;
        long dropsFlowLimit;
        long dropsBadPacket;
        long dropsTooBig;
        long dropsHostBusy;
        long hostErrors;

        /** Flows opened so far. */
        public long flowsOpened() {
            return flowsOpened;
        }

        /** Datagrams sent from guests to the host. */
        public long datagramsToHost() {
            return datagramsToHost;
        }

        /** Datagrams sent from the host back to guests. */
        public long datagramsToGuest() {
            return datagramsToGuest;
        }

        /** Datagrams dropped: destination not reachable by policy, flow limit, malformed, too big, socket full. */
        public long drops() {
            return dropsPolicy + dropsFlowLimit + dropsBadPacket + dropsTooBig + dropsHostBusy;
        }
    }

    private final EventLoop loop;
    private final UdpSender lan;
    private final NatPolicy policy;
    private final long idleTimeoutNanos;
    private final int maxFlows;
    private final int maxPayload;
    private final Map<UdpFlowKey, UdpFlow> flows = new HashMap<>();
    private final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(65536);
    private final Counters counters = new Counters();

    /**
     * UDP NAT sending replies through {@code lan} (the gateway).
     *
     * @param mtu the LAN's MTU; host datagrams that would not fit one frame are dropped and counted
     */
    public UdpNat(EventLoop loop, UdpSender lan, NatPolicy policy, long idleTimeoutNanos, int maxFlows, int mtu) {
        this.loop = loop;
        this.lan = lan;
        this.policy = policy;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.maxFlows = maxFlows;
        this.maxPayload = mtu - IPV4_UDP_HEADERS;
        loop.every(1_000_000_000L, () -> expire(System.nanoTime()));
    }

    /**
     * Takes one guest UDP packet for a destination the gateway does not serve itself. The caller keeps the buffers.
     *
     * @return true (the packet is always consumed: sent, or dropped and counted)
     */
    public boolean forward(EthernetFrame frame, Ipv4Packet packet, long now) {
        UdpPacket udp = UdpPacket.checked(packet.buffer(), packet.payloadOffset(), packet.payloadLength()).orNull();
        if (udp == null || !udp.verifyChecksum(packet.source(), packet.destination()) || udp.dstPort() == 0
                || packet.isFragment()) {
            counters.dropsBadPacket++;
            return true;
        }
        UdpFlowKey key = new UdpFlowKey(new Ipv4Address(packet.source()), udp.srcPort(),
                new Ipv4Address(packet.destination()), udp.dstPort());
        UdpFlow flow = flows.get(key);
        if (flow == null) {
            flow = open(key, MacAddress.of(frame.source()), now);
            if (flow == null) {
                return true;
            }
        }
        ByteBuf payload = udp.payload();
        flow.toHost(MacAddress.of(frame.source()), payload.nioBuffer(), now);
        return true;
    }

    private UdpFlow open(UdpFlowKey key, MacAddress guestMac, long now) {
        Ipv4Address real = policy.translate(key.destination());
        if (real == null) {
            counters.dropsPolicy++;
            return null;
        }
        if (flows.size() >= maxFlows) {
            counters.dropsFlowLimit++;
            return null;
        }
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open();
            ch.configureBlocking(false);
            ch.connect(new InetSocketAddress(real.toInetAddress(), key.destinationPort()));
            UdpFlow flow = new UdpFlow(key, guestMac, ch, lan, receiveBuffer, maxPayload, this, now);
            loop.register(ch, SelectionKey.OP_READ, flow);
            flows.put(key, flow);
            counters.flowsOpened++;
            LOG.log(System.Logger.Level.DEBUG, key + " -> " + real + ":" + key.destinationPort());
            return flow;
        } catch (IOException e) {
            counters.hostErrors++;
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // giving up on it anyway
                }
            }
            return null;
        }
    }

    /** Closes flows idle since before {@code now - idleTimeout}. */
    void expire(long now) {
        List<UdpFlow> idle = new ArrayList<>();
        for (UdpFlow f : flows.values()) {
            if (now - f.lastActive > idleTimeoutNanos) {
                idle.add(f);
            }
        }
        for (UdpFlow f : idle) {
            flows.remove(f.key);
            loop.unregister(f);
            f.shutdown();
        }
    }

    /** Open flows. */
    public int size() {
        return flows.size();
    }

    /** The counters (live). */
    public Counters counters() {
        return counters;
    }
}
