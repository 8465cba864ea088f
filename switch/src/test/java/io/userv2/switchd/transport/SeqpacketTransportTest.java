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
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFSocketType;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** {@code --listen-bess unixpacket://PATH}: SOCK_SEQPACKET peers, one port per connection. */
class SeqpacketTransportTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long S = 0x525555000003L;

    @TempDir
    Path dir;
    TransportHarness h;
    SeqpacketTransport t;

    Path sock() {
        return dir.resolve("bess.sock");
    }

    void start() throws Exception {
        h = new TransportHarness(dir);
        t = SeqpacketTransport.listen(sock(), h.ports);
        h.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    static PacketVm bess(Path path) throws IOException {
        AFUNIXDatagramChannel ch = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        ch.connect(AFUNIXSocketAddress.of(path));
        return new PacketVm(ch);
    }

    @Test
    void framesCrossBothWaysAndBroadcastFloods() throws Exception {
        start();
        try (PacketVm a = bess(sock()); PacketVm b = bess(sock()); TransportHarness.StreamVm s = h.connectStream()) {
            assertTrue(h.await(() -> t.ports().size() == 2, WAIT));
            byte[] hello = frame(BROADCAST, A, 1, 60);
            a.send(hello);
            assertArrayEquals(hello, b.receive(WAIT));
            assertArrayEquals(hello, s.receive(WAIT));
            byte[] reply = frame(A, S, 2, MAX_FRAME);
            s.send(reply);
            assertArrayEquals(reply, a.receive(WAIT));
            byte[] toB = frame(B, A, 3, 200);
            a.send(toB);
            assertArrayEquals(toB, b.receive(WAIT), "unknown unicast floods");
            b.send(frame(A, B, 4, 60));
            assertArrayEquals(frame(A, B, 4, 60), a.receive(WAIT));
            for (int i = 0; i < 300; i++) {
                s.send(frame(B, S, i, 1000));
            }
            for (int i = 0; i < 300; i++) {
                assertArrayEquals(frame(B, S, i, 1000), b.receive(WAIT), "frame " + i + " in order");
            }
        }
    }

    @Test
    void oversizeAndRuntPacketsAreCountedAndTheConnectionStays() throws Exception {
        start();
        try (PacketVm a = bess(sock()); TransportHarness.StreamVm s = h.connectStream()) {
            a.send(frame(BROADCAST, A, 1, MAX_FRAME + 1));
            a.send(new byte[13]);
            byte[] ok = frame(BROADCAST, A, 2, 60);
            a.send(ok);
            assertArrayEquals(ok, s.receive(WAIT));
            Port pa = h.onLoop(() -> t.ports().get(0));
            assertEquals(1L, (long) h.onLoop(() -> pa.counters().framingErrors()));
            assertEquals(1L, (long) h.onLoop(() -> pa.counters().dropsRunt()));
            assertFalse(h.onLoop(pa::isClosed));
        }
    }

    @Test
    void aBurstOverManyBudgetsArrivesWholeAndInOrder() throws Exception {
        start();
        try (PacketVm a = bess(sock()); TransportHarness.StreamVm s = h.connectStream()) {
            assertTrue(h.await(() -> t.ports().size() == 1, WAIT));
            Port pa = h.onLoop(() -> t.ports().get(0));
            h.onLoop(() -> {
                pa.budget().limit(50, 50); // packets left in the read buffer wait for the next loop iteration
                return null;
            });
            byte[] learnS = frame(BROADCAST, S, 0, 60);
            s.send(learnS);
            assertArrayEquals(learnS, a.receive(WAIT));
            int count = 3000;
            for (int i = 1; i <= count; i++) {
                a.send(frame(S, A, i, 64));
            }
            for (int i = 1; i <= count; i++) {
                assertArrayEquals(frame(S, A, i, 64), s.receive(WAIT), "frame " + i + " of " + count);
            }
            assertTrue(h.onLoop(() -> pa.counters().budgetPauses()) > 0, "the budget was spent and resumed");
        }
    }

    @Test
    void peerThatHangsUpIsRemoved() throws Exception {
        start();
        try (TransportHarness.StreamVm s = h.connectStream()) {
            PacketVm a = bess(sock());
            a.send(frame(BROADCAST, A, 1, 60));
            assertArrayEquals(frame(BROADCAST, A, 1, 60), s.receive(WAIT));
            assertEquals(2, (int) h.onLoop(() -> h.sw.ports().size()));
            a.close();
            assertTrue(h.await(() -> t.ports().isEmpty() && h.sw.ports().size() == 1, WAIT));
            assertEquals(null, h.onLoop(() -> h.sw.portOf(A)), "its addresses are forgotten");
        }
    }

    @Test
    void socketFileRemovedOnCloseStaleReplacedLiveRefused() throws Exception {
        AFUNIXDatagramChannel stale = AFUNIXSelectorProvider.provider().openDatagramChannel(AFSocketType.SOCK_SEQPACKET);
        stale.bind(AFUNIXSocketAddress.of(sock()));
        stale.close();
        assertTrue(Files.exists(sock()));
        start();
        assertThrows(IOException.class, () -> SeqpacketTransport.listen(sock(), h.ports));
        Path notSocket = Files.writeString(dir.resolve("plain"), "x");
        assertThrows(IOException.class, () -> SeqpacketTransport.listen(notSocket, h.ports));
        h.close();
        h = null;
        assertFalse(Files.exists(sock()));
        assertTrue(Files.exists(notSocket));
    }

    @Test
    void connectModeAttachesToABessServer() throws Exception {
        Path server = dir.resolve("server.sock");
        try (AFUNIXDatagramChannel listening = AFUNIXSelectorProvider.provider()
                .openDatagramChannel(AFSocketType.SOCK_SEQPACKET)) {
            listening.bind(AFUNIXSocketAddress.of(server));
            listening.socket().listen(1);
            h = new TransportHarness(dir);
            SeqpacketTransport c = SeqpacketTransport.connect(server, h.ports);
            h.start();
            try (PacketVm peer = new PacketVm((AFUNIXDatagramChannel) listening.socket().accept().getChannel());
                    TransportHarness.StreamVm s = h.connectStream()) {
                peer.send(frame(BROADCAST, A, 1, 60));
                assertArrayEquals(frame(BROADCAST, A, 1, 60), s.receive(WAIT));
                s.send(frame(A, S, 2, 80));
                assertArrayEquals(frame(A, S, 2, 80), peer.receive(WAIT));
                peer.close();
                assertTrue(h.await(() -> c.ports().isEmpty(), WAIT));
            }
        }
    }
}
