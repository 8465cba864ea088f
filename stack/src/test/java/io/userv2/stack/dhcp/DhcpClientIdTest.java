package io.userv2.stack.dhcp;

import static io.userv2.stack.dhcp.DhcpHarness.GW_IP;
import static io.userv2.stack.dhcp.DhcpHarness.VM1;
import static io.userv2.stack.dhcp.DhcpHarness.VM2;
import static io.userv2.stack.dhcp.DhcpHarness.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.userv2.stack.dhcp.DhcpHarness.Reply;
import io.userv2.stack.wire.DhcpClientId;
import io.userv2.stack.wire.DhcpMessageType;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Client-identifier (option 61) in replies, RFC 6842 section 3: "If the 'client identifier' option is present in
 * a message received from a client, the server MUST return the 'client identifier' option, unaltered, in its response
 * message." The option is read back from the reply's bytes, not only through our codec. And leases stay keyed by the
 * hardware address whatever identifier a client sends (see {@link LeaseTable}).
 */
class DhcpClientIdTest {
    /**
     * What systemd-networkd sends by default (RFC 4361): type 255, a 4-octet IAID, then a DUID-EN (type 2) with
     * systemd's enterprise number 43793 (0xab11) and 8 octets derived from the machine id.
     */
    static final byte[] NETWORKD_ID = HexLiteral.bytes("ff 6a 3b 2c 1d  00 02 00 00 ab 11  9e 0d 41 7c 22 58 aa 03");
    static final DhcpClientId DUID = DhcpClientId.of(NETWORKD_ID);

    final DhcpHarness h = new DhcpHarness();

    @AfterEach
    void nothingLeftUnread() {
        h.assertSilent();
    }

    /** The one instance of option 61 in {@code r}, read from its bytes; fails if there is none or several. */
    static byte[] option61(Reply r) {
        List<byte[]> values = r.rawOption(61);
        assertEquals(1, values.size(), "one Client-identifier option in the " + r.type());
        return values.get(0);
    }

    @Test
    void offerAndAckReturnNetworkdsDuidIdentifierUnaltered() {
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DUID).build());
        Reply offer = h.take();
        assertEquals(DhcpMessageType.OFFER, offer.type());
        assertArrayEquals(NETWORKD_ID, option61(offer));
        h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP).requestedIp(offer.dhcp().yiaddr())
                .clientId(DUID).build());
        Reply ack = h.take();
        assertEquals(DhcpMessageType.ACK, ack.type());
        assertArrayEquals(NETWORKD_ID, option61(ack));
        assertEquals(DUID, ack.dhcp().clientId(), "our codec reads the same");
        // RENEWING, unicast from the leased address.
        h.unicast(h.message(VM1, DhcpMessageType.REQUEST).ciaddr(offer.dhcp().yiaddr()).clientId(DUID).build(),
                offer.dhcp().yiaddr());
        Reply renewed = h.take();
        assertEquals(DhcpMessageType.ACK, renewed.type());
        assertArrayEquals(NETWORKD_ID, option61(renewed));
    }

    @Test
    void aNakReturnsItToo() {
        h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).requestedIp(ip("10.0.0.5")).clientId(DUID).build());
        Reply nak = h.take();
        assertEquals(DhcpMessageType.NAK, nak.type());
        assertEquals("address not on this network", nak.dhcp().message());
        assertArrayEquals(NETWORKD_ID, option61(nak));
    }

    @Test
    void theAckToAnInformReturnsItToo() {
        h.unicast(h.message(VM1, DhcpMessageType.INFORM).ciaddr(ip("192.168.104.200")).clientId(DUID).build(),
                ip("192.168.104.200"));
        Reply ack = h.take();
        assertEquals(DhcpMessageType.ACK, ack.type());
        assertArrayEquals(NETWORKD_ID, option61(ack));
    }

    @Test
    void withoutAnIdentifierTheRepliesHaveNone() {
        Reply ack = h.lease(VM1, null);
        assertEquals(List.of(), ack.rawOption(61));
        assertNull(ack.dhcp().clientId());
        h.broadcast(h.message(VM2, DhcpMessageType.REQUEST).requestedIp(ip("10.0.0.5")).build());
        assertEquals(List.of(), h.take().rawOption(61), "NAK");
    }

    @Test
    void eachReplyCarriesTheIdentifierOfItsOwnRequest() {
        // An initramfs udhcpc (type 1, the MAC) and then networkd (DUID) on one VM: each gets its own back.
        DhcpClientId mac = DhcpClientId.ofMac(VM1);
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(mac).build());
        assertArrayEquals(mac.toBytes(), option61(h.take()));
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DUID).build());
        assertArrayEquals(NETWORKD_ID, option61(h.take()));
    }

    @Test
    void leasesAreKeyedByTheHardwareAddressWhateverTheIdentifier() {
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DhcpClientId.ofMac(VM1)).build());
        Ipv4Address first = h.take().dhcp().yiaddr();
        h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP).requestedIp(first)
                .clientId(DhcpClientId.ofMac(VM1)).build());
        assertEquals(DhcpMessageType.ACK, h.take().type());
        // The same VM after a reboot into networkd, with a DUID: the same address, the same single lease.
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DUID).build());
        assertEquals(first, h.take().dhcp().yiaddr());
        h.broadcast(h.message(VM1, DhcpMessageType.REQUEST).serverIdentifier(GW_IP).requestedIp(first)
                .clientId(DUID).build());
        assertEquals(DhcpMessageType.ACK, h.take().type());
        assertEquals(1, h.server.leases().size());
        // Another MAC sending the very same identifier (a cloned disk keeps its machine id) is another client.
        h.broadcast(h.message(VM2, DhcpMessageType.DISCOVER).clientId(DUID).build());
        Ipv4Address second = h.take().dhcp().yiaddr();
        assertNotEquals(first, second);
        h.broadcast(h.message(VM2, DhcpMessageType.REQUEST).requestedIp(first).clientId(DUID).build());
        assertEquals("client's address is " + second, h.take().dhcp().message(), "VM2's own offer, not VM1's lease");
        // And its RELEASE of VM1's address, naming VM1's identifier, releases nothing.
        h.unicast(h.message(VM2, DhcpMessageType.RELEASE).ciaddr(first).serverIdentifier(GW_IP).clientId(DUID)
                .build(), first);
        assertEquals(1, h.server.counters().dropped(DhcpDropReason.RELEASE_NOT_BOUND));
        assertEquals(first, h.server.lease(VM1).ip());
    }

    @Test
    void anIdentifierLongerThanOneOptionIsDroppedAsMalformed() {
        byte[] longId = new byte[DhcpServer.MAX_CLIENT_ID_LENGTH + 1];
        longId[0] = (byte) 255;
        // Our codec splits it into two instances (RFC 3396); the server concatenates them and refuses the result.
        byte[] discover = DhcpHarness.encode(h.message(VM1, DhcpMessageType.DISCOVER)
                .clientId(DhcpClientId.of(longId)).build());
        h.send(VM1, MacAddress.BROADCAST, Ipv4Address.ANY, Ipv4Address.BROADCAST, discover);
        assertEquals(1, h.server.counters().dropped(DhcpDropReason.MALFORMED));
        byte[] longest = new byte[DhcpServer.MAX_CLIENT_ID_LENGTH];
        longest[0] = (byte) 255;
        h.broadcast(h.message(VM1, DhcpMessageType.DISCOVER).clientId(DhcpClientId.of(longest)).build());
        assertArrayEquals(longest, option61(h.take()), "255 octets are one option and are echoed");
    }
}
