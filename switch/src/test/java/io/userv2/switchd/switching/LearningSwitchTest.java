package io.userv2.switchd.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.userv2.switchd.capture.FrameCapture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LearningSwitchTest {
    static final long A = 0x525555000001L;
    static final long B = 0x525555000002L;
    static final long C = 0x525555000003L;
    static final long BROADCAST = 0xFFFFFFFFFFFFL;
    static final long MULTICAST = 0x01005E000001L;

    LearningSwitch sw;
    RecordingPort pa;
    RecordingPort pb;
    RecordingPort pc;
    long now = 1_000;

    @BeforeEach
    void setUp() {
        sw = new LearningSwitch(FrameCapture.NONE);
        pa = new RecordingPort("a");
        pb = new RecordingPort("b");
        pc = new RecordingPort("c");
        sw.attach(pa);
        sw.attach(pb);
        sw.attach(pc);
    }

    void send(RecordingPort from, long dst, long src) {
        ByteBuf f = Frames.frame(dst, src, 1, 60);
        sw.forward(f, f.readerIndex(), f.readableBytes(), from, now);
    }

    @Test
    void unknownUnicastFloodsToEveryOtherPortButNotBack() {
        send(pa, B, A);
        assertEquals(0, pa.frames.size());
        assertEquals(1, pb.frames.size());
        assertEquals(1, pc.frames.size());
    }

    @Test
    void theCamListsEachLearnedAddressWithItsPortId() {
        send(pa, B, A);
        send(pb, A, B);
        assertEquals(java.util.Map.of(io.userv2.stack.wire.MacAddress.format(A), pa.id(),
                io.userv2.stack.wire.MacAddress.format(B), pb.id()), sw.cam());
    }

    @Test
    void learnedUnicastGoesToOnePort() {
        send(pb, A, B); // learn B on pb
        send(pa, B, A);
        assertEquals(1, pa.frames.size(), "a saw b's first frame, flooded");
        assertEquals(1, pb.frames.size(), "second frame only to b");
        assertEquals(1, pc.frames.size(), "c saw only the first, flooded frame");
    }

    @Test
    void broadcastAndMulticastAlwaysFlood() {
        send(pb, A, B);
        send(pa, B, A); // both learned now
        send(pa, BROADCAST, A);
        send(pa, MULTICAST, A);
        assertEquals(3, pb.frames.size());
        assertEquals(3, pc.frames.size());
    }

    @Test
    void theIngressBudgetCountsTheFramesForTheGateway() {
        sw.attachGateway(new io.userv2.switchd.port.VirtualPort("gateway", io.userv2.stack.wire.MacAddress.of(C),
                (buf, index, length, ingress, t) -> { }, () -> now));
        int before = pa.budget().gatewayFramesTaken();
        send(pa, B, A); // to another VM
        assertEquals(before, pa.budget().gatewayFramesTaken(), "a frame to a VM is not the gateway's");
        send(pa, C, A); // to the gateway's MAC
        send(pa, BROADCAST, A); // the gateway receives broadcasts too
        assertEquals(before + 2, pa.budget().gatewayFramesTaken());
    }

    @Test
    void hairpinIsDropped() {
        send(pa, BROADCAST, C); // C is learned on pa (two MACs behind one port)
        send(pa, C, A);
        assertEquals(1, pb.frames.size(), "only the broadcast reached b");
        assertEquals(1, pc.frames.size());
        assertEquals(1, sw.dropsHairpin());
    }

    @Test
    void addressMovesToNewPort() {
        send(pa, BROADCAST, A);
        send(pb, BROADCAST, A); // A moved to pb (relearn interval is per port)
        pa.frames.clear();
        pb.frames.clear();
        pc.frames.clear();
        send(pc, A, C);
        assertEquals(0, pa.frames.size());
        assertEquals(1, pb.frames.size());
    }

    @Test
    void entriesAgeOut() {
        send(pb, BROADCAST, B);
        assertEquals(1, sw.learnedAddresses());
        assertEquals(0, sw.expire(now + LearningSwitch.AGING_NANOS - 1));
        assertEquals(1, sw.expire(now + LearningSwitch.AGING_NANOS + 1));
        pa.frames.clear();
        pc.frames.clear();
        send(pa, B, A);
        assertEquals(1, pc.frames.size(), "aged-out destination is flooded again");
    }

    @Test
    void detachForgetsAddressesAndStopsDelivery() {
        send(pb, BROADCAST, B);
        sw.detach(pb);
        pb.frames.clear();
        pc.frames.clear();
        send(pa, B, A);
        assertEquals(0, pb.frames.size());
        assertEquals(1, pc.frames.size());
    }

    @Test
    void runtFramesAreCountedNotSwitched() {
        ByteBuf f = Frames.frame(B, A, 0, 14).capacity(13);
        sw.forward(f, 0, 13, pa, now);
        assertEquals(0, pb.frames.size());
        assertEquals(1, pa.counters().dropsRunt());
    }

    /** A port with a staging buffer of its own that offers room in it, as a VM's port does. */
    static final class StagingPort extends io.userv2.switchd.port.Port {
        final ByteBuf staging = io.netty.buffer.Unpooled.buffer(256);
        int reservedLength = -1;

        StagingPort(String name) {
            super(name);
        }

        @Override
        public ByteBuf reserve(int length) {
            reservedLength = length;
            return staging;
        }

        @Override
        public int commitReserved() {
            int length = reservedLength;
            staging.writerIndex(staging.writerIndex() + length);
            reservedLength = -1;
            return length;
        }

        @Override
        public void cancelReserved() {
            reservedLength = -1;
        }

        @Override
        public void deliver(ByteBuf buf, int index, int length, io.userv2.switchd.port.Port ingress) {
            staging.writeBytes(buf, index, length);
        }

        @Override
        protected void onClose() {
        }
    }

    @Test
    void theGatewaysFramesAreBuiltInPlaceUnlessACaptureWantsToSeeThem() {
        java.util.List<byte[]> captured = new java.util.ArrayList<>();
        for (boolean capturing : new boolean[] {false, true}) {
            LearningSwitch s = new LearningSwitch(capturing
                    ? (buf, index, length) -> captured.add(io.netty.buffer.ByteBufUtil.getBytes(buf, index, length))
                    : FrameCapture.NONE);
            io.userv2.switchd.port.VirtualPort gw = new io.userv2.switchd.port.VirtualPort("gateway",
                    io.userv2.stack.wire.MacAddress.of(C), (buf, index, length, ingress, t) -> { }, () -> now);
            StagingPort vm = new StagingPort("vm");
            s.attachGateway(gw);
            s.attach(vm);
            ByteBuf hello = Frames.frame(BROADCAST, A, 0, 60);
            s.forward(hello, hello.readerIndex(), hello.readableBytes(), vm, now); // A learned on vm
            ByteBuf room = s.reserveFromGateway(A, 100);
            if (capturing) {
                assertEquals(null, room, "with a capture the frame goes the usual way, captured whole");
                continue;
            }
            assertEquals(vm.staging, room, "the VM port's own buffer");
            assertEquals(null, s.reserveFromGateway(B, 100), "B is not known");
            assertEquals(null, s.reserveFromGateway(BROADCAST, 100), "a broadcast goes to every port");
            long in = gw.counters().framesIn();
            room.setBytes(room.writerIndex(), new byte[100]);
            s.commitFromGateway();
            assertEquals(100, vm.staging.readableBytes());
            assertEquals(in + 1, gw.counters().framesIn(), "counted in at the gateway's port, as forward does");
        }
        assertEquals(1, captured.size(), "the VM's hello");
    }
}
