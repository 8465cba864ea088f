package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InternalZoneTest {

    private final InternalZone zone = new InternalZone();

    private static Inet4Address v4(String s) {
        return (Inet4Address) ip(s);
    }

    @Test
    void builtInsAnswerCaseInsensitively() {
        assertEquals(ip("192.168.104.2"), zone.lookup(name("host.lima.internal")));
        assertEquals(ip("192.168.104.2"), zone.lookup(name("HOST.Lima.INTERNAL")));
        assertEquals(ip("192.168.104.2"), zone.lookup(name("gateway.lima.internal")));
        assertNull(zone.lookup(name("lima.internal")));
        assertNull(zone.lookup(name("other.internal")));
    }

    @Test
    void dhcpHostnamesBecomeNamesUnderInternal() {
        assertEquals(name("lima-vm1.internal"), zone.put("lima-vm1", v4("192.168.104.3")));
        assertEquals(name("builder.internal"), zone.put("Builder", v4("192.168.104.4")));
        assertEquals(ip("192.168.104.3"), zone.lookup(name("LIMA-VM1.internal")));
        assertEquals(ip("192.168.104.4"), zone.lookup(name("builder.internal")));
        assertNull(zone.lookup(name("vm1.internal")), "lima-NAME is registered as lima-NAME, not NAME");
    }

    @Test
    void ipv6AddressesJoinTheDhcpNameAndHaveReverseNames() {
        zone.put("lima-vm1", v4("192.168.104.3"));
        assertEquals(name("lima-vm1.internal"), zone.putIpv6("LIMA-VM1", List.of(v6("fd00:1::5055:55ff:fe12:3456"),
                v6("fd00:1::1234"))));
        assertEquals(List.of(ip("192.168.104.3"), ip("fd00:1::5055:55ff:fe12:3456"), ip("fd00:1::1234")),
                zone.lookupAll(name("lima-vm1.internal")), "IPv4 first, then IPv6 in the order given");
        assertEquals(ip("192.168.104.3"), zone.lookup(name("lima-vm1.internal")));
        assertEquals(List.of(name("lima-vm1.internal")), zone.reverseLookup(name(
                "4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa")));
        // Replaced, not added to; empty removes.
        zone.putIpv6("lima-vm1", List.of(v6("fd00:1::1234")));
        assertEquals(List.of(ip("192.168.104.3"), ip("fd00:1::1234")), zone.lookupAll(name("lima-vm1.internal")));
        assertTrue(zone.namesOf(ip("fd00:1::5055:55ff:fe12:3456")).isEmpty());
        zone.putIpv6("lima-vm1", List.of());
        assertEquals(List.of(ip("192.168.104.3")), zone.lookupAll(name("lima-vm1.internal")));
        // A name with IPv6 addresses only is owned too.
        zone.putIpv6("v6only", List.of(v6("fd00:1::9")));
        assertEquals(ip("fd00:1::9"), zone.lookup(name("v6only.internal")));
        assertNull(zone.putIpv6("...", List.of(v6("fd00:1::9"))));
    }

    @Test
    void learntIpv6AddressesDoNotJoinNamesOwnedByOtherSources() {
        zone.addStatic("build.internal", ip("10.0.0.5"));
        zone.putIpv6("build", List.of(v6("fd00:1::7")));
        assertEquals(List.of(ip("10.0.0.5")), zone.lookupAll(name("build.internal")), "--dns-host wins whole");
        assertTrue(zone.namesOf(ip("fd00:1::7")).isEmpty());
        assertTrue(zone.lookupAll(name("nothing.internal")).isEmpty());
    }

    private static java.net.Inet6Address v6(String s) {
        return (java.net.Inet6Address) ip(s);
    }

    @Test
    void dhcpHostnamesAreSanitised() {
        assertEquals(name("my-box.internal"), zone.put("my_box.corp.test", v4("192.168.104.5")));
        assertNull(zone.put("...", v4("192.168.104.6")));
        assertNull(zone.put("", v4("192.168.104.6")));
        assertNull(zone.put(null, v4("192.168.104.6")));
    }

    @Test
    void updateMovesAndRemoveForgets() {
        zone.put("lima-vm1", v4("192.168.104.3"));
        zone.put("lima-vm1", v4("192.168.104.9"));
        assertEquals(ip("192.168.104.9"), zone.lookup(name("lima-vm1.internal")));
        assertTrue(zone.namesOf(ip("192.168.104.3")).isEmpty());
        assertEquals(List.of(name("lima-vm1.internal")), zone.namesOf(ip("192.168.104.9")));
        assertTrue(zone.remove("LIMA-VM1"));
        assertFalse(zone.remove("lima-vm1"));
        assertNull(zone.lookup(name("lima-vm1.internal")));

        zone.put("a", v4("192.168.104.7"));
        zone.put("b", v4("192.168.104.7"));
        assertEquals(2, zone.removeAddress(ip("192.168.104.7")));
        assertNull(zone.lookup(name("a.internal")));
    }

    @Test
    void reverseNamesOfInternalAddresses() {
        zone.put("lima-vm1", v4("192.168.104.3"));
        assertEquals(List.of(name("lima-vm1.internal")), zone.reverseLookup(name("3.104.168.192.in-addr.arpa")));
        assertEquals(List.of(name("host.lima.internal"), name("gateway.lima.internal")),
                zone.reverseLookup(name("2.104.168.192.IN-ADDR.ARPA")));
        assertTrue(zone.reverseLookup(name("9.104.168.192.in-addr.arpa")).isEmpty());
        assertTrue(zone.reverseLookup(name("104.168.192.in-addr.arpa")).isEmpty());
        assertEquals(ip("fd00::1"), InternalZone.fromReverseName(InternalZone.reverseName(ip("fd00::1"))));
    }

    @Test
    void staticNamesWinOverOthers() {
        zone.addStatic("build.lima.internal", ip("10.0.0.5"));
        zone.addStatic("HOST.lima.internal.", ip("10.0.0.6"));
        assertEquals(ip("10.0.0.5"), zone.lookup(name("build.lima.internal")));
        assertEquals(ip("10.0.0.6"), zone.lookup(name("host.lima.internal")));
        assertTrue(zone.removeStatic("host.lima.internal"));
        assertEquals(ip("192.168.104.2"), zone.lookup(name("host.lima.internal")));
        assertThrows(IllegalArgumentException.class, () -> zone.addStatic("bad..name", ip("10.0.0.1")));
    }

    @Test
    void apiZonesAreStoredMergedAndListed() {
        zone.addZone(new DnsZone("internal.", List.of(new DnsZoneRecord("lima-foo", ip("192.168.104.3"))), null));
        zone.addZone(new DnsZone("internal.", List.of(new DnsZoneRecord("lima-bar", ip("192.168.104.4"))), null));
        zone.addZone(new DnsZone("corp.example", List.of(new DnsZoneRecord("", ip("10.0.0.1"))), ip("10.0.0.2")));
        assertEquals(ip("192.168.104.3"), zone.lookup(name("lima-foo.internal")));
        assertEquals(ip("192.168.104.4"), zone.lookup(name("Lima-Bar.internal")));
        assertEquals(ip("10.0.0.1"), zone.lookup(name("corp.example")));
        assertEquals(ip("10.0.0.2"), zone.lookup(name("anything.deep.corp.example")), "DefaultIP");
        assertNull(zone.lookup(name("unowned.internal")), "no DefaultIP: unowned names stay unowned");

        List<DnsZone> zones = zone.zones();
        assertEquals(2, zones.size());
        assertEquals("internal.", zones.get(0).name());
        assertEquals(List.of("lima-bar", "lima-foo"), zones.get(0).records().stream().map(DnsZoneRecord::name)
                .toList());
        assertEquals(ip("10.0.0.2"), zones.get(1).defaultIp());
        assertTrue(zone.removeZone("corp.example."));
        assertNull(zone.lookup(name("x.corp.example")));
        assertThrows(IllegalArgumentException.class,
                () -> zone.addZone(new DnsZone("internal.", List.of(new DnsZoneRecord("a..b", ip("1.2.3.4"))), null)));
    }

    @Test
    void configurableNames() {
        InternalZone z = new InternalZone(name("host.docker.internal"), ip("10.0.2.2"), null, null, name("vm.local"));
        assertEquals(ip("10.0.2.2"), z.lookup(name("host.docker.internal")));
        assertNull(z.lookup(name("gateway.lima.internal")));
        assertEquals(name("box.vm.local"), z.put("box", v4("10.0.2.15")));
    }

    @Test
    void concurrentUpdatesAndLookupsAreSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int base = t * 100;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 500; i++) {
                        zone.put("vm" + (base + i % 50), v4("10.0." + (base / 100) + "." + (i % 50 + 1)));
                        if (i % 3 == 0) {
                            zone.remove("vm" + (base + i % 50));
                        }
                    }
                }));
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) {
                        zone.lookup(name("vm" + (i % 150) + ".internal"));
                        zone.reverseLookup(name((i % 50 + 1) + ".0.0.10.in-addr.arpa"));
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(ip("192.168.104.2"), zone.lookup(name("host.lima.internal")));
    }

    @Test
    void theHostAliasAnswersTheGatewaysIpv6AddressOnceTwinned() throws Exception {
        java.net.Inet6Address gateway6 = (java.net.Inet6Address) java.net.InetAddress.getByName("fd00:1::2");
        Inet4Address alias = (Inet4Address) ip("192.168.104.2");
        assertEquals(List.of(alias), zone.lookupAll(name("host.lima.internal.")), "IPv4 only before");
        zone.addStatic("printer.lan", ip("192.168.104.9"));
        zone.put("lima-web", alias); // a DHCP name never takes the twin, whatever its address
        zone.addIpv6Twin(alias, gateway6);
        assertEquals(List.of(alias, gateway6), zone.lookupAll(name("host.lima.internal.")));
        assertEquals(List.of(alias, gateway6), zone.lookupAll(name("gateway.lima.internal.")));
        assertEquals(List.of(ip("192.168.104.9")), zone.lookupAll(name("printer.lan.")), "another address: no AAAA");
        assertEquals(List.of(alias), zone.lookupAll(name("lima-web.internal.")), "DHCP names are left alone");
        assertTrue(zone.namesOf(gateway6).contains(name("host.lima.internal.")), "PTR of the IPv6 address");
        zone.addZone(new DnsZone("containers.internal.", List.of(new DnsZoneRecord("host", alias)), null));
        assertEquals(List.of(alias, gateway6), zone.lookupAll(name("host.containers.internal.")), "API records too");
    }
}
