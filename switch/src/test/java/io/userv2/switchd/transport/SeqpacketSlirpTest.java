package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bess transport against a real peer: slirp4netns {@code --target-type=bess}, which is a bess <em>server</em>
 * (it binds, listens and accepts one client) playing the router 10.0.2.2 of its 10.0.2.0/24 network. A fake VM on
 * the switch (10.0.2.100) asks slirp's address by ARP and pings it; slirp answers both itself, so no packet leaves
 * the machine.
 */
class SeqpacketSlirpTest {
    static final long VM = 0x525555000064L;
    static final int VM_IP = 0x0a000264; // 10.0.2.100
    static final int SLIRP_IP = 0x0a000202; // 10.0.2.2
    static final long WAIT = 10_000;

    @TempDir
    Path dir;
    TransportHarness h;
    Process slirp;

    @AfterEach
    void tearDown() throws Exception {
        if (h != null) {
            h.close();
        }
        if (slirp != null) {
            slirp.destroy();
            if (!slirp.waitFor(5, TimeUnit.SECONDS)) {
                slirp.destroyForcibly();
            }
        }
    }

    static boolean slirpInstalled() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "slirp4netns"))) {
                return true;
            }
        }
        return false;
    }

    Path startSlirp() throws Exception {
        assumeTrue(slirpInstalled(), "slirp4netns is not installed");
        Path sock = dir.resolve("slirp-bess.sock");
        slirp = new ProcessBuilder("slirp4netns", "--target-type=bess", "--disable-dns", sock.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("slirp.log").toFile()).start();
        long deadline = System.nanoTime() + WAIT * 1_000_000L;
        while (!Files.exists(sock)) {
            assertTrue(slirp.isAlive(), "slirp4netns exited: " + Files.readString(dir.resolve("slirp.log")));
            assertTrue(System.nanoTime() - deadline < 0, "slirp4netns did not create its socket");
            Thread.sleep(10);
        }
        return sock;
    }

    @Test
    void switchConnectsToSlirpAndAFakeVmResolvesAndPingsIt() throws Exception {
        Path sock = startSlirp();
        h = new TransportHarness(dir);
        SeqpacketTransport bess = SeqpacketTransport.connect(sock, h.ports);
        h.start();
        try (TransportHarness.StreamVm vm = h.connectStream()) {
            talkToSlirp(vm);
        }
        assertEquals(1, (int) h.onLoop(() -> bess.ports().size()));
    }

    @Test
    void slirpRelayedIntoTheListeningSocketWorksToo() throws Exception {
        // UML-style: a bess client joins slirp's server socket to ours, packet for packet.
        Path slirpSock = startSlirp();
        h = new TransportHarness(dir);
        Path ours = dir.resolve("bess.sock");
        SeqpacketTransport listening = SeqpacketTransport.listen(ours, h.ports);
        h.start();
        try (PacketVm toSlirp = SeqpacketTransportTest.bess(slirpSock);
                PacketVm toSwitch = SeqpacketTransportTest.bess(ours);
                TransportHarness.StreamVm vm = h.connectStream()) {
            // The VM's first frame (an ARP broadcast) floods only to ports attached by then.
            assertTrue(h.await(() -> listening.ports().size() == 1, WAIT));
            Thread a = pump(toSlirp, toSwitch);
            Thread b = pump(toSwitch, toSlirp);
            try {
                talkToSlirp(vm);
            } finally {
                a.interrupt();
                b.interrupt();
            }
        }
    }

    private static Thread pump(PacketVm from, PacketVm to) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    to.send(from.receive(200));
                } catch (IOException timeoutOrClosed) {
                    if (!from.ch.isOpen() || !to.ch.isOpen()) {
                        return;
                    }
                }
            }
        }, "bess-relay");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void talkToSlirp(TransportHarness.StreamVm vm) throws Exception {
        vm.send(arpRequest(VM, VM_IP, SLIRP_IP));
        byte[] reply = receiveMatching(vm, f -> etherType(f) == 0x0806 && ByteBuffer.wrap(f).getShort(20) == 2);
        ByteBuffer r = ByteBuffer.wrap(reply);
        long slirpMac = mac(r, 22);
        assertEquals(SLIRP_IP, r.getInt(28), "ARP reply for 10.0.2.2");
        assertEquals(VM, mac(r, 0), "sent to the asking VM");
        assertEquals(VM_IP, r.getInt(38));
        // slirp4netns is now learned: the ping goes to its port only.
        assertEquals(1, (int) h.onLoop(() -> h.sw.portOf(slirpMac) == null ? 0 : 1));
        vm.send(echoRequest(slirpMac, VM, VM_IP, SLIRP_IP, 0x1234, 7));
        byte[] pong = receiveMatching(vm, f -> etherType(f) == 0x0800 && f[23] == 1 && f[34] == 0);
        ByteBuffer p = ByteBuffer.wrap(pong);
        assertEquals(SLIRP_IP, p.getInt(26));
        assertEquals(VM_IP, p.getInt(30));
        assertEquals(0x1234, p.getShort(38) & 0xffff, "echo id");
        assertEquals(7, p.getShort(40) & 0xffff, "echo sequence");
    }

    private static byte[] receiveMatching(TransportHarness.StreamVm vm, Predicate<byte[]> wanted) throws Exception {
        long deadline = System.nanoTime() + WAIT * 1_000_000L;
        while (System.nanoTime() - deadline < 0) {
            byte[] f = vm.receive(WAIT);
            if (wanted.test(f)) {
                return f;
            }
        }
        throw new TimeoutException("no matching frame from slirp4netns");
    }

    static int etherType(byte[] f) {
        return f.length < 14 ? -1 : ByteBuffer.wrap(f).getShort(12) & 0xffff;
    }

    static long mac(ByteBuffer b, int at) {
        return ((b.getShort(at) & 0xffffL) << 32) | (b.getInt(at + 2) & 0xffffffffL);
    }

    static void putMac(ByteBuffer b, long mac) {
        b.putShort((short) (mac >>> 32)).putInt((int) mac);
    }

    static byte[] arpRequest(long srcMac, int srcIp, int targetIp) {
        ByteBuffer b = ByteBuffer.allocate(60);
        putMac(b, BROADCAST);
        putMac(b, srcMac);
        b.putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        putMac(b, srcMac);
        b.putInt(srcIp);
        putMac(b, 0);
        b.putInt(targetIp);
        return b.array();
    }

    static byte[] echoRequest(long dstMac, long srcMac, int srcIp, int dstIp, int id, int seq) {
        int icmpLen = 8 + 32;
        ByteBuffer b = ByteBuffer.allocate(14 + 20 + icmpLen);
        putMac(b, dstMac);
        putMac(b, srcMac);
        b.putShort((short) 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + icmpLen)).putShort((short) 1).putShort((short) 0)
                .put((byte) 64).put((byte) 1).putShort((short) 0).putInt(srcIp).putInt(dstIp);
        b.putShort(ip + 10, (short) checksum(b.array(), ip, 20));
        int icmp = b.position();
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq);
        for (int i = 0; i < 32; i++) {
            b.put((byte) i);
        }
        b.putShort(icmp + 2, (short) checksum(b.array(), icmp, icmpLen));
        return b.array();
    }

    static int checksum(byte[] a, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((a[off + i] & 0xff) << 8) | (a[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (a[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
