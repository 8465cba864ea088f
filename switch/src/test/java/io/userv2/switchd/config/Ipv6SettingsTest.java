package io.userv2.switchd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.MacAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class Ipv6SettingsTest {
    static final Ipv4Subnet LIMA = Ipv4Subnet.parse("192.168.104.0/24");
    static final MacAddress GW_MAC = SwitchConfig.DEFAULT_GATEWAY_MAC;

    @Test
    void theDefaultPrefixIsAStableUlaSlash64PerNetwork() {
        Ipv6Prefix p = Ipv6Settings.defaultPrefix(LIMA, GW_MAC);
        assertEquals(64, p.length());
        assertTrue(p.network().isUniqueLocal());
        assertEquals(0xFD, p.network().high() >>> 56, "RFC 4193: fd00::/8, the L bit set");
        assertEquals(0, p.network().high() & 0xFFFF, "subnet ID 0");
        assertEquals(p, Ipv6Settings.defaultPrefix(Ipv4Subnet.parse("192.168.104.0/24"),
                MacAddress.parse("5a:94:ef:e4:0c:dd")), "the same after a restart");
        assertNotEquals(p, Ipv6Settings.defaultPrefix(Ipv4Subnet.parse("192.168.105.0/24"), GW_MAC));
        assertNotEquals(p, Ipv6Settings.defaultPrefix(LIMA, MacAddress.parse("5a:94:ef:e4:0c:de")));
    }

    @Test
    void theGatewayAddressMirrorsItsIpv4HostNumber() {
        Ipv6Prefix p = Ipv6Prefix.parse("fd12:3456:789a::/64");
        assertEquals(Ipv6Address.parse("fd12:3456:789a::2"),
                Ipv6Settings.gatewayAddress(p, LIMA, Ipv4Address.parse("192.168.104.2")));
        assertEquals(Ipv6Address.parse("fd12:3456:789a::1"), Ipv6Settings.gatewayAddress(p,
                Ipv4Subnet.parse("192.168.127.0/24"), Ipv4Address.parse("192.168.127.1")), "gvproxy's layout");
        assertEquals(Ipv6Address.parse("fd12:3456:789a::102"), Ipv6Settings.gatewayAddress(p,
                Ipv4Subnet.parse("10.0.0.0/16"), Ipv4Address.parse("10.0.1.2")));
    }

    @Test
    void onlyUnicastSlash64PrefixesAreTaken() {
        assertThrows(IllegalArgumentException.class, () -> new Ipv6Settings(true, Ipv6Prefix.parse("fd00::/48")));
        assertThrows(IllegalArgumentException.class, () -> new Ipv6Settings(true, Ipv6Prefix.parse("fe80::/64")));
        assertThrows(IllegalArgumentException.class, () -> new Ipv6Settings(true, Ipv6Prefix.parse("ff02::/64")));
        assertEquals(Ipv6Prefix.parse("2001:db8:1::/64"), new Ipv6Settings(true, Ipv6Prefix.parse("2001:db8:1::/64"))
                .prefixFor(LIMA, GW_MAC));
    }

    @Test
    void onByDefaultAndOffBelowMtu1280() {
        List<ListenAddress> listen = List.of(new ListenAddress.Unix(Path.of("/tmp/x.sock")));
        SwitchConfig c = new SwitchConfig(listen, LIMA, Ipv4Address.parse("192.168.104.2"), GW_MAC, 1500, null);
        assertTrue(c.ipv6().enabled());
        assertEquals(Ipv6Settings.defaultPrefix(LIMA, GW_MAC), c.ipv6Prefix());
        assertEquals(c.ipv6Prefix().host(2), c.gatewayIpv6());
        assertFalse(new SwitchConfig(listen, LIMA, Ipv4Address.parse("192.168.104.2"), GW_MAC, 1000, null).ipv6()
                .enabled(), "RFC 8200 5: no IPv6 below 1280");
        assertFalse(c.withIpv6(Ipv6Settings.OFF).ipv6().enabled());
        assertTrue(c.withSecurity(PortSecuritySettings.DEFAULT).ipv6().enabled(), "kept by withSecurity");
    }
}
