package io.userv2.switchd.services;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsTransport;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Udp6Datagram;
import io.userv2.stack.gateway.Udp6Service;
import io.userv2.stack.gateway.UdpDatagram;
import io.userv2.stack.gateway.UdpService;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.loop.EventLoop;
import java.util.function.Consumer;

/**
 * DNS over UDP at the gateway, over IPv4 and (once bound with {@link GatewayIpv6#bindUdp}) IPv6: each datagram to
 * port 53 goes to the {@link DnsServer}; its answer (which may come later, from a resolver thread) is sent back from
 * the loop thread, from the address the query went to and port 53.
 *
 * <p>Answers are limited to what fits one unfragmented datagram on the LAN ({@code mtu - 28} bytes over IPv4,
 * {@code mtu - 48} over IPv6, or less when the client's EDNS0 size says so); larger ones come back truncated with TC
 * set so the client retries over TCP (which over IPv6 waits for NAT66: the gateway resets it until then).
 */
public final class GatewayDnsUdp implements UdpService, Udp6Service {
    /** DNS port (RFC 1035 4.2.1). */
    public static final int PORT = 53;
    /**
     * Most queries one VM port may have waiting for an answer; more are dropped (the client retries, as after any
     * lost datagram). A stub resolver has a handful outstanding; this keeps one VM from filling the resolver's
     * threads and queue for everyone.
     */
    static final int MAX_OUTSTANDING_PER_PORT = 128;
    private static final int IPV4_UDP_HEADERS = 28;
    private static final int IPV6_UDP_HEADERS = 48;

    private final DnsServer dns;
    private final Gateway gateway;
    private final EventLoop loop;
    private final DnsTransport transport;
    private final DnsTransport transport6;
    /** Queries waiting for an answer, per switch port (loop thread only). */
    private final java.util.Map<Integer, int[]> outstanding = new java.util.HashMap<>();
    private long droppedAtPortCap;

    /** Answers for {@code gateway}, using {@code dns}; replies are sent on {@code loop}. */
    public GatewayDnsUdp(DnsServer dns, Gateway gateway, EventLoop loop, int mtu) {
        this.dns = dns;
        this.gateway = gateway;
        this.loop = loop;
        this.transport = DnsTransport.udp(mtu - IPV4_UDP_HEADERS);
        this.transport6 = DnsTransport.udp(mtu - IPV6_UDP_HEADERS);
    }

    @Override
    public void datagram(UdpDatagram d, long nowNanos) {
        MacAddress clientMac = d.srcMac();
        Ipv4Address client = d.srcIp();
        int clientPort = d.srcPort();
        Ipv4Address server = d.broadcast() ? gateway.ip() : d.dstIp();
        query(d.payload(), d.ingress(), transport, answer ->
                gateway.sendUdp(clientMac, server, PORT, client, clientPort, Unpooled.wrappedBuffer(answer)));
    }

    @Override
    public void datagram(Udp6Datagram d, long nowNanos) {
        GatewayIpv6 v6 = gateway.ipv6();
        MacAddress clientMac = d.srcMac();
        Ipv6Address client = d.src();
        int clientPort = d.srcPort();
        Ipv6Address server = d.multicast() ? v6.sourceFor(client) : d.dst();
        query(d.payload(), d.ingress(), transport6, answer ->
                v6.sendUdp(clientMac, server, PORT, client, clientPort, Unpooled.wrappedBuffer(answer)));
    }

    /**
     * Asks the DNS server; {@code reply} sends its answer, on the loop thread. At most
     * {@link #MAX_OUTSTANDING_PER_PORT} queries of one port wait; beyond, the query is dropped and counted.
     */
    private void query(ByteBuf payload, int port, DnsTransport via, Consumer<byte[]> reply) {
        int[] waiting = outstanding.computeIfAbsent(port, p -> new int[1]);
        if (waiting[0] >= MAX_OUTSTANDING_PER_PORT) {
            droppedAtPortCap++;
            return;
        }
        waiting[0]++;
        byte[] query = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), query);
        // whenComplete, not thenAccept: a failed lookup must give its slot back too, or the port would stay at its cap.
        dns.answer(query, 0, query.length, via).whenComplete((answer, error) -> {
            Runnable send = () -> {
                int[] w = outstanding.get(port);
                if (w != null && --w[0] <= 0) {
                    outstanding.remove(port);
                }
                if (answer != null && answer.length > 0) { // else dropped (counted by the DNS server)
                    reply.accept(answer);
                }
            };
            if (loop.inLoop()) {
                send.run();
            } else {
                loop.execute(send);
            }
        });
    }

    /** Queries dropped because their VM port had {@link #MAX_OUTSTANDING_PER_PORT} waiting already. */
    public long droppedAtPortCap() {
        return droppedAtPortCap;
    }
}
