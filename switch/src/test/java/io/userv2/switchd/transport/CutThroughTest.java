package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static io.userv2.switchd.transport.TransportHarness.WAIT;
import static io.userv2.switchd.transport.TransportHarness.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.port.CutThrough;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.security.IngressFilter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large frames passed on before they are whole ({@link CutThrough}), through real stream sockets: the head reaches
 * the receiver before the sender has written the tail, frames for the receiver queued meanwhile follow the frame,
 * and a sender that stops or goes away in the middle of a frame does not hold the receiver.
 */
class CutThroughTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long C = 0x525555000003L;
    static final int MAX_FRAME = 65535 + 14;
    static final int LARGE = 60_000;
    /** The part of a large frame written first. */
    static final int HEAD = 20_000;
    /** An IPv4 source the test's port security treats as the gateway's: 10.0.0.254. */
    static final int SPOOFED = 0x0a0000fe;

    @TempDir
    Path dir;
    TransportHarness h;
    final ExecutorService readers = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws Exception {
        h = new TransportHarness(dir, MAX_FRAME);
        h.sw.setIngressFilter(new IngressFilter(ip -> ip == SPOOFED, null));
        h.start();
    }

    @AfterEach
    void stop() throws Exception {
        readers.shutdownNow();
        h.close();
    }

    /** An untagged IPv4/UDP frame from {@code src} to {@code dst}, {@code length} bytes, its payload set by seq. */
    static byte[] ipv4(long dst, long src, int sourceIp, int seq, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short) (dst >>> 32)).putInt((int) dst);
        b.putShort((short) (src >>> 32)).putInt((int) src);
        b.putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (length - 14)).putInt(0);
        b.put((byte) 64).put((byte) 17).putShort((short) 0).putInt(sourceIp).putInt(0x0a000002);
        b.putInt(seq);
        for (int i = b.position(); i < length; i++) {
            b.put((byte) (seq * 7 + i));
        }
        return b.array();
    }

    static byte[] ipv4(long dst, long src, int seq, int length) {
        return ipv4(dst, src, 0x0a000001, seq, length);
    }

    /** Writes the record of {@code frame} from byte {@code from} to {@code to} of the record (prefix included). */
    static void write(TransportHarness.StreamVm vm, byte[] frame, int from, int to) throws IOException {
        ByteBuffer record = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame);
        record.position(from).limit(to);
        while (record.hasRemaining()) {
            vm.ch.write(record);
        }
    }

    /** Reads exactly {@code n} bytes from {@code ch}, failing after {@code millis}. */
    byte[] read(SocketChannel ch, int n, long millis) throws Exception {
        Future<byte[]> f = readers.submit(() -> {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    throw new IOException("EOF after " + b.position() + " of " + n + " bytes");
                }
            }
            return b.array();
        });
        return f.get(millis, TimeUnit.MILLISECONDS);
    }

    /** Reads one whole record from {@code vm} and returns its frame. */
    byte[] receive(TransportHarness.StreamVm vm) throws Exception {
        int length = ByteBuffer.wrap(read(vm.ch, 4, WAIT)).getInt();
        return read(vm.ch, length, WAIT);
    }

    Port port(long mac) throws Exception {
        return h.onLoop(() -> h.sw.portOf(mac));
    }

    /** Connects A, B and C and has the switch learn all three. */
    TransportHarness.StreamVm[] threeVms() throws Exception {
        TransportHarness.StreamVm a = h.connectStream();
        TransportHarness.StreamVm b = h.connectStream();
        TransportHarness.StreamVm c = h.connectStream();
        long[] macs = {A, B, C};
        TransportHarness.StreamVm[] vms = {a, b, c};
        for (int i = 0; i < 3; i++) {
            vms[i].send(frame(BROADCAST, macs[i], 0, 60));
            for (int j = 0; j < 3; j++) {
                if (j != i) {
                    receive(vms[j]);
                }
            }
        }
        return vms;
    }

    @Test
    void theHeadOfALargeFrameReachesTheReceiverBeforeTheSenderHasWrittenItsTail() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm a = vms[0]; TransportHarness.StreamVm b = vms[1]; var c = vms[2]) {
            byte[] f = ipv4(B, A, 1, LARGE);
            write(a, f, 0, 4 + HEAD);
            byte[] head = read(b.ch, 4 + CutThrough.MIN_HEAD, WAIT); // store and forward would send nothing yet
            assertEquals(LARGE, ByteBuffer.wrap(head).getInt(), "the record's length prefix");
            assertArrayEquals(Arrays.copyOf(f, CutThrough.MIN_HEAD), Arrays.copyOfRange(head, 4, head.length));
            write(a, f, 4 + HEAD, 4 + LARGE);
            byte[] rest = read(b.ch, LARGE - CutThrough.MIN_HEAD, WAIT);
            assertArrayEquals(Arrays.copyOfRange(f, CutThrough.MIN_HEAD, LARGE), rest, "the rest of the frame");
            // The streams are still in step: a small frame each way arrives whole.
            byte[] small = ipv4(B, A, 2, 100);
            a.send(small);
            assertArrayEquals(small, receive(b));
            byte[] back = ipv4(A, B, 3, 100);
            b.send(back);
            assertArrayEquals(back, receive(a));
            Port pb = port(B);
            assertEquals(2, h.onLoop(() -> pb.counters().framesOut()) - 2, "frames out to B, hellos aside");
        }
    }

    @Test
    void aTailWrittenInPiecesReachesTheReceiverPieceByPiece() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm a = vms[0]; TransportHarness.StreamVm b = vms[1]; var c = vms[2]) {
            byte[] f = ipv4(B, A, 1, LARGE);
            byte[] record = ByteBuffer.allocate(4 + LARGE).putInt(LARGE).put(f).array();
            int sent = 4 + HEAD;
            write(a, f, 0, sent);
            byte[] got = read(b.ch, sent, WAIT); // all of it, though the frame is not whole yet
            assertArrayEquals(Arrays.copyOf(record, sent), got);
            int read = sent;
            for (int piece = 0; piece < 4; piece++) {
                int to = piece == 3 ? record.length : sent + 10_000;
                write(a, f, sent, to);
                sent = to;
                got = read(b.ch, sent - read, WAIT);
                assertArrayEquals(Arrays.copyOfRange(record, read, sent), got, "piece " + piece);
                read = sent;
            }
            byte[] next = ipv4(B, A, 2, 100);
            a.send(next);
            assertArrayEquals(next, receive(b), "the next frame, whole");
        }
    }

    @Test
    void framesQueuedForTheReceiverWhileAFrameIsUnfinishedFollowIt() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm a = vms[0]; TransportHarness.StreamVm b = vms[1]; var c = vms[2]) {
            Port pa = port(A);
            long before = h.onLoop(() -> pa.counters().framesIn());
            byte[] f = ipv4(B, A, 1, LARGE);
            write(a, f, 0, 4 + HEAD);
            assertTrue(h.await(() -> pa.counters().framesIn() == before + 1, WAIT), "the frame cut through");
            byte[] fromC1 = ipv4(B, C, 10, 200);
            byte[] fromC2 = ipv4(B, C, 11, LARGE); // large too, but the receiver carries A's frame: held until whole
            c.send(fromC1);
            c.send(fromC2);
            Port pc = port(C);
            assertTrue(h.await(() -> pc.counters().framesIn() >= 3, WAIT), "C's frames switched");
            write(a, f, 4 + HEAD, 4 + LARGE);
            assertArrayEquals(f, receive(b), "A's frame first, whole");
            assertArrayEquals(fromC1, receive(b), "then C's, in their order");
            assertArrayEquals(fromC2, receive(b));
        }
    }

    @Test
    void aSenderThatStopsInTheMiddleOfAFrameHoldsTheReceiverOnlyUntilTheDeadline() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm a = vms[0]; TransportHarness.StreamVm b = vms[1]; var c = vms[2]) {
            Port pa = port(A);
            long before = h.onLoop(() -> pa.counters().framesIn());
            byte[] f = ipv4(B, A, 1, LARGE);
            write(a, f, 0, 4 + HEAD);
            assertTrue(h.await(() -> pa.counters().framesIn() == before + 1, WAIT), "the frame cut through");
            // C sends to B until the frame is older than the deadline; then B's stream is freed.
            byte[] fromC = ipv4(B, C, 10, 200);
            int sent = 0;
            do {
                c.send(fromC);
                sent++;
            } while (!h.await(() -> pa.counters().drops(PortDropReason.UNFINISHED_FRAME) > 0, 50) && sent < 200);
            assertEquals(1, h.onLoop(() -> pa.counters().drops(PortDropReason.UNFINISHED_FRAME)));
            byte[] unfinished = receive(b);
            assertEquals(LARGE, unfinished.length, "A's frame, its length kept");
            int got = HEAD; // the head arrived; the rest is zeros
            assertArrayEquals(Arrays.copyOf(f, got), Arrays.copyOf(unfinished, got), "its head as sent");
            assertArrayEquals(new byte[LARGE - got], Arrays.copyOfRange(unfinished, got, LARGE), "then zeros");
            for (int i = 0; i < sent; i++) {
                assertArrayEquals(fromC, receive(b), "C's frame " + i);
            }
            // A's tail, late, is skipped: its next frame arrives whole.
            write(a, f, 4 + HEAD, 4 + LARGE);
            byte[] next = ipv4(B, A, 2, 300);
            a.send(next);
            assertArrayEquals(next, receive(b));
            // And A's large frames wait until whole now: C's frame, sent after the head of one, overtakes it.
            byte[] large = ipv4(B, A, 3, LARGE);
            long in = h.onLoop(() -> pa.counters().framesIn());
            write(a, large, 0, 4 + HEAD);
            c.send(fromC);
            assertArrayEquals(fromC, receive(b), "C's frame first");
            assertEquals(in, h.onLoop(() -> pa.counters().framesIn()), "A's frame not taken yet");
            write(a, large, 4 + HEAD, 4 + LARGE);
            assertArrayEquals(large, receive(b));
        }
    }

    @Test
    void aSenderThatDisconnectsInTheMiddleOfAFrameLeavesTheReceiversStreamWhole() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm b = vms[1]; var c = vms[2]) {
            TransportHarness.StreamVm a = vms[0];
            Port pa = port(A);
            long before = h.onLoop(() -> pa.counters().framesIn());
            byte[] f = ipv4(B, A, 1, LARGE);
            write(a, f, 0, 4 + HEAD);
            assertTrue(h.await(() -> pa.counters().framesIn() == before + 1, WAIT), "the frame cut through");
            a.close();
            byte[] unfinished = receive(b);
            assertEquals(LARGE, unfinished.length);
            assertArrayEquals(new byte[LARGE - HEAD], Arrays.copyOfRange(unfinished, HEAD, LARGE), "zeros after");
            assertEquals(1, h.onLoop(() -> pa.counters().drops(PortDropReason.UNFINISHED_FRAME)));
            byte[] fromC = ipv4(B, C, 10, 200);
            c.send(fromC);
            assertArrayEquals(fromC, receive(b));
        }
    }

    @Test
    void aReceiverThatDisconnectsInTheMiddleOfAFrameLeavesTheSendersStreamInStep() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm a = vms[0]; var c = vms[2]) {
            TransportHarness.StreamVm b = vms[1];
            Port pa = port(A);
            Port pb = port(B);
            long before = h.onLoop(() -> pa.counters().framesIn());
            byte[] f = ipv4(B, A, 1, LARGE);
            write(a, f, 0, 4 + HEAD);
            assertTrue(h.await(() -> pa.counters().framesIn() == before + 1, WAIT), "the frame cut through");
            b.close();
            assertTrue(h.await(pb::isClosed, WAIT), "B's port closed");
            write(a, f, 4 + HEAD, 4 + LARGE); // skipped: B is gone
            byte[] toC = ipv4(C, A, 2, LARGE);
            a.send(toC);
            assertArrayEquals(toC, receive(c), "A's next frame, whole");
        }
    }

    @Test
    void aFramePortSecurityRefusesOnItsHeadIsDroppedAndItsTailSkipped() throws Exception {
        TransportHarness.StreamVm[] vms = threeVms();
        try (TransportHarness.StreamVm a = vms[0]; TransportHarness.StreamVm b = vms[1]; var c = vms[2]) {
            Port pa = port(A);
            byte[] spoofed = ipv4(B, A, SPOOFED, 1, LARGE);
            write(a, spoofed, 0, 4 + HEAD);
            assertTrue(h.await(() -> pa.counters().drops(PortDropReason.GATEWAY_IP_SPOOFED) == 1, WAIT),
                    "dropped on its head");
            write(a, spoofed, 4 + HEAD, 4 + LARGE);
            byte[] next = ipv4(B, A, 2, LARGE);
            a.send(next);
            assertArrayEquals(next, receive(b), "the next frame, whole; nothing of the dropped one");
        }
    }
}
