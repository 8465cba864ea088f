package io.userv2.stack.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArpCacheTest {
    static final long SECOND = 1_000_000_000L;
    static final int IP_A = Ipv4Address.parse("192.168.104.3").bits();
    static final int IP_B = Ipv4Address.parse("192.168.104.4").bits();
    static final int IP_C = Ipv4Address.parse("192.168.104.5").bits();
    static final long MAC_A = MacAddress.parse("52:55:55:00:00:03").bits();
    static final long MAC_B = MacAddress.parse("52:55:55:00:00:04").bits();

    @Test
    void learnsAndLooksUp() {
        ArpCache cache = new ArpCache(60 * SECOND, 16);
        assertEquals(ArpCache.NONE, cache.lookup(IP_A, 0));
        assertTrue(cache.learn(IP_A, MAC_A, 0));
        assertFalse(cache.learn(IP_A, MAC_A, SECOND), "identical refresh is not a change");
        assertTrue(cache.learn(IP_A, MAC_B, 2 * SECOND), "new MAC is a change");
        assertEquals(MAC_B, cache.lookup(IP_A, 3 * SECOND));
        assertEquals(MacAddress.of(MAC_B), cache.lookup(new Ipv4Address(IP_A), 3 * SECOND));
        assertEquals(Map.of(new Ipv4Address(IP_A), MacAddress.of(MAC_B)), cache.snapshot(3 * SECOND));
    }

    @Test
    void entriesAgeOutAfterTheTimeoutSinceLastRefresh() {
        ArpCache cache = new ArpCache(60 * SECOND, 16);
        cache.learn(IP_A, MAC_A, 0);
        cache.learn(IP_A, MAC_A, 30 * SECOND);
        assertEquals(MAC_A, cache.lookup(IP_A, 89 * SECOND));
        assertEquals(ArpCache.NONE, cache.lookup(IP_A, 90 * SECOND));
        assertNull(cache.lookup(new Ipv4Address(IP_A), 90 * SECOND));
        assertEquals(0, cache.size(), "expired entry removed on lookup");
    }

    @Test
    void expirePurges() {
        ArpCache cache = new ArpCache(10 * SECOND, 16);
        cache.learn(IP_A, MAC_A, 0);
        cache.learn(IP_B, MAC_B, 5 * SECOND);
        cache.expire(12 * SECOND);
        assertEquals(1, cache.size());
        assertEquals(MAC_B, cache.lookup(IP_B, 12 * SECOND));
    }

    @Test
    void updateOnlyRefreshesKnownEntries() {
        ArpCache cache = new ArpCache(10 * SECOND, 16);
        assertFalse(cache.update(IP_A, MAC_A, 0));
        assertEquals(ArpCache.NONE, cache.lookup(IP_A, 0), "RFC 826 merge does not add");
        cache.learn(IP_A, MAC_A, 0);
        assertTrue(cache.update(IP_A, MAC_B, 5 * SECOND));
        assertEquals(MAC_B, cache.lookup(IP_A, 14 * SECOND), "update refreshed the age");
    }

    @Test
    void fullCacheEvictsTheStalestEntry() {
        ArpCache cache = new ArpCache(100 * SECOND, 2);
        cache.learn(IP_A, MAC_A, 0);
        cache.learn(IP_B, MAC_B, SECOND);
        cache.learn(IP_A, MAC_A, 2 * SECOND); // A refreshed: B is now the stalest
        cache.learn(IP_C, MAC_A, 3 * SECOND);
        assertEquals(2, cache.size());
        assertEquals(ArpCache.NONE, cache.lookup(IP_B, 3 * SECOND));
        assertEquals(MAC_A, cache.lookup(IP_C, 3 * SECOND));
    }

    @Test
    void nanoTimeWrapAroundIsHarmless() {
        ArpCache cache = new ArpCache(10 * SECOND, 16);
        long start = Long.MAX_VALUE - 5 * SECOND;
        cache.learn(IP_A, MAC_A, start);
        assertEquals(MAC_A, cache.lookup(IP_A, start + 9 * SECOND)); // overflows to negative
        assertEquals(ArpCache.NONE, cache.lookup(IP_A, start + 10 * SECOND));
    }
}
