package io.userv2.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link RecentHostNames}: bounded, expiring, case-insensitive; time comes from a test clock. */
class RecentHostNamesTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void namesExpireAfterTheirAge() {
        RecentHostNames r = new RecentHostNames(8, 100, now::get);
        r.add("Vpn.Corp.Test.");
        assertTrue(r.contains("vpn.corp.test"));
        now.addAndGet(99);
        assertTrue(r.contains("VPN.corp.test"));
        now.addAndGet(1);
        assertFalse(r.contains("vpn.corp.test"));
        assertEquals(0, r.size(), "an expired name is dropped when looked at");
        r.add("vpn.corp.test"); // found again: remembered again
        assertTrue(r.contains("vpn.corp.test"));
    }

    @Test
    void theOldestNamesGoFirstWhenFull() {
        RecentHostNames r = new RecentHostNames(3, 1_000_000, now::get);
        r.add("a.test");
        r.add("b.test");
        r.add("c.test");
        assertTrue(r.contains("a.test")); // a is now the most recently seen
        r.add("d.test");
        assertEquals(3, r.size());
        assertFalse(r.contains("b.test"));
        assertTrue(r.contains("a.test"));
        assertTrue(r.contains("c.test"));
        assertTrue(r.contains("d.test"));
        for (int i = 0; i < 1000; i++) {
            r.add("n" + i + ".test");
        }
        assertEquals(3, r.size(), "bounded");
    }

    @Test
    void nonsenseBoundsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RecentHostNames(0, 1, now::get));
        assertThrows(IllegalArgumentException.class, () -> new RecentHostNames(1, 0, now::get));
    }
}
