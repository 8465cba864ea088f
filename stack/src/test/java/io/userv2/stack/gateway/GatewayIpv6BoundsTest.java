package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.PREFIX;
import static io.userv2.stack.gateway.Ipv6Frames.VM2_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.icmp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Icmpv6Repr;
import org.junit.jupiter.api.Test;

/** The neighbour cache's bounds as the gateway applies them: per switch port, then in all. */
class GatewayIpv6BoundsTest extends Ipv6GatewayFixture {
    @Override
    NeighborCache neighborCache() {
        return new NeighborCache(counters, 6, 4, NeighborCache.DEFAULT_STALE_AFTER_NANOS);
    }

    @Test
    void aPortCrowdsOnlyItselfAndTheTableRefusesWhenFull() {
        for (int i = 1; i <= 5; i++) {
            now = NOW + i;
            receive(icmp(VM_MAC, PREFIX.host(0x100 + i), GW_ULA, 64,
                    new Icmpv6Repr.EchoRequest(1, i, Unpooled.EMPTY_BUFFER)));
            take();
        }
        assertEquals(4, v6.neighbors().size(), "per-port cap 4");
        assertEquals(1, counters.neighborsEvicted());
        assertNull(v6.neighbors().lookup(PREFIX.host(0x101)), "the port's oldest entry made room");
        assertTrue(neighborEvents.contains("-" + PREFIX.host(0x101) + " " + VM_MAC + " " + PORT));
        for (int i = 1; i <= 3; i++) {
            receive(icmp(VM2_MAC, PREFIX.host(0x200 + i), GW_ULA, 64,
                    new Icmpv6Repr.EchoRequest(1, i, Unpooled.EMPTY_BUFFER)), PORT + 1);
            take();
        }
        assertEquals(6, v6.neighbors().size(), "total cap 6");
        assertEquals(1, counters.neighborsRefused());
        assertEquals(4, v6.neighbors().snapshot().values().stream().filter(VM_MAC::equals).count(),
                "nothing of the first port's was evicted for the second");
    }
}
