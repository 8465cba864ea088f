package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static io.userv2.switchd.transport.TransportHarness.MAX_FRAME;
import static io.userv2.switchd.transport.TransportHarness.WAIT;
import static io.userv2.switchd.transport.TransportHarness.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.port.Port;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** {@code --listen-vfkit unixgram://PATH}: vfkit-style peers on one SOCK_DGRAM socket, against a stream VM. */
class UnixgramDatagramTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long S = 0x525555000003L;

    @TempDir
    Path dir;
    TransportHarness h;
    UnixgramTransport t;

    Path sock() {
        return dir.resolve("vfkit.sock");
    }

    void start() throws Exception {
        h = new TransportHarness(dir);
        t = UnixgramTransport.open(sock(), h.ports);
        h.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** A vfkit-like client: binds its own path and connects to ours. */
    PacketVm vfkit(String name) throws IOException {
        AFUNIXDatagramChannel ch = AFUNIXDatagramChannel.open();
        ch.bind(AFUNIXSocketAddress.of(dir.resolve(name)));
        ch.connect(AFUNIXSocketAddress.of(sock()));
        return new PacketVm(ch);
    }

    @Test
    void framesCrossBothWaysBroadcastFloodsUnicastFollowsLearning() throws Exception {
        start();
        try (PacketVm a = vfkit("a.sock"); PacketVm b = vfkit("b.sock");
                TransportHarness.StreamVm s = h.connectStream()) {
            a.send("VFKT".getBytes(StandardCharsets.US_ASCII)); // the old handshake: makes the port, not switched
            assertTrue(h.await(() -> t.peers().size() == 1, WAIT));
            byte[] fromB = frame(BROADCAST, B, 1, 60);
            b.send(fromB);
            assertArrayEquals(fromB, s.receive(WAIT));
            assertArrayEquals(fromB, a.receive(WAIT), "broadcast reaches the other datagram peer");
            byte[] fromS = frame(A, S, 2, 1514);
            s.send(fromS);
            assertArrayEquals(fromS, b.receive(WAIT), "unknown unicast floods");
            assertArrayEquals(fromS, a.receive(WAIT));
            byte[] toS = frame(S, A, 3, 100);
            a.send(toS);
            assertArrayEquals(toS, s.receive(WAIT));
            // Now A is learned: a unicast to A must not reach B; B's next packet is a later broadcast marker.
            s.send(frame(A, S, 4, 60));
            assertArrayEquals(frame(A, S, 4, 60), a.receive(WAIT));
            byte[] marker = frame(BROADCAST, S, 5, 60);
            s.send(marker);
            assertArrayEquals(marker, b.receive(WAIT));
            assertEquals(2, (int) h.onLoop(() -> t.peers().size()));
            long runts = h.onLoop(() -> t.peers().stream().mapToLong(p -> p.counters().dropsRunt()).sum());
            assertEquals(0L, runts, "the VFKT handshake is not a runt frame");
        }
    }

    @Test
    void garbageIsCountedNotFatal() throws Exception {
        start();
        try (PacketVm a = vfkit("a.sock"); TransportHarness.StreamVm s = h.connectStream();
                AFUNIXDatagramChannel unbound = AFUNIXDatagramChannel.open()) {
            a.send(frame(BROADCAST, A, 1, 60));
            assertArrayEquals(frame(BROADCAST, A, 1, 60), s.receive(WAIT));
            a.send(frame(BROADCAST, A, 2, MAX_FRAME + 100)); // oversize
            a.send(new byte[5]); // runt
            unbound.send(ByteBuffer.wrap(frame(BROADCAST, B, 3, 60)), AFUNIXSocketAddress.of(sock())); // no reply address
            byte[] ok = frame(BROADCAST, A, 4, MAX_FRAME);
            a.send(ok);
            assertArrayEquals(ok, s.receive(WAIT), "the oversize, runt and unaddressed ones were dropped");
            assertTrue(h.await(() -> t.dropsUnaddressed() == 1, WAIT));
            Port pa = h.onLoop(() -> t.peers().get(0));
            assertEquals(1L, (long) h.onLoop(() -> pa.counters().framingErrors()));
            assertEquals(1L, (long) h.onLoop(() -> pa.counters().dropsRunt()));
            assertEquals(2L, (long) h.onLoop(() -> pa.counters().framesIn()));
        }
    }

    @Test
    void peerThatVanishesIsRemovedAtTheNextSend() throws Exception {
        start();
        try (TransportHarness.StreamVm s = h.connectStream()) {
            PacketVm a = vfkit("a.sock");
            a.send(frame(BROADCAST, A, 1, 60));
            assertArrayEquals(frame(BROADCAST, A, 1, 60), s.receive(WAIT));
            assertEquals(2, (int) h.onLoop(() -> h.sw.ports().size()));
            a.close();
            Files.delete(dir.resolve("a.sock"));
            s.send(frame(A, S, 2, 60));
            assertTrue(h.await(() -> t.peers().isEmpty() && h.sw.ports().size() == 1, WAIT));
            // It may come back, as a new port.
            try (PacketVm again = vfkit("a.sock")) {
                again.send(frame(BROADCAST, A, 3, 60));
                assertArrayEquals(frame(BROADCAST, A, 3, 60), s.receive(WAIT));
                s.send(frame(A, S, 4, 60));
                assertArrayEquals(frame(A, S, 4, 60), again.receive(WAIT));
            }
        }
    }

    @Test
    void manyFramesBothWaysArriveInOrder() throws Exception {
        start();
        try (PacketVm a = vfkit("a.sock"); TransportHarness.StreamVm s = h.connectStream()) {
            a.send(frame(BROADCAST, A, 0, 60));
            assertArrayEquals(frame(BROADCAST, A, 0, 60), s.receive(WAIT));
            s.send(frame(BROADCAST, S, 0, 60));
            assertArrayEquals(frame(BROADCAST, S, 0, 60), a.receive(WAIT));
            for (int i = 1; i <= 500; i++) {
                s.send(frame(A, S, i, 1514));
            }
            for (int i = 1; i <= 500; i++) {
                assertArrayEquals(frame(A, S, i, 1514), a.receive(WAIT), "frame " + i);
            }
            for (int i = 1; i <= 200; i++) {
                a.send(frame(S, A, i, 1000));
                assertArrayEquals(frame(S, A, i, 1000), s.receive(WAIT), "frame " + i);
            }
        }
    }

    @Test
    void peerThatDoesNotReadGetsDropsCountedAndRecovers() throws Exception {
        start();
        try (PacketVm a = vfkit("a.sock"); TransportHarness.StreamVm s = h.connectStream()) {
            a.send(frame(BROADCAST, A, 0, 60));
            assertArrayEquals(frame(BROADCAST, A, 0, 60), s.receive(WAIT));
            // Far more than the kernel buffers plus our egress limit hold: sends block, then the queue overflows.
            int sent = 12_000;
            for (int i = 1; i <= sent; i++) {
                s.send(frame(A, S, i & 0xff, 1514));
            }
            Port pa = h.onLoop(() -> t.peers().get(0));
            assertTrue(h.await(() -> pa.counters().framesOut() + pa.counters().dropsQueueFull() == sent + 0L, WAIT));
            long dropped = h.onLoop(() -> pa.counters().dropsQueueFull());
            assertTrue(dropped > 0, "a peer that does not read costs drops, not memory");
            // Now it reads: what was queued arrives in order, then new traffic flows again.
            long delivered = sent - dropped;
            for (long i = 1; i <= delivered; i++) {
                byte[] f = a.receive(WAIT);
                assertEquals(1514, f.length);
            }
            s.send(frame(A, S, 7, 99));
            assertArrayEquals(frame(A, S, 7, 99), a.receive(WAIT));
            assertFalse(h.onLoop(pa::isClosed));
        }
    }

    @Test
    void socketFileRemovedOnCloseStaleReplacedLiveRefused() throws Exception {
        // A stale file: bound by a socket that is gone.
        AFUNIXDatagramChannel stale = AFUNIXDatagramChannel.open();
        stale.bind(AFUNIXSocketAddress.of(sock()));
        stale.close();
        assertTrue(Files.exists(sock()));
        start();
        assertThrows(IOException.class, () -> UnixgramTransport.open(sock(), h.ports), "a live socket is refused");
        assertTrue(Files.exists(sock()));
        h.close();
        assertFalse(Files.exists(sock()), "removed at shutdown");
        h = null;
    }
}
