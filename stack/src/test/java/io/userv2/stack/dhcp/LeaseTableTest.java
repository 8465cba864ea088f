package io.userv2.stack.dhcp;

import static io.userv2.stack.dhcp.DhcpHarness.GW_IP;
import static io.userv2.stack.dhcp.DhcpHarness.SECOND;
import static io.userv2.stack.dhcp.DhcpHarness.SUBNET;
import static io.userv2.stack.dhcp.DhcpHarness.T0;
import static io.userv2.stack.dhcp.DhcpHarness.VM1;
import static io.userv2.stack.dhcp.DhcpHarness.VM2;
import static io.userv2.stack.dhcp.DhcpHarness.VM3;
import static io.userv2.stack.dhcp.DhcpHarness.WALL0;
import static io.userv2.stack.dhcp.DhcpHarness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.DhcpRepr;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Restoring persisted leases, numbering the snapshots saved, and the store's failure path. */
class LeaseTableTest {
    final DhcpConfig config = DhcpConfig.builder(SUBNET, GW_IP).poolEnd(ip("192.168.104.100"))
            .staticLeases(List.of(new StaticLease(ip("192.168.104.50"), VM3))).build();
    final DhcpHarness.Events events = new DhcpHarness.Events();
    final DhcpCounters counters = new DhcpCounters();
    final List<Ipv4Address> acked = new ArrayList<>();
    final AckGate gate = new AckGate((ack, to, mac) -> acked.add(ack.yiaddr()), counters, 4);

    {
        gate.setEventListener(events);
    }

    LeaseTable table(LeaseStore store) {
        LeaseTable t = new LeaseTable(config, TimeBase.of(T0, WALL0), store, gate);
        t.setEventListener(events);
        return t;
    }

    static Lease lease(MacAddress mac, String ip, String host, long expires) {
        return new Lease(mac, ip(ip), host, expires, false);
    }

    @Test
    void clashingAndOutOfPoolLeasesAreDiscardedAndReported() {
        LeaseTable t = table(LeaseStore.NONE);
        MacAddress vm4 = MacAddress.parse("52:55:55:00:00:04");
        MacAddress vm5 = MacAddress.parse("52:55:55:00:00:05");
        t.restore(List.of(
                lease(VM1, "192.168.104.3", "one", WALL0 + 1000),
                lease(VM1, "192.168.104.4", "again", WALL0 + 1000),        // MAC listed twice
                lease(VM2, "192.168.104.3", "two", WALL0 + 1000),          // address taken
                lease(vm4, "192.168.104.200", null, WALL0 + 1000),         // outside the pool
                lease(vm5, "192.168.104.50", null, WALL0 + 1000),          // another MAC's static address
                lease(VM3, "192.168.104.7", null, WALL0 + 1000),           // the static MAC elsewhere
                lease(VM3, "192.168.104.50", "static-host", WALL0 + 1000)), T0);
        assertEquals(5, events.log.size(), events.log.toString());
        assertTrue(events.log.get(0).startsWith("discarded 192.168.104.4: MAC listed twice"));
        assertEquals(List.of(ip("192.168.104.3"), ip("192.168.104.50")), t.leases().stream().map(Lease::ip).toList());
        assertEquals("static-host", t.lease(VM3).hostname());
        assertTrue(t.lease(VM3).staticLease());
        assertNull(t.lease(VM2));
    }

    @Test
    void aFarFutureExpiryIsClampedToOneLeaseTime() {
        LeaseTable t = table(LeaseStore.NONE);
        t.restore(List.of(lease(VM1, "192.168.104.3", null, Long.MAX_VALUE)), T0);
        assertEquals(WALL0 + 3_600_000, t.lease(VM1).expiresEpochMillis());
        t.setLeaseListener(events, T0);
        assertEquals(List.of("lease 192.168.104.3 null"), events.log);
        t.expire(T0 + 3600 * SECOND);
        assertEquals("expire 192.168.104.3", events.log.get(1));
    }

    @Test
    void aThrowingStoreSettlesItsSnapshotAsFailedAndTheTableCarriesOn() {
        LeaseTable t = table(new LeaseStore() {
            @Override
            public List<Lease> load() {
                return List.of();
            }

            @Override
            public void save(long generation, List<Lease> leases, SaveCompletion completion) {
                throw new IllegalStateException("disk full");
            }
        });
        assertEquals(ip("192.168.104.3").bits(), t.offer(VM1, null, T0));
        assertEquals(ip("192.168.104.3"), t.bind(VM1, ip("192.168.104.3").bits(), null, T0).lease().ip());
        assertEquals(1, counters.storeFailures());
        gate.send(t.savedGeneration(), DhcpRepr.builder().yiaddr(ip("192.168.104.3")).build(), null, null);
        assertEquals(List.of(ip("192.168.104.3")), acked, "the ACK is not held for a snapshot that failed");
    }

    @Test
    void snapshotsAreNumberedAndHoldEveryBoundLease() {
        List<Long> generations = new ArrayList<>();
        List<List<Lease>> snapshots = new ArrayList<>();
        LeaseTable t = table(new LeaseStore() {
            @Override
            public List<Lease> load() {
                return List.of();
            }

            @Override
            public void save(long generation, List<Lease> leases, SaveCompletion completion) {
                generations.add(generation);
                snapshots.add(leases);
            }
        });
        assertEquals(0, t.savedGeneration(), "nothing saved yet");
        t.bind(VM1, ip("192.168.104.3").bits(), "one", T0);
        t.bind(VM2, ip("192.168.104.4").bits(), "two", T0);
        t.release(VM1, ip("192.168.104.3").bits(), T0 + SECOND);
        assertEquals(List.of(1L, 2L, 3L), generations);
        assertEquals(3, t.savedGeneration());
        assertEquals(List.of(VM1, VM2), snapshots.get(1).stream().map(Lease::mac).toList());
        assertEquals(WALL0 + 1000, snapshots.get(2).get(0).expiresEpochMillis(), "the release is in the last one");
    }
}
