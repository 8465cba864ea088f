package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static io.userv2.switchd.transport.TransportHarness.MAX_FRAME;
import static io.userv2.switchd.transport.TransportHarness.WAIT;
import static io.userv2.switchd.transport.TransportHarness.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.port.Port;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;
import org.newsclub.net.unix.FileDescriptorCast;

/** Lima's vz fd socket: a SOCK_DGRAM socketpair end passed over a stream socket with SCM_RIGHTS. */
class FdPassingTransportTest {
    static final long V = 0x525555000001L;
    static final long W = 0x525555000002L;
    static final long S = 0x525555000003L;

    @TempDir
    Path dir;
    TransportHarness h;
    FdPassingTransport t;

    Path sock() {
        return dir.resolve("fd.sock");
    }

    void start() throws Exception {
        h = new TransportHarness(dir);
        t = FdPassingTransport.open(sock(), h.ports);
        h.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    /** Does what Lima does: socketpair(AF_UNIX, SOCK_DGRAM), pass one end with a one-byte payload, keep the other. */
    PacketVm passSocket(boolean keepConnectionOpen) throws IOException {
        AFUNIXSocketPair<AFUNIXDatagramChannel> pair = AFUNIXSocketPair.openDatagram();
        AFUNIXSocketChannel conn = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock()));
        conn.setOutboundFileDescriptors(pair.getSocket2().getFileDescriptor());
        conn.write(ByteBuffer.wrap(new byte[] {0}));
        conn.setOutboundFileDescriptors();
        pair.getSocket2().setShutdownOnClose(false); // close only our copy; the switch holds the socket now
        pair.getSocket2().close();
        if (!keepConnectionOpen) {
            conn.close();
        }
        return new PacketVm(pair.getSocket1());
    }

    @Test
    void passedSocketCarriesFramesBothWays() throws Exception {
        start();
        try (PacketVm v = passSocket(false); PacketVm w = passSocket(true);
                TransportHarness.StreamVm s = h.connectStream()) {
            assertTrue(h.await(() -> t.ports().size() == 2, WAIT));
            byte[] hello = frame(BROADCAST, V, 1, 60);
            v.send(hello);
            assertArrayEquals(hello, s.receive(WAIT));
            assertArrayEquals(hello, w.receive(WAIT), "broadcast floods to the other passed socket");
            byte[] reply = frame(V, S, 2, MAX_FRAME);
            s.send(reply);
            assertArrayEquals(reply, v.receive(WAIT));
            for (int i = 0; i < 300; i++) {
                s.send(frame(W, S, i, 1400));
            }
            for (int i = 0; i < 300; i++) {
                assertArrayEquals(frame(W, S, i, 1400), w.receive(WAIT), "frame " + i);
            }
        }
    }

    @Test
    void garbageIsCountedAndPeerThatVanishesIsRemoved() throws Exception {
        start();
        try (TransportHarness.StreamVm s = h.connectStream()) {
            PacketVm v = passSocket(false);
            assertTrue(h.await(() -> t.ports().size() == 1, WAIT));
            v.send(frame(BROADCAST, V, 1, MAX_FRAME + 50));
            v.send(new byte[3]);
            v.send(frame(BROADCAST, V, 2, 60));
            assertArrayEquals(frame(BROADCAST, V, 2, 60), s.receive(WAIT));
            Port pv = h.onLoop(() -> t.ports().get(0));
            assertEquals(1L, (long) h.onLoop(() -> pv.counters().framingErrors()));
            assertEquals(1L, (long) h.onLoop(() -> pv.counters().dropsRunt()));
            v.close(); // a socketpair end closing tells the other end nothing: the next send finds out
            s.send(frame(V, S, 3, 60));
            assertTrue(h.await(() -> t.ports().isEmpty() && h.sw.ports().size() == 1, WAIT));
        }
    }

    @Test
    void connectionWithoutADescriptorIsDroppedAndCounted() throws Exception {
        start();
        try (AFUNIXSocketChannel c = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock()))) {
            c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        assertTrue(h.await(() -> t.handshakeFailures() == 1, WAIT));
        try (AFUNIXSocketChannel c = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock()))) {
            c.write(ByteBuffer.wrap(new byte[FdPassingTransport.MAX_HANDSHAKE_BYTES + 10]));
            assertTrue(h.await(() -> t.handshakeFailures() == 2, WAIT));
        }
        try (PacketVm v = passSocket(false); TransportHarness.StreamVm s = h.connectStream()) {
            v.send(frame(BROADCAST, V, 1, 60));
            assertArrayEquals(frame(BROADCAST, V, 1, 60), s.receive(WAIT), "still serving");
        }
    }

    @Test
    void closedPortLeavesNoDescriptorOfThePassedSocket() throws Exception {
        start();
        try (TransportHarness.StreamVm s = h.connectStream()) {
            AFUNIXSocketPair<AFUNIXDatagramChannel> pair = AFUNIXSocketPair.openDatagram();
            String inode = Files.readSymbolicLink(Path.of("/proc/self/fd/"
                    + FileDescriptorCast.using(pair.getSocket2().getFileDescriptor()).as(Integer.class))).toString();
            try (AFUNIXSocketChannel conn = AFUNIXSocketChannel.open(AFUNIXSocketAddress.of(sock()))) {
                conn.setOutboundFileDescriptors(pair.getSocket2().getFileDescriptor());
                conn.write(ByteBuffer.wrap(new byte[] {0}));
            }
            pair.getSocket2().setShutdownOnClose(false);
            pair.getSocket2().close();
            PacketVm v = new PacketVm(pair.getSocket1());
            v.send(frame(BROADCAST, V, 1, 60));
            assertArrayEquals(frame(BROADCAST, V, 1, 60), s.receive(WAIT));
            assertTrue(descriptorsOf(inode) >= 1, "the switch holds the passed socket");
            v.close();
            s.send(frame(V, S, 2, 60)); // finds the peer gone: the port closes
            assertTrue(h.await(() -> t.ports().isEmpty(), WAIT));
            long deadline = System.nanoTime() + WAIT * 1_000_000L;
            while (descriptorsOf(inode) > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5); // the poller thread closes it just after the port closed
            }
            assertEquals(0, descriptorsOf(inode), "no descriptor of " + inode + " is left open");
        }
    }

    private static int descriptorsOf(String inode) throws IOException {
        int n = 0;
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) list::iterator) {
                try {
                    if (Files.readSymbolicLink(p).toString().equals(inode)) {
                        n++;
                    }
                } catch (IOException gone) {
                    // closed while listing
                }
            }
        }
        return n;
    }

    @Test
    void socketFileRemovedOnClose() throws Exception {
        start();
        assertTrue(Files.exists(sock()));
        h.close();
        h = null;
        assertFalse(Files.exists(sock()));
    }
}
