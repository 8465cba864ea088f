package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.GatewayTest.GW_IP;
import static io.userv2.stack.gateway.GatewayTest.GW_MAC;
import static io.userv2.stack.gateway.GatewayTest.SUBNET;
import static io.userv2.stack.gateway.GatewayTest.VM_IP;
import static io.userv2.stack.gateway.GatewayTest.VM_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.FrameSink;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpRepr;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The gateway's TCP segments built in place, in room the sink offers ({@link FrameSink#reserve}): byte for byte the
 * frame it would have sent in a buffer of its own, written only inside that room, and the room given back when
 * building fails.
 */
class GatewayFramesInPlaceTest {
    static final Ipv4Address REMOTE = Ipv4Address.parse("198.51.100.7");
    static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd00:104::/64");
    static final Ipv6Address GW6 = Ipv6Address.parse("fd00:104::2");
    static final Ipv6Address VM6 = Ipv6Address.parse("fd00:104::3");
    /** What the room's buffer holds before it (another port's queued frames, say): never touched. */
    static final byte[] BEFORE = {1, 2, 3, 4, 5};

    /** A sink whose room (if it offers any) is a buffer holding {@link #BEFORE}; it keeps what it is sent too. */
    static final class RoomSink implements FrameSink {
        final ByteBuf room;
        final List<byte[]> built = new ArrayList<>();
        final List<byte[]> sent = new ArrayList<>();
        int reservedAt = -1;
        int reservedLength;
        int cancels;
        final boolean offersRoom;

        RoomSink(boolean offersRoom) {
            this(offersRoom, false);
        }

        /** With {@code direct}, the room is a direct buffer (the switch's staging buffers are). */
        RoomSink(boolean offersRoom, boolean direct) {
            this.offersRoom = offersRoom;
            this.room = (direct ? Unpooled.directBuffer(64, 1 << 20) : Unpooled.buffer(64, 1 << 20)).writeBytes(BEFORE);
        }

        @Override
        public void send(ByteBuf frame) {
            sent.add(ByteBufUtil.getBytes(frame));
            frame.release();
        }

        @Override
        public ByteBuf reserve(long dstMac, int length) {
            if (!offersRoom) {
                return null;
            }
            assertEquals(VM_MAC.bits(), dstMac);
            room.ensureWritable(length);
            reservedAt = room.writerIndex();
            reservedLength = length;
            return room;
        }

        @Override
        public void commit() {
            assertEquals(reservedAt, room.writerIndex(), "the builder moved no index");
            built.add(ByteBufUtil.getBytes(room, reservedAt, reservedLength));
            room.writerIndex(reservedAt + reservedLength);
            reservedAt = -1;
        }

        @Override
        public void cancel() {
            cancels++;
            reservedAt = -1;
        }
    }

    static Gateway gateway(FrameSink sink) {
        return new Gateway(GW_MAC, GW_IP, SUBNET, sink, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, new GatewayCounters(),
                new ArpCache(), 65520, ReassemblyLimits.defaults());
    }

    /** A data segment with options, as the NAT sends them (SACK blocks and all). */
    static TcpHeader segment(int payload) {
        TcpRepr tcp = new TcpRepr(80, 40000, TcpControl.PSH, SeqNumber.of(1000), SeqNumber.of(77), 65535,
                TcpOptions.NONE, payload);
        return TcpHeader.of(tcp);
    }

    static ByteBuf payload(int n) {
        byte[] d = new byte[n];
        new Random(n).nextBytes(d);
        return Unpooled.wrappedBuffer(d);
    }

    @Test
    void anIpv4SegmentBuiltInPlaceIsTheFrameItWouldHaveSent() {
        RoomSink inPlace = new RoomSink(true);
        RoomSink usual = new RoomSink(false);
        Gateway a = gateway(inPlace);
        Gateway b = gateway(usual);
        for (int n : new int[] {0, 1, 1460, 65000}) {
            a.sendTcp(VM_MAC, REMOTE, VM_IP, segment(n), payload(n));
            b.sendTcp(VM_MAC, REMOTE, VM_IP, segment(n), payload(n));
        }
        assertEquals(4, inPlace.built.size());
        assertTrue(inPlace.sent.isEmpty(), "nothing the usual way");
        assertEquals(4, usual.sent.size());
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(usual.sent.get(i), inPlace.built.get(i), "frame " + i);
        }
        assertArrayEquals(BEFORE, ByteBufUtil.getBytes(inPlace.room, 0, BEFORE.length), "nothing written before");
        assertEquals(b.counters().framesSent(), a.counters().framesSent(), "counted as sent alike");
    }

    @Test
    void anIpv6SegmentBuiltInPlaceIsTheFrameItWouldHaveSent() {
        RoomSink inPlace = new RoomSink(true);
        RoomSink usual = new RoomSink(false);
        List<GatewayIpv6> v6 = new ArrayList<>();
        for (RoomSink s : List.of(inPlace, usual)) {
            v6.add(gateway(s).enableIpv6(Ipv6Config.of(PREFIX, GW6, List.of()), new Random(7), 0));
        }
        int before = usual.sent.size(); // what enabling IPv6 sent (Router Advertisements)
        for (int n : new int[] {0, 1440, 65000}) {
            v6.get(0).sendTcp(VM_MAC, GW6, VM6, segment(n), payload(n));
            v6.get(1).sendTcp(VM_MAC, GW6, VM6, segment(n), payload(n));
        }
        assertEquals(3, inPlace.built.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(usual.sent.get(before + i), inPlace.built.get(i), "frame " + i);
        }
    }

    @Test
    void aBuildThatFailsGivesTheRoomBackAndSendsNothing() {
        for (boolean direct : new boolean[] {false, true}) { // a direct room and payload take the one-pass copy
            RoomSink sink = new RoomSink(true, direct);
            Gateway g = gateway(sink);
            ByteBuf gone = direct
                    ? PooledByteBufAllocator.DEFAULT.directBuffer(100).writeBytes(payload(100))
                    : payload(100);
            gone.release(); // the payload is no longer readable: copying it fails
            assertThrows(RuntimeException.class, () -> g.sendTcp(VM_MAC, REMOTE, VM_IP, segment(100), gone));
            assertEquals(1, sink.cancels, () -> "direct " + direct);
            assertTrue(sink.built.isEmpty() && sink.sent.isEmpty());
            assertEquals(0, g.counters().framesSent());
            g.sendTcp(VM_MAC, REMOTE, VM_IP, segment(10), payload(10)); // the next one goes as usual
            assertEquals(1, sink.built.size());
        }
    }
}
