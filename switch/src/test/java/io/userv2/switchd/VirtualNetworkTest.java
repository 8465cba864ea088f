package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.state.ForwardsFile;
import io.userv2.switchd.state.StateWriter;
import io.userv2.switchd.switching.Frames;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole switch in-process, driven by fake VMs over real unix and TCP sockets. */
class VirtualNetworkTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long C = 0x525555000003L;
    static final long BROADCAST = 0xFFFFFFFFFFFFL;
    static final long WAIT = 5_000;

    @TempDir
    Path dir;
    VirtualNetwork net;

    VirtualNetwork start(List<ListenAddress> listen, int mtu, Path pcap) throws IOException {
        net = VirtualNetwork.create(new SwitchConfig(listen, SwitchConfig.DEFAULT_SUBNET,
                Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC, mtu, pcap)
                .withIpv6(Ipv6Settings.OFF)); // these clients read every frame: no Router Advertisements among them
        net.start();
        return net;
    }

    Path sock() {
        return dir.resolve("net.sock");
    }

    @AfterEach
    void tearDown() {
        if (net != null) {
            net.close();
        }
    }

    static byte[] frame(long dst, long src, int tag, int length) {
        ByteBuf b = Frames.frame(dst, src, tag, length);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    @Test
    void broadcastFloodsThenUnicastFollowsLearnedPort() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 1500, null);
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock());
                VmClient c = VmClient.connect(sock())) {
            byte[] hello = frame(BROADCAST, A, 1, 60);
            a.send(hello);
            assertArrayEquals(hello, b.receive(WAIT));
            assertArrayEquals(hello, c.receive(WAIT));
            byte[] reply = frame(A, B, 2, 100);
            b.send(reply);
            assertArrayEquals(reply, a.receive(WAIT));
            // c must not see the unicast: the next thing it sees is a later broadcast marker.
            byte[] marker = frame(BROADCAST, B, 3, 60);
            b.send(marker);
            assertArrayEquals(marker, c.receive(WAIT));
            assertArrayEquals(marker, a.receive(WAIT));
        }
    }

    /**
     * One write of more small frames than a port may switch in three loop iterations (its budget is 2048 frames per
     * iteration): all of them arrive, in order, although the socket is empty long before the read buffer is.
     * (The port's deferred resume could find the budget already spent in its iteration, by a read the socket's
     * readiness started, and then scheduled no further resume: the rest of the buffer waited for the VM to send
     * again. SwitchPathBenchmark's 64-byte batch hung on it.)
     */
    @Test
    void aBurstLargerThanSeveralBudgetsArrivesWhole() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 65520, null); // a read buffer of 320 KiB, as for QEMU's MTU
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock())) {
            byte[] learnB = frame(BROADCAST, B, 0, 60);
            b.send(learnB);
            assertArrayEquals(learnB, a.receive(WAIT));
            a.sendBuffer(4 << 20); // the whole burst sits in the socket before the switch reads any of it
            int count = 8000;
            ByteBuffer burst = ByteBuffer.allocate(count * (4 + 64));
            for (int i = 1; i <= count; i++) {
                burst.putInt(64).put(frame(B, A, i, 64));
            }
            a.writeRaw(burst.flip());
            for (int i = 1; i <= count; i++) {
                assertArrayEquals(frame(B, A, i, 64), b.receive(WAIT), "frame " + i + " of " + count);
            }
        }
    }

    @Test
    void frameSplitIntoSingleBytesArrivesWhole() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 1500, null);
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock())) {
            byte[] f = frame(BROADCAST, A, 9, 1514);
            ByteBuffer wire = ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).flip();
            for (int i = 0; i < wire.limit(); i++) {
                a.writeRaw(ByteBuffer.wrap(new byte[] {wire.get(i)}));
            }
            assertArrayEquals(f, b.receive(WAIT));
        }
    }

    @Test
    void jumboFramesUpToTheMtuPass() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 65520, null);
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock())) {
            for (int i = 0; i < 50; i++) {
                byte[] f = frame(BROADCAST, A, i, 65520 + 14);
                a.send(f);
                assertArrayEquals(f, b.receive(WAIT), "frame " + i);
            }
        }
    }

    /**
     * A burst of jumbo and small frames, more than the switch's socket towards the receiver holds (it reads nothing
     * until the whole burst is in): the rest waits in the receiver's queue, and every frame arrives whole and in order.
     */
    @Test
    void jumboAndSmallFramesQueuedForAReceiverThatFallsBehindArriveInOrder() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 65520, null);
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock())) {
            byte[] learnB = frame(BROADCAST, B, 0, 60);
            b.send(learnB);
            assertArrayEquals(learnB, a.receive(WAIT));
            int[] sizes = {65534, 60, 20_000, 1514, 65534, 16_384, 65534, 65534};
            int count = 40; // 1.5 MB: more than the switch's socket towards b holds, less than its queue
            for (int i = 1; i <= count; i++) {
                a.send(frame(B, A, i, sizes[i % sizes.length]));
            }
            for (int i = 1; i <= count; i++) {
                assertArrayEquals(frame(B, A, i, sizes[i % sizes.length]), b.receive(WAIT), "frame " + i);
            }
        }
    }

    @Test
    void badLengthPrefixCutsOffOnlyTheOffender() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 1500, null);
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock());
                VmClient bad = VmClient.connect(sock()); VmClient zero = VmClient.connect(sock())) {
            bad.writeRaw(ByteBuffer.allocate(4).putInt(0, 0x7fffffff));
            assertTrue(bad.awaitEof(WAIT), "absurd length prefix closes the connection");
            zero.writeRaw(ByteBuffer.allocate(64).putInt(0, 0));
            assertTrue(zero.awaitEof(WAIT), "zero length prefix closes the connection");
            byte[] f = frame(BROADCAST, A, 1, 60);
            a.send(f);
            assertArrayEquals(f, b.receive(WAIT));
        }
    }

    @Test
    void gatewayAnswersArpForItsAddress() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 1500, null);
        try (VmClient a = VmClient.connect(sock())) {
            // ARP request (RFC 826) who-has 192.168.104.2 tell 192.168.104.3, padded to 60 bytes.
            ByteBuffer arp = ByteBuffer.allocate(60);
            arp.putShort((short) 0xffff).putInt(-1).putShort((short) 0x5255).putInt(0x55000001).putShort((short) 0x0806)
                    .putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1)
                    .putShort((short) 0x5255).putInt(0x55000001).put(new byte[] {(byte) 192, (byte) 168, 104, 3})
                    .put(new byte[6]).put(new byte[] {(byte) 192, (byte) 168, 104, 2});
            a.send(arp.array());
            ByteBuffer reply = ByteBuffer.wrap(a.receive(WAIT));
            assertEquals(0x525555000001L, ((long) reply.getShort(0) & 0xffff) << 32 | (reply.getInt(2) & 0xffffffffL));
            assertEquals(0x0806, reply.getShort(12) & 0xffff);
            assertEquals(2, reply.getShort(20), "ARP reply");
            assertEquals(SwitchConfig.DEFAULT_GATEWAY_MAC.bits(),
                    ((long) reply.getShort(22) & 0xffff) << 32 | (reply.getInt(24) & 0xffffffffL));
            assertEquals(Ipv4Address.parse("192.168.104.2").bits(), reply.getInt(28));
        }
    }

    @Test
    void tcpListenerCarriesFramesLikeUnix() throws Exception {
        start(List.of(new ListenAddress.Unix(sock()), ListenAddress.parse("tcp://127.0.0.1:0")), 1500, null);
        InetSocketAddress tcp = ((ListenAddress.Tcp) net.boundAddresses().get(1)).address();
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(tcp)) {
            byte[] f = frame(BROADCAST, B, 5, 300);
            b.send(f);
            assertArrayEquals(f, a.receive(WAIT));
            byte[] back = frame(B, A, 6, 300);
            a.send(back);
            assertArrayEquals(back, b.receive(WAIT));
        }
    }

    @Test
    void staleSocketFileIsReplacedAndRemovedAtClose() throws Exception {
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(sock()));
        } // closed: the file stays behind, nobody listens
        assertTrue(Files.exists(sock()));
        start(List.of(new ListenAddress.Unix(sock())), 1500, null);
        try (VmClient a = VmClient.connect(sock())) {
            assertTrue(a.ch.isConnected());
        }
        net.close();
        net = null;
        assertFalse(Files.exists(sock()), "socket file removed at shutdown");
    }

    @Test
    void liveSocketIsRefused() throws Exception {
        start(List.of(new ListenAddress.Unix(sock())), 1500, null);
        IOException e = assertThrows(IOException.class, () -> VirtualNetwork.create(new SwitchConfig(
                List.of(new ListenAddress.Unix(sock())), SwitchConfig.DEFAULT_SUBNET,
                Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC, 1500, null)));
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
        assertTrue(Files.exists(sock()), "the live instance keeps its socket");
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock())) {
            byte[] f = frame(BROADCAST, A, 1, 60);
            a.send(f);
            assertArrayEquals(f, b.receive(WAIT), "first instance still switching");
        }
    }

    @Test
    void captureFileHoldsEverySwitchedFrame() throws Exception {
        Path pcap = dir.resolve("cap.pcap");
        start(List.of(new ListenAddress.Unix(sock())), 1500, pcap);
        try (VmClient a = VmClient.connect(sock()); VmClient b = VmClient.connect(sock())) {
            for (int i = 0; i < 10; i++) {
                byte[] f = frame(BROADCAST, A, i, 60 + i);
                a.send(f);
                b.receive(WAIT);
            }
        }
        net.close();
        net = null;
        try (org.pcap4j.core.PcapHandle h = org.pcap4j.core.Pcaps.openOffline(pcap.toString())) {
            for (int i = 0; i < 10; i++) {
                byte[] got = h.getNextRawPacketEx();
                assertArrayEquals(frame(BROADCAST, A, i, 60 + i), got, "frame " + i);
            }
        }
        assertEquals(MacAddress.of(A).toString(), "52:55:55:00:00:01");
    }

    @Test
    void aForwardExposedJustBeforeCloseIsInTheStateFileAfterIt() throws Exception {
        Path state = dir.resolve("state/forwards.json");
        net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(sock())),
                SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC,
                1500, null, DhcpSettings.EPHEMERAL, DnsSettings.HOST, NatSettings.DEFAULT,
                new ForwardSettings(List.of(), state), null).withIpv6(Ipv6Settings.OFF));
        net.start();
        ForwardSpec ssh = ForwardSpec.of("tcp", "127.0.0.1:0", "192.168.104.3:22");
        java.util.concurrent.CompletableFuture<Void> exposed = new java.util.concurrent.CompletableFuture<>();
        net.loop().execute(() -> {
            try {
                net.forwards().expose(ssh);
                exposed.complete(null);
            } catch (IOException | RuntimeException e) {
                exposed.completeExceptionally(e);
            }
        });
        exposed.get(WAIT, java.util.concurrent.TimeUnit.MILLISECONDS);
        net.close(); // the write may still be pending: shutdown flushes it
        net = null;
        assertEquals(List.of(ssh), new ForwardsFile(state, new StateWriter(Runnable::run, 1_000)).load());
    }
}
