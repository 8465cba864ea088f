package io.userv2.stack.dhcp6;

import static io.userv2.stack.dhcp6.Dhcp6Harness.DNS;
import static io.userv2.stack.dhcp6.Dhcp6Harness.LL1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.PORT1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.SERVER_DUID;
import static io.userv2.stack.dhcp6.Dhcp6Harness.VM1;
import static io.userv2.stack.dhcp6.Dhcp6Harness.WALL0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp6.Dhcp6Harness.Sent;
import io.userv2.stack.wire.HexLiteral;
import java.net.Inet6Address;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * busybox udhcpc6 (not in Debian's busybox build, so not captured): its messages written after the layout its source
 * builds (networking/udhcp/d6_dhcpc.c): Client Identifier DUID-LL from the MAC, an IA_NA with a random IAID and T1 =
 * T2 = 0, an Option Request for DNS servers and domain list, a Client FQDN option, and no Elapsed Time. It selects
 * with a Request that copies the IA_NA of the Advertise; it renews with a Request (msg-type 3, not Renew) unicast
 * from its leased address to the server's address, and releases by unicast the same way.
 */
class Dhcp6UdhcpcTest {
    static final Duid UDHCPC = Duid.parse("00:03:00:01:52:55:55:12:34:56");
    static final int IAID = 0x6b8b4567;

    final Dhcp6Harness h = new Dhcp6Harness(Dhcp6Harness.statefulConfig().build());

    static byte[] solicit() {
        return HexLiteral.bytes("""
                01 a1b2c3                                # Solicit
                0001 000a 0003 0001 525555123456         # Client Identifier: DUID-LL
                0003 000c 6b8b4567 00000000 00000000     # IA_NA, random IAID, T1 = T2 = 0
                0006 0004 0017 0018                      # ORO: DNS servers, domain list
                0027 0001 00                             # Client FQDN: flags 0, no name
                """);
    }

    /** A Request (msg-type 3) with this server's identifier and the IA_NA {@code ia} as the client copied it. */
    static byte[] request(int xid, IaNa ia) {
        return Dhcp6Harness.encode(Dhcp6Repr.builder().msgType(Dhcp6MessageType.REQUEST).transactionId(xid)
                .clientId(UDHCPC).serverId(SERVER_DUID).addIaNa(ia).optionRequest(List.of(23, 24)).build());
    }

    @Test
    void solicitSelectRenewByUnicastRequestRelease() {
        h.deliver(VM1, LL1, true, solicit(), PORT1);
        Sent adv = h.take();
        assertEquals(Dhcp6MessageType.ADVERTISE, adv.type());
        assertEquals(List.of(DNS), adv.m().dnsServers());
        Inet6Address address = adv.address();

        h.deliver(VM1, LL1, true, request(0x0d0e0f, adv.ia()), PORT1);
        Sent reply = h.take();
        assertEquals(address, reply.address());
        assertEquals(LL1, reply.to());

        h.advanceSeconds(1800);
        h.deliver(VM1, address, false, request(0x101112, reply.ia()), PORT1); // from its leased address, unicast
        Sent renewed = h.take();
        assertEquals(address, renewed.address());
        assertEquals(address, renewed.to(), "answered where it came from");
        assertEquals(WALL0 + (1800 + 3600) * 1000L, h.server.lease(UDHCPC, IAID).expiresEpochMillis());

        h.deliver(VM1, address, false, Dhcp6Harness.encode(Dhcp6Repr.builder().msgType(Dhcp6MessageType.RELEASE)
                .transactionId(0x131415).clientId(UDHCPC).serverId(SERVER_DUID).addIaNa(reply.ia()).build()), PORT1);
        assertEquals(Dhcp6Status.SUCCESS, h.take().m().status().code());
        assertFalse(h.server.lease(UDHCPC, IAID).isActiveAt(WALL0 + 1_800_000));
        assertTrue(h.server.counters().droppedByReason().isEmpty());
    }
}
