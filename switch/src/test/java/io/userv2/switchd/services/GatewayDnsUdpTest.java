package io.userv2.switchd.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.dns.DnsConfig;
import io.userv2.dns.DnsServer;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.UdpDatagram;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.loop.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * DNS over UDP at the gateway accounts the queries waiting for an answer to the VM port they came from: a port with
 * {@link GatewayDnsUdp#MAX_OUTSTANDING_PER_PORT} waiting has further queries dropped and counted, while another
 * port's queries are taken, and every answered (or failed) lookup gives its slot back.
 */
class GatewayDnsUdpTest {
    static final MacAddress GATEWAY_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");

    @Test
    void onePortAtItsCapLeavesTheOthersAlone(@TempDir Path dir) throws Exception {
        CountDownLatch hostResolverHeld = new CountDownLatch(1);
        Path resolv = Files.writeString(dir.resolve("resolv.conf"), "search example.test\n");
        java.net.DatagramSocket closed = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
        InetSocketAddress nowhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.getLocalPort());
        closed.close();
        DnsConfig config = DnsConfig.builder().resolvConf(resolv).upstreams(List.of(nowhere))
                .fallbackUpstreams(List.of(nowhere))
                .hostAlias("host.lima.internal", GATEWAY.toInetAddress())
                .hostResolver(name -> {
                    try {
                        hostResolverHeld.await(30, TimeUnit.SECONDS); // every external lookup waits here
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return List.of();
                })
                .hostLookupTimeout(Duration.ofSeconds(30)).forwardTimeout(Duration.ofMillis(500),
                        Duration.ofMillis(250))
                .workers(2, 1000).build();
        ConcurrentLinkedQueue<String> repliesTo = new ConcurrentLinkedQueue<>();
        EventLoop loop = new EventLoop();
        Gateway gateway = new Gateway(GATEWAY_MAC, GATEWAY, Ipv4Subnet.parse("192.168.104.0/24"), frame -> {
            repliesTo.add(MacAddress.format(MacAddress.read(frame, frame.readerIndex())));
            frame.release();
        });
        try (DnsServer dns = DnsServer.create(config)) {
            GatewayDnsUdp service = new GatewayDnsUdp(dns, gateway, loop, 1500);
            Thread t = new Thread(loop::run, "test-loop");
            t.start();
            try {
                for (int i = 0; i < 200; i++) {
                    int id = i;
                    onLoop(loop, () -> {
                        service.datagram(query("vm7", 7, "slow" + id + ".test", id), 0);
                        return null;
                    });
                }
                assertEquals(200 - GatewayDnsUdp.MAX_OUTSTANDING_PER_PORT,
                        (long) onLoop(loop, service::droppedAtPortCap), "port 7 is held at its cap");
                onLoop(loop, () -> {
                    service.datagram(query("vm8", 8, "host.lima.internal", 9999), 0);
                    return null;
                });
                awaitCondition(() -> repliesTo.contains("52:55:55:00:00:08"), "port 8 is answered meanwhile");
                assertEquals(200 - GatewayDnsUdp.MAX_OUTSTANDING_PER_PORT,
                        (long) onLoop(loop, service::droppedAtPortCap), "nothing of port 8 dropped");

                hostResolverHeld.countDown(); // the lookups fail upstream (SERVFAIL): every slot comes back
                awaitCondition(() -> repliesTo.stream().filter("52:55:55:00:00:07"::equals).count()
                        == GatewayDnsUdp.MAX_OUTSTANDING_PER_PORT, "port 7's waiting queries all answered");
                for (int i = 0; i < 10; i++) {
                    int id = 1000 + i;
                    onLoop(loop, () -> {
                        service.datagram(query("vm7", 7, "again" + id + ".test", id), 0);
                        return null;
                    });
                }
                assertEquals(200 - GatewayDnsUdp.MAX_OUTSTANDING_PER_PORT,
                        (long) onLoop(loop, service::droppedAtPortCap), "port 7 may ask again");
            } finally {
                hostResolverHeld.countDown();
                loop.stop();
                t.join(10_000);
            }
        }
    }

    private static UdpDatagram query(String vm, int port, String name, int id) {
        Message m = Message.newQuery(Record.newRecord(Name.fromConstantString(name + "."), Type.A, DClass.IN));
        m.getHeader().setID(id);
        ByteBuf payload = Unpooled.wrappedBuffer(m.toWire());
        String mac = vm.equals("vm7") ? "52:55:55:00:00:07" : "52:55:55:00:00:08";
        return new UdpDatagram(MacAddress.parse(mac), Ipv4Address.parse("192.168.104." + port), 5353, GATEWAY, 53,
                false, payload, port);
    }

    private static <T> T onLoop(EventLoop loop, Supplier<T> work) throws Exception {
        CompletableFuture<T> done = new CompletableFuture<>();
        loop.execute(() -> done.complete(work.get()));
        return done.get(10, TimeUnit.SECONDS);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - end < 0, what + " within 20 s");
            Thread.sleep(5); // polling a condition with a deadline
        }
    }
}
