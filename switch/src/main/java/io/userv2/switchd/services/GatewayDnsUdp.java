package io.userv2.switchd.services;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsTransport;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.UdpDatagram;
import io.userv2.stack.gateway.UdpService;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.loop.EventLoop;

/**
 * DNS over UDP at the gateway: each datagram to port 53 goes to the {@link DnsServer}; its answer (which may come
 * later, from a resolver thread) is sent back from the loop thread, from the gateway's address and port 53.
 *
 * <p>Answers are limited to what fits one unfragmented datagram on the LAN ({@code mtu - 28} bytes, or less when the
 * client's EDNS0 size says so); larger ones come back truncated with TC set so the client retries over TCP.
 */
public final class GatewayDnsUdp implements UdpService {
    /** DNS port (RFC 1035 4.2.1). */
    public static final int PORT = 53;
    /**
     * Most queries one VM port may have waiting for an answer; more are dropped (the client retries, as after any
     * lost datagram). A stub resolver has a handful outstanding; this keeps one VM from filling the resolver's
     * threads and queue for everyone.
     */
    static final int MAX_OUTSTANDING_PER_PORT = 128;
    private static final int IPV4_UDP_HEADERS = 28;

    private final DnsServer dns;
    private final Gateway gateway;
    private final EventLoop loop;
    private final DnsTransport transport;
    /** Queries waiting for an answer, per switch port (loop thread only). */
    private final java.util.Map<Integer, int[]> outstanding = new java.util.HashMap<>();
    private long droppedAtPortCap;

    /** Answers for {@code gateway}, using {@code dns}; replies are sent on {@code loop}. */
    public GatewayDnsUdp(DnsServer dns, Gateway gateway, EventLoop loop, int mtu) {
        this.dns = dns;
        this.gateway = gateway;
        this.loop = loop;
        this.transport = DnsTransport.udp(mtu - IPV4_UDP_HEADERS);
    }

    @Override
    public void datagram(UdpDatagram d, long nowNanos) {
        int[] waiting = outstanding.computeIfAbsent(d.ingress(), p -> new int[1]);
        if (waiting[0] >= MAX_OUTSTANDING_PER_PORT) {
            droppedAtPortCap++;
            return;
        }
        waiting[0]++;
        ByteBuf payload = d.payload();
        byte[] query = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), query);
        MacAddress clientMac = d.srcMac();
        Ipv4Address client = d.srcIp();
        int clientPort = d.srcPort();
        Ipv4Address server = d.broadcast() ? gateway.ip() : d.dstIp();
        int port = d.ingress();
        // whenComplete, not thenAccept: a failed lookup must give its slot back too, or the port would stay at its cap.
        dns.answer(query, 0, query.length, transport).whenComplete((answer, error) -> {
            Runnable reply = () -> {
                int[] w = outstanding.get(port);
                if (w != null && --w[0] <= 0) {
                    outstanding.remove(port);
                }
                if (answer != null && answer.length > 0) { // else dropped (counted by the DNS server)
                    gateway.sendUdp(clientMac, server, PORT, client, clientPort, Unpooled.wrappedBuffer(answer));
                }
            };
            if (loop.inLoop()) {
                reply.run();
            } else {
                loop.execute(reply);
            }
        });
    }

    /** Queries dropped because their VM port had {@link #MAX_OUTSTANDING_PER_PORT} waiting already. */
    public long droppedAtPortCap() {
        return droppedAtPortCap;
    }
}
