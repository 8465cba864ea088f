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
}
