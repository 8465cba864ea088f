package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static io.userv2.switchd.transport.TransportHarness.MAX_FRAME;
import static io.userv2.switchd.transport.TransportHarness.WAIT;
import static io.userv2.switchd.transport.TransportHarness.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --listen-stdio}: one VM on a pair of pipes standing in for stdin and stdout. */
class StdioTransportTest {
    static final long V = 0x525555000001L;
    static final long S = 0x525555000003L;

    @TempDir
    Path dir;
    TransportHarness h;
    StdioTransport t;
    PipedOutputStream toSwitch;
    DataInputStream fromSwitch;
    final AtomicInteger ended = new AtomicInteger();
    final ExecutorService reader = Executors.newSingleThreadExecutor();

    @BeforeEach
    void start() throws Exception {
        h = new TransportHarness(dir);
        PipedInputStream stdin = new PipedInputStream(1 << 20);
        toSwitch = new PipedOutputStream(stdin);
        PipedOutputStream stdout = new PipedOutputStream();
        fromSwitch = new DataInputStream(new PipedInputStream(stdout, 1 << 20));
        t = StdioTransport.open(stdin, stdout, h.ports,
                ended::incrementAndGet);
        h.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        reader.shutdownNow();
        h.close();
    }

    void send(byte[] f) throws IOException {
        toSwitch.write(ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).array());
        toSwitch.flush();
    }

    byte[] receive() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                byte[] f = new byte[fromSwitch.readInt()];
                fromSwitch.readFully(f);
                return f;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }, reader).get(WAIT, TimeUnit.MILLISECONDS);
    }

    @Test
    void framesCrossBothWays() throws Exception {
        try (TransportHarness.StreamVm s = h.connectStream()) {
            byte[] hello = frame(BROADCAST, V, 1, 60);
            send(hello);
            assertArrayEquals(hello, s.receive(WAIT));
            byte[] reply = frame(V, S, 2, MAX_FRAME);
            s.send(reply);
            assertArrayEquals(reply, receive());
            for (int i = 0; i < 500; i++) {
                s.send(frame(V, S, i, 1000));
            }
            for (int i = 0; i < 500; i++) {
                assertArrayEquals(frame(V, S, i, 1000), receive(), "frame " + i);
            }
            for (int i = 0; i < 500; i++) {
                send(frame(S, V, i, 700));
            }
            for (int i = 0; i < 500; i++) {
                assertArrayEquals(frame(S, V, i, 700), s.receive(WAIT), "frame " + i);
            }
        }
    }

    @Test
    void frameSplitIntoSingleBytesArrivesWhole() throws Exception {
        try (TransportHarness.StreamVm s = h.connectStream()) {
            byte[] f = frame(BROADCAST, V, 9, MAX_FRAME);
            byte[] wire = ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).array();
            for (byte b : wire) {
                toSwitch.write(b);
                toSwitch.flush();
            }
            assertArrayEquals(f, s.receive(WAIT));
        }
    }

    @Test
    void badLengthEndsThePortAndIsCounted() throws Exception {
        try (TransportHarness.StreamVm s = h.connectStream()) {
            byte[] ok = frame(BROADCAST, V, 1, 60);
            ByteBuffer wire = ByteBuffer.allocate(4 + ok.length + 4).putInt(ok.length).put(ok).putInt(MAX_FRAME + 1);
            toSwitch.write(wire.array());
            toSwitch.flush();
            assertArrayEquals(ok, s.receive(WAIT), "the whole frame before the bad prefix still goes through");
            assertTrue(h.await(() -> ended.get() == 1, WAIT));
            assertEquals(1L, (long) h.onLoop(() -> t.port().counters().framingErrors()));
            assertTrue(h.onLoop(() -> t.port().isClosed() && h.sw.ports().size() == 1));
        }
    }

    @Test
    void endOfInputEndsThePort() throws Exception {
        send(frame(BROADCAST, V, 1, 60));
        toSwitch.close();
        assertTrue(h.await(() -> ended.get() == 1, WAIT));
        assertEquals(1L, (long) h.onLoop(() -> t.port().counters().framesIn()));
    }
}
