package io.userv2.switchd.transport;

import static io.userv2.switchd.transport.PassedOnRunsTest.numbered;
import static io.userv2.switchd.transport.PassedOnRunsTest.seqOf;
import static io.userv2.switchd.transport.TransportHarness.BROADCAST;
import static io.userv2.switchd.transport.TransportHarness.MAX_FRAME;
import static io.userv2.switchd.transport.TransportHarness.WAIT;
import static io.userv2.switchd.transport.TransportHarness.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.VirtualPort;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's frames to a VM are built in place in the VM port's staging buffer
 * ({@link io.userv2.switchd.switching.LearningSwitch#reserveFromGateway}): what the VM reads of them is what the
 * gateway wrote, in order with frames that took the usual way, counted as those are; a frame given up leaves nothing.
 */
class GatewayFramesInPlaceTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long GW = 0x5a94efe40cddL;

    @TempDir
    Path dir;
    TransportHarness h;
    /** What the gateway endpoint does with a frame it receives (set by a test; none by default). */
    VirtualPort.Endpoint onFrame = (buf, index, length, ingress, now) -> { };
    VirtualPort gateway;

    @BeforeEach
    void start() throws Exception {
        h = new TransportHarness(dir).start();
        gateway = new VirtualPort("gateway", MacAddress.of(GW),
                (buf, index, length, ingress, now) -> onFrame.receive(buf, index, length, ingress, now), System::nanoTime);
        h.onLoop(() -> {
            h.sw.attachGateway(gateway);
            return null;
        });
    }

    @AfterEach
    void stop() throws Exception {
        h.close();
    }

    /** Builds {@code f} in place for {@code dst} on the loop thread; false when the switch offered no room. */
    boolean buildInPlace(long dst, byte[] f) {
        ByteBuf room = h.sw.reserveFromGateway(dst, f.length);
        if (room == null) {
            return false;
        }
        room.setBytes(room.writerIndex(), f);
        h.sw.commitFromGateway();
        return true;
    }

    /** {@code f} the usual way: a buffer of the gateway's own, forwarded. */
    void forward(byte[] f) {
        h.sw.forward(Unpooled.wrappedBuffer(f), 0, f.length, gateway, System.nanoTime());
    }

    /** A VM for B, known to the switch. */
    TransportHarness.StreamVm vmB() throws Exception {
        TransportHarness.StreamVm b = h.connectStream();
        b.send(frame(BROADCAST, B, 0, 60));
        h.await(() -> h.sw.portOf(B) != null, WAIT);
        return b;
    }

    @Test
    void framesBuiltInPlaceArriveWholeInOrderWithTheOthersAndAreCounted() throws Exception {
        try (TransportHarness.StreamVm b = vmB()) {
            Port pb = h.onLoop(() -> h.sw.portOf(B));
            long outBefore = h.onLoop(() -> pb.counters().framesOut());
            int count = 200;
            int inPlace = h.onLoop(() -> {
                int n = 0;
                for (int i = 0; i < count; i++) {
                    byte[] f = numbered(B, GW, i, 60 + (i * 97) % (MAX_FRAME - 60 + 1));
                    if (i % 3 == 2) {
                        forward(f); // every third the usual way, between frames built in place
                    } else if (buildInPlace(B, f)) {
                        n++;
                    }
                }
                return n;
            });
            assertEquals(count - count / 3, inPlace, "room for each (the queue holds 1 MiB)");
            for (int i = 0; i < count; i++) {
                assertEquals(i, seqOf(b.receive(WAIT), GW), "frame " + i + " in its place");
            }
            assertEquals(count, h.onLoop(() -> pb.counters().framesOut()) - outBefore, "each counted out once");
            assertEquals(count, h.onLoop(() -> gateway.counters().framesIn()), "and in at the gateway's port");
        }
    }

    @Test
    void aFrameGivenUpLeavesNothingBehind() throws Exception {
        try (TransportHarness.StreamVm b = vmB()) {
            h.onLoop(() -> {
                ByteBuf room = h.sw.reserveFromGateway(B, 500);
                room.setBytes(room.writerIndex(), new byte[500]); // half built, then building failed
                h.sw.cancelFromGateway();
                buildInPlace(B, numbered(B, GW, 7, 300));
                return null;
            });
            byte[] f = b.receive(WAIT);
            assertEquals(300, f.length);
            assertEquals(7, seqOf(f, GW));
        }
    }

    @Test
    void noRoomForAnUnknownOrGroupAddressOrAnOversizeFrame() throws Exception {
        try (TransportHarness.StreamVm b = vmB()) {
            assertNull(h.onLoop(() -> h.sw.reserveFromGateway(A, 100)), "A is not known");
            assertNull(h.onLoop(() -> h.sw.reserveFromGateway(BROADCAST, 100)), "broadcast goes to every port");
            assertNull(h.onLoop(() -> h.sw.reserveFromGateway(B, MAX_FRAME + 1)), "over the port's largest frame");
            assertNotNull(h.onLoop(() -> {
                ByteBuf room = h.sw.reserveFromGateway(B, 100);
                if (room != null) {
                    h.sw.cancelFromGateway();
                }
                return room;
            }));
        }
    }

    @Test
    void aFrameBuiltWhileARunIsPendingComesAfterTheRun() throws Exception {
        // The gateway answers each frame A sends it by building one to B in place, while the switch is still going
        // through A's receive: between A's frames to B before and after it.
        onFrame = (buf, index, length, ingress, now) -> {
            if (MacAddress.read(buf, index) == GW) { // not the broadcasts
                buildInPlace(B, numbered(B, GW, buf.getInt(index + 14), 60));
            }
        };
        try (TransportHarness.StreamVm b = vmB(); TransportHarness.StreamVm a = h.connectStream()) {
            a.send(frame(BROADCAST, A, 0, 60));
            b.receive(WAIT); // A known
            ByteBuffer five = ByteBuffer.allocate(5 * (4 + 200));
            List<Integer> seqs = List.of(1, 2, 3, 4, 5);
            for (int seq : seqs) {
                five.putInt(200).put(numbered(seq == 3 ? GW : B, A, seq, 200));
            }
            five.flip();
            while (five.hasRemaining()) {
                a.ch.write(five); // one write: the switch reads the five frames in one receive
            }
            for (int seq : seqs) {
                assertEquals(seq, seqOf(b.receive(WAIT), seq == 3 ? GW : A), "frame " + seq + " in its place");
            }
        }
    }
}
