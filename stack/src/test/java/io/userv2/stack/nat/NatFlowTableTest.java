package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.SeqNumber;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The NAT's primitive-keyed flow table, with flows that share a bucket (same ports, different guests). */
class NatFlowTableTest {
    private static final int DST = Ipv4Address.parse("203.0.113.7").bits();

    private static NatTcpFlow flow(String guest, int guestPort, int dstPort) {
        TcpConnectionKey key = new TcpConnectionKey(Ipv4Address.parse(guest), guestPort, new Ipv4Address(DST),
                dstPort);
        TcpConnection conn = TcpConnection.connect(key, TcpConfig.defaults(), UnpooledByteBufAllocator.DEFAULT,
                null, SeqNumber.of(1), 0);
        return new GuestProbe(conn, 1, Long.MAX_VALUE);
    }

    private static NatTcpFlow flow6(String guest, int guestPort, String dst, int dstPort) {
        TcpConnectionKey key = new TcpConnectionKey(Ipv6Address.parse(guest), guestPort, Ipv6Address.parse(dst),
                dstPort);
        TcpConnection conn = TcpConnection.connect(key, TcpConfig.defaults(), UnpooledByteBufAllocator.DEFAULT,
                null, SeqNumber.of(1), 0);
        return new GuestProbe(conn, 1, Long.MAX_VALUE);
    }

    @Test
    void ipv6FlowsAreFoundByTheirWholeTupleBesideIpv4OnesWithTheSamePorts() {
        NatFlowTable table = new NatFlowTable();
        NatTcpFlow v4 = flow("192.168.104.3", 40000, 80);
        NatTcpFlow a = flow6("fd00::3", 40000, "fd00::2", 80);
        NatTcpFlow b = flow6("fd00::4", 40000, "fd00::2", 80);
        NatTcpFlow elsewhere = flow6("fd00::3", 40000, "2001:db8::10", 80);
        for (NatTcpFlow f : List.of(v4, a, b, elsewhere)) {
            table.put(f);
        }
        assertEquals(4, table.size());
        Ipv6Address g3 = Ipv6Address.parse("fd00::3");
        Ipv6Address gw = Ipv6Address.parse("fd00::2");
        assertSame(a, table.get(g3.high(), g3.low(), 40000, gw.high(), gw.low(), 80));
        assertSame(b, table.get(b.conn.key()));
        assertSame(elsewhere, table.get(elsewhere.conn.key()));
        assertSame(v4, table.get(Ipv4Address.parse("192.168.104.3").bits(), 40000, DST, 80));
        assertNull(table.get(g3.high(), g3.low(), 40000, gw.high(), gw.low(), 81));
        assertNull(table.get(g3.high(), g3.low() + 100, 40000, gw.high(), gw.low(), 80));
        assertTrue(table.remove(a));
        assertNull(table.get(a.conn.key()));
        assertSame(b, table.get(b.conn.key()));
        assertSame(v4, table.get(v4.conn.key()));
        assertEquals(3, table.snapshot().size());
    }

    @Test
    void guestsWithTheSamePortsShareABucketAndStayApart() {
        NatFlowTable table = new NatFlowTable();
        NatTcpFlow a = flow("192.168.104.3", 40000, 80);
        NatTcpFlow b = flow("192.168.104.4", 40000, 80);
        NatTcpFlow c = flow("192.168.104.5", 40000, 80);
        NatTcpFlow other = flow("192.168.104.3", 40001, 80);
        table.put(a);
        table.put(b);
        table.put(c);
        table.put(other);
        assertEquals(4, table.size());
        int g3 = Ipv4Address.parse("192.168.104.3").bits();
        int g4 = Ipv4Address.parse("192.168.104.4").bits();
        int g5 = Ipv4Address.parse("192.168.104.5").bits();
        assertSame(a, table.get(g3, 40000, DST, 80));
        assertSame(b, table.get(g4, 40000, DST, 80));
        assertSame(c, table.get(g5, 40000, DST, 80));
        assertSame(other, table.get(g3, 40001, DST, 80));
        assertNull(table.get(g3, 40000, DST, 81));
        assertNull(table.get(Ipv4Address.parse("192.168.104.6").bits(), 40000, DST, 80));

        // removing from the middle, the head and the tail of a chain keeps the rest reachable
        assertTrue(table.remove(b));
        assertNull(table.get(g4, 40000, DST, 80));
        assertSame(a, table.get(g3, 40000, DST, 80));
        assertSame(c, table.get(g5, 40000, DST, 80));
        assertSame(c, table.remove(c.conn.key()));
        assertSame(a, table.get(g3, 40000, DST, 80));
        assertFalse(table.remove(c));
        assertTrue(table.remove(a));
        assertNull(table.get(g3, 40000, DST, 80));
        assertEquals(1, table.size());
        assertEquals(List.of(other), table.snapshot());
    }

