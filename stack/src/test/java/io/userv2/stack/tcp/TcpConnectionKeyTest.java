package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import org.junit.jupiter.api.Test;

/** The family-neutral four-tuple: IPv4 keys as IPv4-mapped halves, IPv6 keys outside {@code ::/64}. */
class TcpConnectionKeyTest {
    private static final Ipv4Address GUEST = Ipv4Address.parse("192.168.104.3");
    private static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");

    @Test
    void anIpv4KeyKeepsItsAddressesAndPrintsAsBefore() {
        TcpConnectionKey k = new TcpConnectionKey(GUEST, 50024, GATEWAY, 80);
        assertFalse(k.isIpv6());
        assertEquals(GUEST, k.remoteAddress());
        assertEquals(GATEWAY.bits(), k.localIpv4());
        assertEquals(Ipv6Address.parse("::ffff:192.168.104.3"), k.remoteIpv6(), "RFC 4291 2.5.5.2 form");
        assertEquals("192.168.104.3.50024 > 192.168.104.2.80", k.toString());
        assertEquals(GUEST.toInetAddress(), k.remoteInetAddress());
    }

    @Test
    void anIpv6KeyIsItsOwnFamilyAndRefusesIpv4Accessors() {
        Ipv6Address guest = Ipv6Address.parse("fd00::3");
        Ipv6Address gw = Ipv6Address.parse("fd00::2");
        TcpConnectionKey k = new TcpConnectionKey(guest, 50024, gw, 80);
        assertTrue(k.isIpv6());
        assertEquals(guest, k.remoteIpv6());
        assertEquals(gw, k.localIpv6());
        assertEquals("fd00::3.50024 > fd00::2.80", k.toString());
        assertThrows(IllegalStateException.class, k::remoteAddress);
        assertEquals(k, new TcpConnectionKey(guest, 50024, gw, 80));
        assertNotEquals(k, new TcpConnectionKey(guest, 50024, gw, 81));
    }

    @Test
    void mixedOrMappedTuplesAreRefused() {
        Ipv6Address gw = Ipv6Address.parse("fd00::2");
        assertThrows(IllegalArgumentException.class,
                () -> new TcpConnectionKey(Ipv6Address.parse("::ffff:192.168.104.3"), 1, gw, 80));
        assertThrows(IllegalArgumentException.class,
                () -> new TcpConnectionKey(0, TcpConnectionKey.mapped(GUEST.bits()), 1, gw.high(), gw.low(), 80));
        assertThrows(IllegalArgumentException.class, () -> new TcpConnectionKey(0, 5, 1, 0, 6, 80));
        assertThrows(IllegalArgumentException.class, () -> new TcpConnectionKey(GUEST, 0, GATEWAY, 80));
    }
}
