package io.userv2.stack.dhcp6;

import static io.userv2.stack.dhcp6.Dhcp6Harness.LL1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.PORT1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.SERVER_DUID;
import static io.userv2.stack.dhcp6.Dhcp6Harness.VM1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.WALL0;
import static io.userv2.stack.dhcp6.Dhcp6Harness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp6.Dhcp6Harness.Sent;
import java.net.Inet6Address;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replays the messages real dhcpcd 9.4.1 sent to this server in a network namespace (see {@link Dhcp6Captures}),
 * with the configuration that run had, and checks the answers it got there.
 */
class Dhcp6DhcpcdTest {
    static final Duid DHCPCD = Duid.parse("00:01:00:01:32:a5:f8:7a:52:55:55:12:34:56");
    static final Inet6Address GOT = ip("fd00:1234:5678:9abc::358f");

    final InMemoryDhcp6LeaseStore disk = new InMemoryDhcp6LeaseStore();
    final Dhcp6Harness h = new Dhcp6Harness(Dhcp6Harness.statefulConfig().leaseSeconds(60).preference(255).build(),
            disk);

    Sent send(byte[] message) {
        h.deliver(VM1, LL1, true, message, PORT1);
        return h.take();
    }

    @Test
    void solicitWithRapidCommitGetsTheAddressItGotInTheNamespace() {
        Sent s = send(Dhcp6Captures.dhcpcdSolicitRapidCommit());
        assertEquals(Dhcp6MessageType.REPLY, s.type());
        assertEquals(0x1b9b72, s.m().transactionId());
        assertEquals(IaNa.of(1, 30, 48, List.of(IaAddress.of(GOT, 60, 60))), s.ia(), "stable place, T1/T2 0.5/0.8");
        assertTrue(s.m().rapidCommit());
        assertEquals(SERVER_DUID, s.m().serverId());
    }

    @Test
    void renewThenRelease() {
        send(Dhcp6Captures.dhcpcdSolicitRapidCommit());
        h.advanceSeconds(30);
        Sent renewed = send(Dhcp6Captures.dhcpcdRenew());
        assertEquals(0x02bc14, renewed.m().transactionId());
        assertEquals(GOT, renewed.address());
        assertEquals(WALL0 + 90_000, h.server.lease(DHCPCD, 1).expiresEpochMillis());
        h.advanceSeconds(5);
        Sent released = send(Dhcp6Captures.dhcpcdRelease());
        assertEquals(Dhcp6Status.SUCCESS, released.m().status().code());
        assertTrue(released.m().iaNas().isEmpty());
        assertFalse(h.server.lease(DHCPCD, 1).isActiveAt(WALL0 + 35_000));
        assertFalse(disk.load().get(0).isActiveAt(WALL0 + 35_000), "the release is saved");
    }

    @Test
    void afterARestartWithoutTheStoreTheClientKeepsItsAddress() {
        send(Dhcp6Captures.dhcpcdSolicitRapidCommit());
        Dhcp6Harness restarted = new Dhcp6Harness(h.config); // a new, empty store: the lease file is gone
        restarted.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdConfirm(), PORT1);
        Sent confirmed = restarted.take();
        assertEquals(Dhcp6Status.SUCCESS, confirmed.m().status().code(), "the address is on link");
        restarted.advanceSeconds(16);
        restarted.deliver(VM1, LL1, true, Dhcp6Captures.dhcpcdRenewAfterRestart(), PORT1);
        Sent renewed = restarted.take();
        assertEquals(GOT, renewed.address());
        assertEquals(GOT, restarted.server.lease(DHCPCD, 1).address());
        assertEquals(List.of("lease " + Dhcp6Repr.format(GOT)), restarted.events.log);
    }
}
