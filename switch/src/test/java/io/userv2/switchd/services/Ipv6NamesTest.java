package io.userv2.switchd.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.dns.InternalZone;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** The AAAA names: a VM's DHCP hostname joined with the IPv6 addresses the gateway hears from its MAC. */
class Ipv6NamesTest {
    static final MacAddress MAC = MacAddress.parse("52:55:55:12:34:56");
    static final MacAddress OTHER = MacAddress.parse("52:55:55:ab:cd:ef");
    static final Ipv6Address SLAAC = Ipv6Address.parse("fd00:1::5055:55ff:fe12:3456");
    static final Ipv6Address PRIVACY = Ipv6Address.parse("fd00:1::a1b2:c3d4:e5f6:789");
    static final Ipv6Address LINK_LOCAL = Ipv6Address.parse("fe80::5055:55ff:fe12:3456");

    final InternalZone zone = new InternalZone();
    final Ipv6Names names = new Ipv6Names(zone);

    static Lease lease(MacAddress mac, String ip, String hostname) {
        return new Lease(mac, Ipv4Address.parse(ip), hostname, Long.MAX_VALUE, false);
    }

    List<InetAddress> of(String name) throws Exception {
        return zone.lookupAll(Name.fromString(name));
    }

    @Test
    void addressesHeardBeforeOrAfterTheLeaseAnswerTheName() throws Exception {
        names.learned(SLAAC, MAC, 3);
        names.learned(LINK_LOCAL, MAC, 3);
        LeaseNames v4 = new LeaseNames(zone);
        Lease l = lease(MAC, "192.168.104.3", "lima-vm1");
        v4.onLease(l);
        names.onLease(l);
        assertEquals(List.of(InetAddress.getByName("192.168.104.3"), SLAAC.toInetAddress()), of("lima-vm1.internal."),
                "no link-local address");
        names.learned(PRIVACY, MAC, 3);
        names.learned(Ipv6Address.parse("fd00:1::99"), OTHER, 4);
        assertEquals(List.of(InetAddress.getByName("192.168.104.3"), SLAAC.toInetAddress(),
                PRIVACY.toInetAddress()), of("lima-vm1.internal."));
        names.forgotten(SLAAC, MAC, 3);
        assertEquals(List.of(InetAddress.getByName("192.168.104.3"), PRIVACY.toInetAddress()),
                of("lima-vm1.internal."));
        assertEquals(List.of(PRIVACY), names.addressesOf(MAC));
    }

    @Test
    void dhcpv6LeasesAndHeardAddressesAreJoinedAndEachSourceLetsGoOfItsOwn() throws Exception {
        names.onLease(lease(MAC, "192.168.104.3", "lima-vm1"));
        io.userv2.stack.dhcp6.Dhcp6Lease v6 = new io.userv2.stack.dhcp6.Dhcp6Lease(
                io.userv2.stack.dhcp6.Duid.linkLayer(MAC), 1, PRIVACY.toInetAddress(), MAC, Long.MAX_VALUE);
        names.onLease(v6);
        names.learned(PRIVACY, MAC, 3);
        names.learned(SLAAC, MAC, 3);
        assertEquals(List.of(PRIVACY.toInetAddress(), SLAAC.toInetAddress()), of("lima-vm1.internal."));
        names.forgotten(PRIVACY, MAC, 3);
        assertEquals(List.of(SLAAC.toInetAddress(), PRIVACY.toInetAddress()), of("lima-vm1.internal."),
                "still leased");
        names.onRelease(v6);
        assertEquals(List.of(SLAAC.toInetAddress()), of("lima-vm1.internal."));
    }

    @Test
    void aRenamedVmMovesItsAddressesAndAnEndedLeaseTakesThem() throws Exception {
        names.learned(SLAAC, MAC, 3);
        names.onLease(lease(MAC, "192.168.104.3", "lima-old"));
        names.onLease(lease(MAC, "192.168.104.3", "lima-new"));
        assertTrue(of("lima-old.internal.").isEmpty());
        assertEquals(List.of(SLAAC.toInetAddress()), of("lima-new.internal."));
        names.onExpire(lease(MAC, "192.168.104.3", "lima-new"));
        assertTrue(of("lima-new.internal.").isEmpty());
        names.onLease(lease(MAC, "192.168.104.3", null));
        assertTrue(zone.namesOf(SLAAC.toInetAddress()).isEmpty(), "no hostname, no name");
    }
}
