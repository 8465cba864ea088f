package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static io.userv2.switchd.transport.TransportHarness.MAX_FRAME;
import static io.userv2.switchd.transport.TransportHarness.WAIT;
import static io.userv2.switchd.transport.TransportHarness.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.VirtualPort;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frames one VM sends another are written from the sender's read buffer as they lie (a run of records) when nothing
 * waits for the receiver; what its socket does not take, a record cut in two included, goes through the staging
 * buffer. These tests check what a VM sees of that: every frame whole, in order, counted, also when its socket fills
 * and when a frame from elsewhere comes between two of the run's.
 */
class PassedOnRunsTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long C = 0x525555000003L;
    static final long R = 0x525555000009L;
    /** Frames each sender sends while its receiver reads along: megabytes. */
    static final int FRAMES = 3000;
    /**
     * Frames sent to a receiver that reads nothing: about 12 MB, beyond what its socket (4 MiB asked, 8 MiB given by
     * Linux) and the staging buffer ({@link TransportHarness#EGRESS}) hold.
     */
    static final int FILL = 16_000;

    @TempDir
    Path dir;
    TransportHarness h;

    @BeforeEach
    void start() throws Exception {
        h = new TransportHarness(dir).start();
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    /** A frame from {@code src} to {@code dst} carrying {@code seq} and bytes that depend on it. */
    static byte[] numbered(long dst, long src, int seq, int length) {
        byte[] f = frame(dst, src, 0, length);
        ByteBuffer.wrap(f, 14, 4).putInt(seq);
        for (int i = 18; i < length; i++) {
            f[i] = (byte) (seq * 31 + i);
        }
        return f;
    }

    /** The sequence number of a frame made by {@link #numbered}, after checking its bytes. */
    static int seqOf(byte[] f, long src) {
        assertEquals(src, MacAddress.read(Unpooled.wrappedBuffer(f), 6), "source MAC");
        int seq = ByteBuffer.wrap(f, 14, 4).getInt();
        for (int i = 18; i < f.length; i++) {
            assertEquals((byte) (seq * 31 + i), f[i], "byte " + i + " of frame " + seq);
        }
        return seq;
    }

    Port port(long mac) throws Exception {
        return h.onLoop(() -> h.sw.portOf(mac));
    }

    @Test
    void aReceiverThatFallsBehindGetsWholeFramesInOrderAndTheRestIsCountedAsDropped() throws Exception {
        try (TransportHarness.StreamVm a = h.connectStream(); TransportHarness.StreamVm b = h.connectStream()) {
            b.send(frame(BROADCAST, B, 0, 60));
            a.receive(WAIT); // the switch knows B now
            Port pb = port(B);
            Random lengths = new Random(7);
            // B reads nothing while A sends: its socket fills in the middle of a run, the rest is staged or dropped.
            for (int i = 0; i < FILL; i++) {
                a.send(numbered(B, A, i, 60 + lengths.nextInt(MAX_FRAME - 60 + 1)));
            }
            assertTrue(h.await(() -> pb.counters().framesOut() + pb.counters().dropsQueueFull() == FILL, WAIT),
                    "every frame from A sent to B or dropped");
            long out = h.onLoop(() -> pb.counters().framesOut());
            assertTrue(h.onLoop(() -> pb.counters().dropsQueueFull()) > 0, "B fell behind: some frames dropped");
            int last = -1;
            for (long i = 0; i < out; i++) {
                int seq = seqOf(b.receive(WAIT), A);
                assertTrue(seq > last, "frame " + seq + " after " + last);
                last = seq;
            }
            // Now B reads while A sends: its socket fills and drains many times, cutting records anywhere.
            Reader reader = new Reader(b);
            for (int i = FILL; i < FILL + FRAMES; i++) {
                a.send(numbered(B, A, i, 60 + lengths.nextInt(MAX_FRAME - 60 + 1)));
            }
            assertTrue(h.await(() -> pb.counters().framesOut() + pb.counters().dropsQueueFull() == FILL + FRAMES,
                    WAIT), "every frame from A sent to B or dropped");
            List<byte[]> frames = reader.take(h.onLoop(() -> pb.counters().framesOut()) - out);
            int lastAgain = last;
            for (byte[] f : frames) {
                int seq = seqOf(f, A);
                assertTrue(seq > lastAgain, "frame " + seq + " after " + lastAgain);
                lastAgain = seq;
            }
        }
    }

    /** Reads every frame a VM gets on a thread of its own, until the VM's socket closes. */
    static final class Reader {
        private final List<byte[]> frames = new ArrayList<>();

        Reader(TransportHarness.StreamVm vm) {
            Thread t = new Thread(() -> {
                try {
                    DataInputStream in = new DataInputStream(Channels.newInputStream(vm.ch));
                    while (true) {
                        byte[] f = new byte[in.readInt()];
                        in.readFully(f);
                        synchronized (frames) {
                            frames.add(f);
                            frames.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the test closed the socket
                }
            }, "test-reader");
            t.setDaemon(true);
            t.start();
        }

        /** Waits for {@code count} frames (all there are once the port counted them out) and returns them. */
        List<byte[]> take(long count) throws InterruptedException {
            long deadline = System.nanoTime() + 4 * WAIT * 1_000_000L;
            synchronized (frames) {
                while (frames.size() < count && System.nanoTime() < deadline) {
                    frames.wait(100);
                }
                assertEquals(count, frames.size(), "frames read");
                return new ArrayList<>(frames);
            }
        }
    }

    @Test
    void aFrameFromElsewhereBetweenTwoOfARunKeepsItsPlace() throws Exception {
        // An endpoint inside the switch that answers every frame A sends it with one to B at once, while the
        // switch is still going through A's receive: between A's frames before and after it.
        ByteBuf answer = Unpooled.buffer(64);
        VirtualPort reflector = new VirtualPort("reflector", MacAddress.of(R), (buf, index, length, ingress, now) -> {
            if (MacAddress.read(buf, index) != R) {
                return; // a broadcast (a VM's hello): not to be answered
            }
            byte[] f = numbered(B, R, buf.getInt(index + 14), 60);
            answer.clear().writeBytes(f);
            h.sw.forward(answer, 0, f.length, h.sw.portOf(R), now);
        }, System::nanoTime);
        h.onLoop(() -> {
            h.sw.attach(reflector);
            return null;
        });
        try (TransportHarness.StreamVm a = h.connectStream(); TransportHarness.StreamVm b = h.connectStream()) {
            b.send(frame(BROADCAST, B, 0, 60));
            a.receive(WAIT);
            a.send(frame(BROADCAST, A, 0, 60));
            b.receive(WAIT);
            h.onLoop(() -> {
                h.sw.forward(Unpooled.wrappedBuffer(frame(BROADCAST, R, 0, 60)), 0, 60, reflector, System.nanoTime());
                return null;
            });
            a.receive(WAIT);
            b.receive(WAIT); // all three MACs learned
            // One write, so the switch reads the five frames in one receive: B, B, R, B, B.
            ByteBuffer five = ByteBuffer.allocate(5 * (4 + 200));
            int[] seqs = {1, 2, 3, 4, 5};
            for (int seq : seqs) {
                five.putInt(200).put(numbered(seq == 3 ? R : B, A, seq, 200));
            }
            five.flip();
            while (five.hasRemaining()) {
                a.ch.write(five);
            }
            for (int seq : seqs) {
                byte[] f = b.receive(WAIT);
                assertEquals(seq, seqOf(f, seq == 3 ? R : A), "frame " + seq + " in its place");
            }
        }
    }

    @Test
    void twoSendersToOneReceiverKeepEachOnesOrder() throws Exception {
        try (TransportHarness.StreamVm a = h.connectStream(); TransportHarness.StreamVm b = h.connectStream();
                TransportHarness.StreamVm c = h.connectStream()) {
            b.send(frame(BROADCAST, B, 0, 60));
            a.receive(WAIT);
            c.receive(WAIT);
            Port pb = port(B);
            Reader reader = new Reader(b);
            CompletableFuture<Void> fromA = CompletableFuture.runAsync(() -> sendAll(a, A));
            CompletableFuture<Void> fromC = CompletableFuture.runAsync(() -> sendAll(c, C));
            fromA.get(4 * WAIT, TimeUnit.MILLISECONDS);
            fromC.get(4 * WAIT, TimeUnit.MILLISECONDS);
            assertTrue(h.await(() -> pb.counters().framesOut() + pb.counters().dropsQueueFull() == 2 * FRAMES,
                    WAIT), "every frame from A and C sent to B or dropped");
            int lastA = -1;
            int lastC = -1;
            for (byte[] f : reader.take(h.onLoop(() -> pb.counters().framesOut()))) {
                long src = MacAddress.read(Unpooled.wrappedBuffer(f), 6);
                int seq = seqOf(f, src);
                if (src == A) {
                    assertTrue(seq > lastA, "A's frame " + seq + " after " + lastA);
                    lastA = seq;
                } else {
                    assertEquals(C, src);
                    assertTrue(seq > lastC, "C's frame " + seq + " after " + lastC);
                    lastC = seq;
                }
            }
            assertTrue(lastA >= 0 && lastC >= 0, "frames from both");
        }
    }

    private static void sendAll(TransportHarness.StreamVm vm, long src) {
        Random lengths = new Random(src);
        try {
            for (int i = 0; i < FRAMES; i++) {
                vm.send(numbered(B, src, i, 60 + lengths.nextInt(MAX_FRAME - 60 + 1)));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
