package io.userv2.stack.dhcp;

import static io.userv2.stack.dhcp.DhcpHarness.GW_IP;
import static io.userv2.stack.dhcp.DhcpHarness.SUBNET;
import static io.userv2.stack.dhcp.DhcpHarness.VM1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp.DhcpHarness.Reply;
import io.userv2.stack.wire.DhcpClientId;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.DhcpRepr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * OFFER and ACK sizes: within 548 octets of DHCP message (a 576-octet datagram, RFC 2131 section 2) for a client that
 * sent no Maximum DHCP Message Size (57), within its option 57 otherwise; the search list (119) goes first, the
 * Client-identifier (61) is always echoed (RFC 6842). Sizes are read from the bytes sent.
 */
class DhcpReplySizeTest {

    /** Six 45-octet names: option 119 alone takes about 280 octets. */
    static final List<String> LONG_SEARCH = List.of(
            "engineering.department-one.example-corp.test", "engineering.department-two.example-corp.test",
            "engineering.department-six.example-corp.test", "engineering.department-ten.example-corp.test",
            "operations.department-one.example-corporate.test", "operations.department-two.example-corporate.test");
    /** A Client-identifier of the longest length one option holds. */
    static final byte[] LONG_ID = longId();

    final DhcpHarness h = new DhcpHarness(DhcpConfig.builder(SUBNET, GW_IP).searchDomains(LONG_SEARCH)
            .domainName("corp.test").build(), new InMemoryLeaseStore());

    private static byte[] longId() {
        byte[] id = new byte[255];
        Arrays.fill(id, (byte) 0x5a);
        id[0] = (byte) 0xff;
        return id;
    }

    @AfterEach
    void nothingLeftUnread() {
        h.assertSilent();
    }

    @Test
    void withoutOption57TheSearchListGoesAndTheIdentifierStays() {
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DhcpClientId.of(LONG_ID)).build());
        Reply offer = h.take();
        assertFits(offer, 548);
        h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP).requestedIp(offer.dhcp().yiaddr())
                .clientId(DhcpClientId.of(LONG_ID)).build());
        Reply ack = h.take();
        assertEquals(DhcpMessageType.ACK, ack.type());
        assertFits(ack, 548);
        assertTrue(h.server.counters().optionsLeftOut() >= 2, "counted: " + h.server.counters());
        assertEquals(0, h.server.counters().oversizedReplies());
    }

    private static void assertFits(Reply r, int limit) {
        assertTrue(r.bytes().length <= limit, r.type() + " is " + r.bytes().length + " octets");
        assertArrayEquals(LONG_ID, DhcpClientIdTest.option61(r), "RFC 6842: echoed unaltered");
        assertTrue(r.rawOption(119).isEmpty(), "the search list went first");
        DhcpRepr d = r.dhcp();
        assertNotNull(d.leaseTime());
        assertNotNull(d.subnetMask());
        assertNotNull(d.routers());
        assertNotNull(d.dnsServers());
        assertEquals(GW_IP, d.serverIdentifier());
    }

    @Test
    void aClientThatTakesMoreGetsEverything() {
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DhcpClientId.of(LONG_ID)).maxMessageSize(1500)
                .build());
        Reply offer = h.take();
        assertTrue(offer.bytes().length > 548 && offer.bytes().length <= 1500 - 28, "" + offer.bytes().length);
        assertEquals(LONG_SEARCH, offer.dhcp().domainSearch());
        assertEquals("corp.test", offer.dhcp().domainName());
        assertArrayEquals(LONG_ID, DhcpClientIdTest.option61(offer));
        assertEquals(0, h.server.counters().optionsLeftOut());
    }

    @Test
    void aLongSearchListAloneIsLeftOutButNothingElse() {
        // No identifier at all: the search list alone makes the reply too long for 576; the rest is kept.
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).build());
        Reply offer = h.take();
        assertTrue(offer.bytes().length <= 548);
        assertNull(offer.dhcp().domainSearch());
        assertEquals("corp.test", offer.dhcp().domainName(), "option 15 stays when 119 was enough");
        assertNotNull(offer.dhcp().broadcastAddress());
        assertNotNull(offer.dhcp().renewalTime());
        assertEquals(1, h.server.counters().optionsLeftOut());
    }

    @Test
    void aReplyThatFitsIsUntouched() {
        DhcpHarness small = new DhcpHarness();
        small.broadcast(small.message(VM1, DhcpMessageType.DISCOVER).clientId(DhcpClientIdTest.DUID).build());
        Reply offer = small.take();
        assertEquals(List.of("lima.test", "corp.test"), offer.dhcp().domainSearch());
        assertEquals(0, small.server.counters().optionsLeftOut());
        small.assertSilent();
    }

    @Test
    void theLimitFollowsOption57AndTheLinkMtu() {
        DhcpRepr plain = DhcpRepr.builder().op(DhcpRepr.Op.BOOTREQUEST).chaddr(VM1)
                .messageType(DhcpMessageType.DISCOVER).build();
        assertEquals(548, ReplySize.limit(plain, 0));
        assertEquals(548, ReplySize.limit(plain, 1500), "the MTU does not raise the default");
        DhcpRepr big = plain.toBuilder().maxMessageSize(9000).build();
        assertEquals(9000 - 28, ReplySize.limit(big, 0));
        assertEquals(1400 - 28, ReplySize.limit(big, 1400));
        assertEquals(1500 - 28, ReplySize.limit(plain.toBuilder().maxMessageSize(1500).build(), 9000));
    }

    @Test
    void whatCannotBeLeftOutIsSentAnywayAndCounted() {
        List<io.userv2.stack.wire.Ipv4Address> manyDns = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            manyDns.add(io.userv2.stack.wire.Ipv4Address.parse("192.168.104." + i));
        }
        DhcpHarness crowded = new DhcpHarness(DhcpConfig.builder(SUBNET, GW_IP).dnsServers(manyDns).build(),
                new InMemoryLeaseStore());
        crowded.broadcast(crowded.message(VM1, DhcpMessageType.DISCOVER).clientId(DhcpClientId.of(LONG_ID)).build());
        Reply offer = crowded.take();
        assertEquals(DhcpMessageType.OFFER, offer.type());
        assertArrayEquals(LONG_ID, DhcpClientIdTest.option61(offer));
        assertEquals(20, offer.dhcp().dnsServers().size());
        assertEquals(1, crowded.server.counters().oversizedReplies());
        assertFalse(offer.bytes().length <= 548);
        crowded.assertSilent();
    }
}
