package io.userv2.stack.dhcp6;

import static io.userv2.stack.dhcp6.Dhcp6Harness.DNS;
import static io.userv2.stack.dhcp6.Dhcp6Harness.LL1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.PORT1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.VM1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.WALL0;
import static io.userv2.stack.dhcp6.Dhcp6Harness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.userv2.stack.dhcp6.Dhcp6Harness.Sent;
import java.net.Inet6Address;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replays the messages ISC dhclient 4.4.3 sent to this server in a network namespace (see {@link Dhcp6Captures}),
 * with the configuration that run had, and checks the answers dhclient accepted there.
 */
class Dhcp6DhclientTest {
    static final Duid DHCLIENT = Duid.parse("00:01:00:01:32:a5:f9:30:52:55:55:12:34:56");
    static final int IAID = 0x55123456;
    static final Inet6Address GOT = ip("fd00:1234:5678:9abc::fe3a");

    final Dhcp6Harness h = new Dhcp6Harness(Dhcp6Harness.statefulConfig().leaseSeconds(60).preference(255)
            .informationRefreshSeconds(600).build());

    Sent send(byte[] message) {
        h.deliver(VM1, LL1, true, message, PORT1);
        return h.take();
    }

    @Test
    void statelessInformationRequest() {
        Dhcp6Repr m = send(Dhcp6Captures.dhclientInformationRequest()).m();
        assertEquals(Dhcp6MessageType.REPLY, m.msgType());
        assertEquals(Duid.parse("00:03:00:01:52:55:55:12:34:56"), m.clientId());
        assertEquals(List.of(DNS), m.dnsServers());
        assertEquals(List.of("lima.test", "corp.test"), m.domainList());
        assertEquals(600L, m.informationRefreshTime());
    }

    @Test
    void solicitAdvertiseRequestRenewRelease() {
        Sent adv = send(Dhcp6Captures.dhclientSolicit());
        assertEquals(Dhcp6MessageType.ADVERTISE, adv.type());
        assertEquals(255, adv.m().preference(), "dhclient: 'Advertisement immediately selected'");
        assertEquals(IaNa.of(IAID, 30, 48, List.of(IaAddress.of(GOT, 60, 60))), adv.ia(),
                "the client's T1/T2 and lifetimes are hints the server does not follow");
        Sent reply = send(Dhcp6Captures.dhclientRequest());
        assertEquals(GOT, reply.address());
        assertEquals(0x53c4bc, reply.m().transactionId());
        h.advanceSeconds(30);
        assertEquals(GOT, send(Dhcp6Captures.dhclientRenew()).address());
        assertEquals(WALL0 + 90_000, h.server.lease(DHCLIENT, IAID).expiresEpochMillis());
        Sent released = send(Dhcp6Captures.dhclientRelease());
        assertEquals(Dhcp6Status.SUCCESS, released.m().status().code());
        assertNull(released.m().dnsServers(), "a Reply to Release carries only status and identifiers");
        assertFalse(h.server.lease(DHCLIENT, IAID).isActiveAt(WALL0 + 30_000));
        assertEquals(1, h.server.counters().releases());
    }
}
