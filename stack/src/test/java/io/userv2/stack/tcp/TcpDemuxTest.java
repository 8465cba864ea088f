package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TcpDemuxTest {
    static final byte[] SECRET = "0123456789abcdef".getBytes();
    static final Ipv4Address VM1 = Ipv4Address.parse("192.168.104.3");
    static final Ipv4Address VM2 = Ipv4Address.parse("192.168.104.4");
    static final Ipv4Address DST = Ipv4Address.parse("10.0.0.1");

    final TrackingAllocator alloc = new TrackingAllocator();
    final TcpDemux demux = new TcpDemux(TcpConfig.defaults(), alloc, new IsnGenerator(SECRET), null, 3, 2);

    @AfterEach
    void noLeaks() {
        demux.releaseAll();
        assertEquals(0, demux.size());
        alloc.assertAllReleased();
    }

    static TcpConnectionKey key(Ipv4Address vm, int port) {
        return new TcpConnectionKey(vm, port, DST, 80);
    }

    static Seg syn(int port) {
        return new Seg(port, 80, TcpControl.SYN, SeqNumber.of(1000), null, 65535,
                io.userv2.stack.wire.TcpOptions.NONE, new byte[0]);
    }

    @Nested
    class Admission {
        @Test
        void admitsUpToThePerSourceCapThenRefuses() {
            assertNotNull(demux.admitSyn(key(VM1, 1), syn(1).header(), 0));
            assertNotNull(demux.admitSyn(key(VM1, 2), syn(2).header(), 0));
            assertNull(demux.admitSyn(key(VM1, 3), syn(3).header(), 0), "VM1 is at its cap of 2");
            assertEquals(1, demux.refusedSourceLimit());
            assertEquals(2, demux.countFrom(VM1));
            assertNotNull(demux.admitSyn(key(VM2, 1), syn(1).header(), 0));
            assertNull(demux.admitSyn(key(VM2, 2), syn(2).header(), 0), "the table is at its cap of 3");
            assertEquals(1, demux.refusedTotalLimit());
        }

        @Test
        void removingFreesTheSlotAndTheBuffers() {
            TcpConnection c = demux.admitSyn(key(VM1, 1), syn(1).header(), 0);
            c.accept(0);
            ByteBuf data = Unpooled.wrappedBuffer(new byte[5000]);
            c.send(data);
            data.release();
            assertTrue(alloc.live() > 0);
            assertTrue(demux.remove(key(VM1, 1)));
            assertEquals(0, alloc.live());
            assertEquals(0, demux.countFrom(VM1));
            assertNotNull(demux.admitSyn(key(VM1, 1), syn(1).header(), 0));
        }

        @Test
        void lookupFindsTheConnection() {
            TcpConnection c = demux.admitSyn(key(VM1, 1), syn(1).header(), 0);
            assertSame(c, demux.get(key(VM1, 1)));
            assertSame(c, demux.get(TcpConnectionKey.ofIncoming(VM1, DST, syn(1).header())));
            assertNull(demux.get(key(VM1, 2)));
            assertEquals(TcpState.SYN_PENDING, c.state());
        }

        @Test
        void liveKeyCannotBeAdmittedTwice() {
            demux.admitSyn(key(VM1, 1), syn(1).header(), 0);
            assertThrows(IllegalStateException.class, () -> demux.admitSyn(key(VM1, 1), syn(1).header(), 0));
        }

        @Test
        void terminatedConnectionsAreSwept() {
            TcpConnection c = demux.admitSyn(key(VM1, 1), syn(1).header(), 0);
            demux.admitSyn(key(VM1, 2), syn(2).header(), 0);
            c.refuse(0);
            c.dispatch(0, (k, r, p) -> p.release());
            assertEquals(1, demux.removeIf(TcpConnection::isTerminated));
            assertEquals(1, demux.size());
        }

        @Test
        void aPerSourceCapAtTheTotalLetsOneSourceFillTheTableAndStillCounts() {
            // the NAT's setting: its caps are per switch port, so the demux keeps no per-address counts
            TcpDemux open = new TcpDemux(TcpConfig.defaults(), alloc, new IsnGenerator(SECRET), null, 3, 3);
            try {
                for (int port = 1; port <= 3; port++) {
                    assertNotNull(open.admitSyn(key(VM1, port), syn(port).header(), 0));
                }
                assertNull(open.admitSyn(key(VM2, 1), syn(1).header(), 0), "the table is at its cap of 3");
                assertEquals(1, open.refusedTotalLimit());
                assertEquals(0, open.refusedSourceLimit());
                assertEquals(3, open.countFrom(VM1));
                assertTrue(open.remove(key(VM1, 2)));
                assertEquals(2, open.countFrom(VM1));
                assertEquals(0, open.countFrom(VM2));
                assertNotNull(open.admitSyn(key(VM2, 1), syn(1).header(), 0), "a slot is free again");
            } finally {
                open.releaseAll();
            }
        }

        @Test
        void closedConnectionIsReplacedByANewSyn() {
            TcpConnection c = demux.admitSyn(key(VM1, 1), syn(1).header(), 0);
            c.refuse(0);
            TcpConnection d = demux.admitSyn(key(VM1, 1), syn(1).header(), 1);
            assertNotEquals(c, d);
            assertEquals(1, demux.countFrom(VM1));
        }
    }

    @Nested
    class InitialSequenceNumbers {
        final IsnGenerator isn = new IsnGenerator(SECRET);

        @Test
        void rfc6528GrowsWithTheFourMicrosecondClock() {
            SeqNumber a = isn.next(key(VM1, 1), 0);
            SeqNumber b = isn.next(key(VM1, 1), 4_000_000); // 4 ms later: 1000 ticks
            assertEquals(1000, b.minus(a));
        }

        @Test
        void differsPerFourTupleAndSecret() {
            SeqNumber a = isn.next(key(VM1, 1), 0);
            assertNotEquals(a, isn.next(key(VM1, 2), 0));
            assertNotEquals(a, isn.next(key(VM2, 1), 0));
            assertNotEquals(a, new IsnGenerator("fedcba9876543210".getBytes()).next(key(VM1, 1), 0));
            assertEquals(a, new IsnGenerator(SECRET).next(key(VM1, 1), 0), "deterministic for a given secret");
        }

        @Test
        void secretMustBeLongEnough() {
            assertThrows(IllegalArgumentException.class, () -> new IsnGenerator(new byte[8]));
        }
    }
}
