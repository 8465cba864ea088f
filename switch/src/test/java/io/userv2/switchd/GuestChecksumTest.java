package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.SwitchConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guest TCP checksums through the whole switch: trusted by default (frames from VMs come over memory, as with a NIC's
 * receive checksum offload), verified with {@code --verify-checksums}, and what {@code /stats} says of both. The host
 * services are listeners on 127.0.0.1, reached through the host alias (the gateway's address).
 */
class GuestChecksumTest {
    static final long WAIT = 5_000;
    static final MacAddress VM = MacAddress.parse("52:55:55:00:00:09");
    static final Ipv4Address VM_IP = Ipv4Address.parse("192.168.104.9");
    static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");

    @TempDir
    Path dir;
    VirtualNetwork net;

    @AfterEach
    void tearDown() {
        if (net != null) {
            net.close();
        }
    }

    void start(boolean verify) throws IOException {
        net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(dir.resolve("net.sock"))),
                SwitchConfig.DEFAULT_SUBNET, GATEWAY, SwitchConfig.DEFAULT_GATEWAY_MAC, 1500, null)
                .withIpv6(Ipv6Settings.OFF) // no Router Advertisements among the frames read
                .withVerifyChecksums(verify));
        net.start();
    }

    static ServerSocketChannel hostService() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.configureBlocking(false);
        return s;
    }

    /** A SYN from the VM to the host alias at {@code port}, with its TCP checksum right or spoiled. */
    static byte[] syn(int srcPort, int port, boolean spoiled) {
        TcpHeader tcp = new TcpHeader().start(srcPort, port, TcpControl.SYN, 1000).setWindow(65535)
                .setMaxSegmentSize(1460);
        int tcpLength = tcp.headerLength();
        ByteBuf b = Unpooled.buffer(14 + 20 + tcpLength);
        new EthernetRepr(SwitchConfig.DEFAULT_GATEWAY_MAC, VM, EtherType.IPV4).emit(b, 0);
        Ipv4Repr.writeHeader(b, 14, VM_IP.bits(), GATEWAY.bits(), IpProtocol.TCP_NUMBER, 20 + tcpLength, 64, 1, 0x4000,
                0);
        tcp.emit(b, 34, VM_IP.bits(), GATEWAY.bits());
        if (spoiled) {
            b.setShort(34 + 16, ~b.getUnsignedShort(34 + 16));
        }
        byte[] out = new byte[b.capacity()];
        b.getBytes(0, out);
        return out;
    }

    /** The source port of the next SYN-ACK the gateway sends the VM (other frames are skipped). */
    static int nextSynAckFrom(VmClient vm) throws Exception {
        while (true) {
            ByteBuffer f = ByteBuffer.wrap(vm.receive(WAIT));
            if (f.getShort(12) == 0x0800 && f.get(14 + 9) == 6 && (f.get(34 + 13) & 0x12) == 0x12) {
                return f.getShort(34) & 0xffff;
            }
        }
    }

    @Test
    void aSpoiledChecksumIsTrustedByDefault() throws Exception {
        start(false);
        try (ServerSocketChannel host = hostService(); VmClient vm = VmClient.connect(dir.resolve("net.sock"))) {
            int port = host.socket().getLocalPort();
            vm.send(syn(40_001, port, true));
            assertEquals(port, nextSynAckFrom(vm), "the SYN was taken as it is: dialled and answered");
            try (var accepted = host.accept()) {
                assertTrue(accepted != null && accepted.isConnected(), "the host service has the connection");
            }
            Map<String, Object> nat = nat();
            assertEquals(false, nat.get("tcpChecksumsVerified"));
            assertEquals(0L, ((Number) nat.get("tcpBadSegments")).longValue());
        }
    }

    @Test
    void withVerifyChecksumsASpoiledSegmentIsDroppedAndCountedAndAGoodOneStillPasses() throws Exception {
        start(true);
        try (ServerSocketChannel spoiledTo = hostService(); ServerSocketChannel goodTo = hostService();
                VmClient vm = VmClient.connect(dir.resolve("net.sock"))) {
            vm.send(syn(40_002, spoiledTo.socket().getLocalPort(), true));
            vm.send(syn(40_003, goodTo.socket().getLocalPort(), false));
            // Frames from one port are handled in order: once the good SYN is answered, the spoiled one was handled.
            assertEquals(goodTo.socket().getLocalPort(), nextSynAckFrom(vm), "only the good SYN is answered");
            try (var accepted = goodTo.accept()) {
                assertTrue(accepted != null && accepted.isConnected());
            }
            assertNull(spoiledTo.accept(), "nothing was dialled for the spoiled SYN");
            Map<String, Object> nat = nat();
            assertEquals(true, nat.get("tcpChecksumsVerified"));
            assertEquals(1L, ((Number) nat.get("tcpBadSegments")).longValue());
        }
    }

    /** The {@code nat} part of {@code /stats}, collected on the loop thread. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> nat() throws Exception {
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        net.loop().execute(() -> f.complete(NetworkStats.collect(net)));
        return (Map<String, Object>) f.get(WAIT, TimeUnit.MILLISECONDS).get("nat");
    }
}
