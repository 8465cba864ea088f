package io.userv2.stack.dhcp6;

import static io.userv2.stack.dhcp6.Dhcp6Harness.DNS;
import static io.userv2.stack.dhcp6.Dhcp6Harness.GW_MAC;
import static io.userv2.stack.dhcp6.Dhcp6Harness.PREFIX;
import static io.userv2.stack.dhcp6.Dhcp6Harness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class Dhcp6ConfigTest {
    @Test
    void defaultsAreStatelessWithTheGatewaysDuid() {
        Dhcp6Config c = Dhcp6Config.builder(GW_MAC).build();
        assertFalse(c.stateful());
        assertEquals(Duid.linkLayer(GW_MAC), c.serverDuid());
        assertEquals(3600, c.leaseSeconds());
        assertEquals(3600, c.preferredSeconds(), "the preferred lifetime follows the lease time");
        assertEquals(1800, c.t1Seconds());
        assertEquals(2880, c.t2Seconds());
        assertEquals(0, c.preference());
        assertTrue(c.rapidCommit());
        assertEquals(0x1000, c.poolStart());
        assertEquals(0xffff, c.poolEnd());
        Dhcp6Config s = Dhcp6Config.builder(GW_MAC).addressPool(PREFIX).leaseSeconds(7200).preferredSeconds(3000)
                .build();
        assertTrue(s.stateful());
        assertEquals(1500, s.t1Seconds());
        assertEquals(2400, s.t2Seconds());
    }

    @Test
    void inconsistentConfigurationsAreRefused() {
        List<Runnable> bad = List.of(
                () -> Dhcp6Config.builder(GW_MAC).addressPool(ip("fd00::1")).build(),
                () -> Dhcp6Config.builder(GW_MAC).addressPool(PREFIX).poolRange(0, 10).build(),
                () -> Dhcp6Config.builder(GW_MAC).addressPool(PREFIX).poolRange(10, 9).build(),
                () -> Dhcp6Config.builder(GW_MAC).informationRefreshSeconds(599).build(),
                () -> Dhcp6Config.builder(GW_MAC).solMaxRtSeconds(59).build(),
                () -> Dhcp6Config.builder(GW_MAC).solMaxRtSeconds(86401).build(),
                () -> Dhcp6Config.builder(GW_MAC).preference(256).build(),
                () -> Dhcp6Config.builder(GW_MAC).leaseSeconds(0).build(),
                () -> Dhcp6Config.builder(GW_MAC).leaseSeconds(Dhcp6Repr.INFINITY).build(),
                () -> Dhcp6Config.builder(GW_MAC).leaseSeconds(60).preferredSeconds(61).build(),
                () -> Dhcp6Config.builder(GW_MAC).maxLeasesPerPort(0).build(),
                () -> Dhcp6Config.builder(GW_MAC).searchDomains(List.of("bad..domain")).build(),
                () -> Dhcp6Config.builder(GW_MAC).offerHoldSeconds(0).build());
        for (int i = 0; i < bad.size(); i++) {
            Runnable r = bad.get(i);
            assertThrows(IllegalArgumentException.class, r::run, "case " + i);
        }
    }

    @Test
    void thePoolLeavesOutReservedDnsAndAnycastIdentifiers() {
        Dhcp6Config c = Dhcp6Config.builder(GW_MAC).addressPool(PREFIX).dnsServers(List.of(DNS))
                .reserve(ip("fd00:1234:5678:9abc::1001")).reserve(ip("fd00:9999::1002")).poolRange(1, -1L).build();
        Dhcp6AddressPool pool = new Dhcp6AddressPool(c);
        assertFalse(pool.isDynamic(0), "subnet-router anycast");
        assertFalse(pool.isDynamic(2), "the DNS server");
        assertFalse(pool.isDynamic(0x1001), "reserved");
        assertTrue(pool.isDynamic(0x1002), "a reservation in another prefix does not matter here");
        assertFalse(pool.isDynamic(0xfdff_ffff_ffff_ff80L), "RFC 2526 anycast");
        assertFalse(pool.isDynamic(0xfdff_ffff_ffff_ffffL), "RFC 2526 anycast, the last");
        assertTrue(pool.isDynamic(-1L), "RFC 2526 reserves only identifiers with the u bit 0");
        assertTrue(pool.isDynamic(0xfdff_ffff_ffff_ff7fL));
        assertTrue(pool.isDynamic(0xfe00_0000_0000_0000L));
        assertTrue(pool.onLink(ip("fd00:1234:5678:9abc:ffff::1")));
        assertFalse(pool.onLink(ip("fd00:1234:5678:9abd::1")));
        assertEquals(-1L, pool.span(), "2^64 - 1 identifiers, unsigned");
        assertEquals(1, pool.next(-1L, 1), "wraps to the start");
        assertEquals(-1L, pool.next(-2L, 1));
    }

    @Test
    void nextWrapsInsideASmallRange() {
        Dhcp6Config c = Dhcp6Config.builder(GW_MAC).addressPool(PREFIX).poolRange(0x10, 0x13).build();
        Dhcp6AddressPool pool = new Dhcp6AddressPool(c);
        assertEquals(List.of(0x12L, 0x13L, 0x10L, 0x11L),
                List.of(pool.next(0x12, 0), pool.next(0x12, 1), pool.next(0x12, 2), pool.next(0x12, 3)));
        for (int i = 0; i < 50; i++) {
            long place = pool.stablePlace(Duid.parse(String.format("00:04:%02x", i)), i);
            assertTrue(place >= 0x10 && place <= 0x13, "in the range");
        }
    }
}
