package io.userv2.stack.dhcp;

import static io.userv2.stack.dhcp.DhcpHarness.GW_IP;
import static io.userv2.stack.dhcp.DhcpHarness.SUBNET;
import static io.userv2.stack.dhcp.DhcpHarness.VM1;
import static io.userv2.stack.dhcp.DhcpHarness.WALL0;
import static io.userv2.stack.dhcp.DhcpHarness.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.userv2.stack.dhcp.DhcpHarness.Reply;
import io.userv2.stack.wire.DhcpMessageType;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A configured lease time: option 51 carries it, T1 (58) and T2 (59) follow it as RFC 2131 section 4.4.5 has it
 * ("T1 defaults to (0.5 * duration_of_lease). T2 defaults to (0.875 * duration_of_lease)"), and the server keeps
 * time by it (renewal, expiry). Values are read back from the reply's bytes.
 */
class DhcpLeaseTimeTest {
    final DhcpHarness h = new DhcpHarness(DhcpConfig.builder(SUBNET, GW_IP).leaseSeconds(30).build(),
            new InMemoryLeaseStore());

    @AfterEach
    void nothingLeftUnread() {
        h.assertSilent();
    }

    /** The single 4-octet value of option {@code code} in {@code r}, from its bytes. */
    static long u32Option(Reply r, int code) {
        List<byte[]> values = r.rawOption(code);
        assertEquals(1, values.size(), "option " + code + " once");
        assertEquals(4, values.get(0).length, "option " + code + " length");
        return ByteBuffer.wrap(values.get(0)).getInt() & 0xFFFFFFFFL;
    }

    static void assertTimes(Reply r, long lease, long t1, long t2) {
        assertEquals(lease, u32Option(r, 51), "lease time");
        assertEquals(t1, u32Option(r, 58), "T1");
        assertEquals(t2, u32Option(r, 59), "T2");
    }

    @Test
    void offerAndAckCarryTheLeaseTimeAndT1T2FollowIt() {
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
        Reply offer = h.take();
        assertTimes(offer, 30, 15, 26); // 0.875 * 30 = 26.25, rounded down: T2 stays before the lease ends
        h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP).requestedIp(offer.dhcp().yiaddr())
                .build());
        Reply ack = h.take();
        assertTimes(ack, 30, 15, 26);
        assertEquals(WALL0 + 30_000, h.server.lease(VM1).expiresEpochMillis());
    }

    @Test
    void aRenewalAtT1ExtendsTheLeaseByTheLeaseTimeAndWithoutOneItExpires() {
        h.lease(VM1, "vm1");
        h.advanceSeconds(15);
        h.unicast(h.message(VM1, DhcpMessageType.REQUEST).ciaddr(ip("192.168.104.3")).build(), ip("192.168.104.3"));
        assertTimes(h.take(), 30, 15, 26);
        assertEquals(WALL0 + 45_000, h.server.lease(VM1).expiresEpochMillis());
        h.advanceSeconds(29);
        h.server.expire(h.now);
        assertEquals(List.of("lease 192.168.104.3 vm1"), h.events.log, "still bound one second before the end");
        h.advanceSeconds(1);
        h.server.expire(h.now);
        assertEquals(List.of("lease 192.168.104.3 vm1", "expire 192.168.104.3"), h.events.log);
    }

    @Test
    void shortLeasesKeepT1BeforeT2BeforeTheEnd() {
        DhcpConfig c = DhcpConfig.builder(SUBNET, GW_IP).leaseSeconds(10).build();
        assertEquals(5, c.renewalSeconds());
        assertEquals(8, c.rebindingSeconds());
        DhcpConfig odd = DhcpConfig.builder(SUBNET, GW_IP).leaseSeconds(7).build();
        assertEquals(3, odd.renewalSeconds());
        assertEquals(6, odd.rebindingSeconds());
    }

    @Test
    void theLeaseTimeIsChecked() {
        assertThrows(IllegalArgumentException.class, () -> DhcpConfig.builder(SUBNET, GW_IP).leaseSeconds(0).build());
        assertThrows(IllegalArgumentException.class,
                () -> DhcpConfig.builder(SUBNET, GW_IP).leaseSeconds(0xFFFFFFFFL).build(), "all ones is infinity");
    }

    @Test
    void informStillGetsNoTimes() {
        h.unicast(h.message(VM1, DhcpMessageType.INFORM).ciaddr(ip("192.168.104.200")).build(),
                ip("192.168.104.200"));
        Reply ack = h.take();
        assertEquals(List.of(), ack.rawOption(51));
        assertEquals(List.of(), ack.rawOption(58));
        assertEquals(List.of(), ack.rawOption(59));
    }
}