    @Test
    void aNewFlowUnderAnOldKeyReplacesItAndTheOldOneCannotRemoveIt() {
        NatFlowTable table = new NatFlowTable();
        NatTcpFlow old = flow("192.168.104.3", 40000, 80);
        NatTcpFlow fresh = flow("192.168.104.3", 40000, 80);
        table.put(old);
        table.put(fresh);
        assertEquals(1, table.size());
        assertFalse(table.remove(old), "the replaced flow is no longer in the table");
        assertSame(fresh, table.get(fresh.conn.key()));
    }

    @Test
    void snapshotHoldsEveryFlowOnce() {
        NatFlowTable table = new NatFlowTable();
        Set<NatTcpFlow> all = new HashSet<>();
        for (int guest = 2; guest < 12; guest++) {
            for (int port = 1000; port < 1100; port++) {
                NatTcpFlow f = flow("192.168.104." + guest, port, 443);
                table.put(f);
                all.add(f);
            }
        }
        assertEquals(all.size(), table.size());
        assertEquals(all, new HashSet<>(table.snapshot()));
        assertEquals(all.size(), table.snapshot().size());
    }

    /**
     * The review's attack on the old, unkeyed IPv6 key {@code (high*C) ^ low ^ (ports<<40) ^ ports}: for each source
     * port p, the destination {@code base ^ f(p0) ^ f(p)} in one /64 undid the ports, so every tuple got one key.
     */
    @Test
    void ipv6TuplesChosenToCancelThePortsDoNotShareABucket() {
        Ipv6Address base = Ipv6Address.parse("2001:db8:1:2::10");
        int dstPort = 443;
        int p0 = 40000;
        Set<Long> keys = new HashSet<>();
        int tuples = 4096;
        for (int p = p0; p < p0 + tuples; p++) {
            long low = base.low() ^ cancel(p0, dstPort) ^ cancel(p, dstPort);
            keys.add(NatFlowTable.bucketKey(p, base.high(), low, dstPort));
        }
        assertEquals(tuples, keys.size(), "tuples sharing a hash key");
    }

    /** The part of the old key made of the ports: {@code (ports << 40) ^ ports}. */
    private static long cancel(int guestPort, int dstPort) {
        long ports = ((long) guestPort << 16) | dstPort;
        return (ports << 40) ^ ports;
    }

    @Test
    void ipv4TuplesKeepDistinctKeysUnlessOnlyTheGuestDiffers() {
        int a = Ipv4Address.parse("203.0.113.7").bits();
        int b = Ipv4Address.parse("203.0.113.8").bits();
        long ka = NatFlowTable.bucketKey(40000, 0, TcpConnectionKey.mapped(a), 80);
        assertEquals(ka, NatFlowTable.bucketKey(40000, 0, TcpConnectionKey.mapped(a), 80));
        assertFalse(ka == NatFlowTable.bucketKey(40000, 0, TcpConnectionKey.mapped(b), 80));
        assertFalse(ka == NatFlowTable.bucketKey(40001, 0, TcpConnectionKey.mapped(a), 80));
        assertFalse(ka == NatFlowTable.bucketKey(40000, 0, TcpConnectionKey.mapped(a), 81));
    }
}
