package io.userv2.switchd.nat;

import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.UdpSender;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.IoHandler;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;

/**
 * The host side of one guest UDP flow: a datagram socket connected to the translated destination. Datagrams from the
 * guest are sent on it; datagrams it receives are sent back to the guest from the address it originally talked to.
 * Lives on the event loop.
 */
final class UdpFlow implements IoHandler {
    private static final System.Logger LOG = System.getLogger(UdpFlow.class.getName());
    private static final int DATAGRAMS_PER_EVENT = 64;

    final UdpFlowKey key;
    private final DatagramChannel channel;
    private final UdpSender lan;
    private final ByteBuffer receiveBuffer;
    private final int maxPayload;
    private final UdpNat owner;
    private MacAddress guestMac;
    long lastActive;

    UdpFlow(UdpFlowKey key, MacAddress guestMac, DatagramChannel channel, UdpSender lan, ByteBuffer receiveBuffer,
            int maxPayload, UdpNat owner, long now) {
        this.key = key;
        this.guestMac = guestMac;
        this.channel = channel;
        this.lan = lan;
        this.receiveBuffer = receiveBuffer;
        this.maxPayload = maxPayload;
        this.owner = owner;
        this.lastActive = now;
    }

    /** Sends one guest datagram to the host; the caller keeps {@code payload}. */
    void toHost(MacAddress from, ByteBuffer payload, long now) {
        guestMac = from;
        lastActive = now;
        try {
            if (channel.write(payload) == 0) {
                owner.counters().dropsHostBusy++;
            } else {
                owner.counters().datagramsToHost++;
            }
        } catch (IOException e) {
            // ICMP errors from the host side (port unreachable) surface here; UDP is unreliable: count and go on.
            owner.counters().hostErrors++;
        }
    }

    @Override
    public void ready(SelectionKey k) {
        for (int i = 0; i < DATAGRAMS_PER_EVENT; i++) {
            receiveBuffer.clear();
            int n;
            try {
                n = channel.read(receiveBuffer);
            } catch (IOException e) {
                owner.counters().hostErrors++;
                return;
            }
            if (n <= 0) {
                return;
            }
            lastActive = System.nanoTime();
            if (n > maxPayload) {
                owner.counters().dropsTooBig++; // would need IP fragmentation on the LAN
                continue;
            }
            receiveBuffer.flip();
            lan.sendUdp(guestMac, key.destination(), key.destinationPort(), key.guest(), key.guestPort(),
                    Unpooled.wrappedBuffer(receiveBuffer));
            owner.counters().datagramsToGuest++;
        }
    }

    @Override
    public void shutdown() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, key + ": close: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
