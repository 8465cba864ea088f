package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.SeqNumber;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The indexed timer heap against a plain sorted list, under random schedule, move and remove operations. */
class FlowTimersTest {

    private static NatTcpFlow flow(int i) {
        TcpConnectionKey key = new TcpConnectionKey(new Ipv4Address(0xC0A86803), 1024 + i,
                Ipv4Address.parse("203.0.113.7"), 80);
        TcpConnection conn = TcpConnection.connect(key, TcpConfig.defaults(), UnpooledByteBufAllocator.DEFAULT,
                null, SeqNumber.of(1), 0);
        return new GuestProbe(conn, 1, Long.MAX_VALUE);
    }

    @Test
    void randomOperationsKeepTheEarliestFirst() {
        for (long base : new long[] {0, Long.MAX_VALUE - 500_000}) { // also across the clock's wrap-around
            Random random = new Random(7);
            FlowTimers timers = new FlowTimers();
            List<NatTcpFlow> flows = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                flows.add(flow(i));
            }
            List<NatTcpFlow> queued = new ArrayList<>();
            Comparator<NatTcpFlow> byDeadline = (a, b) -> Long.compare(a.queuedAt - base, b.queuedAt - base);
            for (int step = 0; step < 20_000; step++) {
                NatTcpFlow f = flows.get(random.nextInt(flows.size()));
                switch (random.nextInt(4)) {
                    case 0, 1 -> { // schedule or move (earlier or later)
                        timers.schedule(f, base + random.nextInt(1_000_000));
                        if (!queued.contains(f)) {
                            queued.add(f);
                        }
                    }
                    case 2 -> {
                        timers.remove(f);
                        queued.remove(f);
                        assertEquals(Long.MAX_VALUE, f.queuedAt);
                        assertEquals(-1, f.timerSlot);
                    }
                    default -> {
                        NatTcpFlow head = timers.peek();
                        if (queued.isEmpty()) {
                            assertNull(head);
                            assertNull(timers.poll());
                        } else {
                            long earliest = queued.stream().min(byDeadline).orElseThrow().queuedAt;
                            assertEquals(earliest, head.queuedAt, "the flow at the head is due first");
                            assertSame(head, timers.poll());
                            queued.remove(head);
                            assertEquals(Long.MAX_VALUE, head.queuedAt);
                        }
                    }
                }
                assertEquals(queued.size(), timers.size());
                if (!queued.isEmpty()) {
                    long earliest = queued.stream().min(byDeadline).orElseThrow().queuedAt;
                    assertEquals(earliest, timers.peek().queuedAt);
                }
            }
        }
    }

    @Test
    void removingTheLastSlotAndTheRootLeavesTheRestInOrder() {
        FlowTimers timers = new FlowTimers();
        NatTcpFlow a = flow(1);
        NatTcpFlow b = flow(2);
        NatTcpFlow c = flow(3);
        timers.schedule(a, 10);
        timers.schedule(b, 20);
        timers.schedule(c, 30);
        timers.remove(c); // the last slot
        assertSame(a, timers.peek());
        timers.remove(a); // the root
        assertSame(b, timers.peek());
        timers.schedule(b, 40);
        timers.schedule(c, 35);
        assertSame(c, timers.poll());
        assertSame(b, timers.poll());
        assertNull(timers.poll());
    }
}
