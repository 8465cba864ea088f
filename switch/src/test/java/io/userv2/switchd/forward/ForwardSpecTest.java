package io.userv2.switchd.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.dns.DnsZone;
import io.userv2.dns.DnsZoneRecord;
import io.userv2.dns.InternalZone;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Forward specs from the command line, the API and the state file; guests by name. */
class ForwardSpecTest {
    @Test
    void commandLineForms() {
        assertEquals("tcp:127.0.0.1:2222=192.168.104.3:22", ForwardSpec.parse("tcp:2222=192.168.104.3:22").toString());
        assertEquals("udp:0.0.0.0:5353=192.168.104.3:53",
                ForwardSpec.parse("udp:0.0.0.0:5353=192.168.104.3:53").toString());
        ForwardSpec unix = ForwardSpec.parse("unix:/run/u/web.sock=lima-web:80");
        assertEquals(UnixDomainSocketAddress.of("/run/u/web.sock"), unix.local());
        assertEquals("/run/u/web.sock", unix.localText());
        assertEquals("tcp://lima-web:80", unix.remoteText());
        assertNull(unix.guestLiteral());
        assertEquals("tcp:127.0.0.1:2222=nohost:22", ForwardSpec.parse("tcp:2222=nohost:22").toString());
    }

    @Test
    void apiForms() {
        ForwardSpec unix = ForwardSpec.of("unix", "/run/x.sock", "tcp://192.168.104.3:8080");
        assertEquals(Ipv4Address.parse("192.168.104.3"), unix.guestLiteral());
        assertEquals(ForwardSpec.of("unix", "/run/x.sock", "192.168.104.3:8080"), unix);
        assertEquals("192.168.104.3:22", ForwardSpec.of("tcp", "127.0.0.1:2222", "192.168.104.3:22").remoteText());
    }

    @Test
    void ipv6OnEitherSide() {
        ForwardSpec f = ForwardSpec.parse("tcp:[::1]:8080=[FD00:0::5]:80");
        assertEquals(new InetSocketAddress(Ipv6Address.LOOPBACK.toInetAddress(), 8080), f.local());
        assertEquals("[::1]:8080", f.localText());
        assertEquals("[fd00::5]:80", f.remoteText());
        assertEquals(Ipv6Address.parse("fd00::5"), f.guestLiteral());
        assertTrue(f.ipv6());
        assertEquals("tcp:[::1]:8080=[fd00::5]:80", f.toString());
        // IPv4 on the host towards an IPv6 guest, and the other way round
        assertEquals("udp:127.0.0.1:5353=[fe80::1]:53", ForwardSpec.parse("udp:5353=[fe80::1]:53").toString());
        assertEquals("tcp:[::]:2222=192.168.104.3:22", ForwardSpec.parse("tcp:[::]:2222=192.168.104.3:22").toString());
        // the API's form, and what the state file keeps, read back to the same forward
        ForwardSpec api = ForwardSpec.of("tcp", "[::1]:8080", "[fd00::5]:80");
        assertEquals(f, api);
        assertEquals(api, ForwardSpec.of(api.protocol(), api.localText(), api.remoteText()));
        ForwardSpec unix = ForwardSpec.of("unix", "/run/x.sock", "tcp://[fd00::5]:8080");
        assertEquals("tcp://[fd00::5]:8080", unix.remoteText());
        assertEquals(unix, ForwardSpec.of("unix", unix.localText(), unix.remoteText()));
        // a name in brackets asks for its IPv6 address, a bare one keeps IPv4
        ForwardSpec byName6 = ForwardSpec.parse("tcp:[::1]:8080=[lima-web]:80");
        assertTrue(byName6.ipv6());
        assertNull(byName6.guestLiteral());
        assertEquals("[lima-web]:80", byName6.remoteText());
        assertEquals(byName6, ForwardSpec.of("tcp", byName6.localText(), byName6.remoteText()));
        assertFalse(ForwardSpec.parse("tcp:[::1]:8080=lima-web:80").ipv6());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp:[::1]:8080=fd00::5:80", "tcp:::1:8080=192.168.104.3:80", "tcp:[::1]8080=[fd00::5]:80",
        "tcp:[::1]:8080=[fd00::5]80", "tcp:[::1]:8080=[192.168.104.3]:80", "tcp:[::1]:8080=[::1]:80",
        "tcp:[::1]:8080=[ff02::1]:80", "tcp:[::1]:8080=[::ffff:192.168.104.3]:80", "tcp:[fd00::g]:1=[fd00::5]:80",
        "tcp:[::1]:8080=[]:80", "tcp:[::1]:8080=[fd00::5]:0"})
    void refusedIpv6(String text) {
        assertThrows(IllegalArgumentException.class, () -> ForwardSpec.parse(text));
    }

    @Test
    void bracketedNamesFindTheVmsIpv6Address() throws Exception {
        InternalZone zone = new InternalZone();
        Ipv6Prefix prefix = Ipv6Prefix.parse("fd00:1::/64");
        Ipv6Address gateway6 = Ipv6Address.parse("fd00:1::2");
        GuestNames names = GuestNames.of(zone, Ipv4Subnet.parse("192.168.104.0/24"), Ipv4Address.parse("192.168.104.2"),
                prefix, gateway6::equals);
        zone.put("lima-web", Ipv4Address.parse("192.168.104.7").toInetAddress());
        zone.putIpv6("lima-web", List.of(Ipv6Address.parse("fe80::7").toInetAddress(),
                Ipv6Address.parse("fd00:1::7").toInetAddress()));
        ForwardSpec four = ForwardSpec.parse("tcp:[::1]:8080=lima-web:80");
        ForwardSpec six = ForwardSpec.parse("tcp:127.0.0.1:8080=[lima-web]:80");
        assertEquals(Ipv4Address.parse("192.168.104.7"), GuestNames.of(four, names), "IPv4 unless asked");
        assertEquals(Ipv6Address.parse("fd00:1::7"), GuestNames.of(six, names), "the address in the LAN's prefix");
        zone.putIpv6("lima-web", List.of(Ipv6Address.parse("2001:db8::7").toInetAddress()));
        assertNull(GuestNames.of(six, names), "outside the prefix");
        zone.putIpv6("lima-web", List.of(gateway6.toInetAddress()));
        assertNull(GuestNames.of(six, names), "the gateway itself");
        assertNull(GuestNames.of(six, GuestNames.of(zone, Ipv4Subnet.parse("192.168.104.0/24"),
                Ipv4Address.parse("192.168.104.2"))), "IPv6 off");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp:2222=192.168.104.300:22", "tcp:2222=bad host:22", "tcp:2222=192.168.104.3:0",
        "unix:relative.sock=192.168.104.3:22", "sctp:1=192.168.104.3:22", "tcp:2222=.x:22", "tcp:2222=a..b:22",
        "unix:/run/x.sock=udp://192.168.104.3:53"})
    void refused(String text) {
        assertThrows(IllegalArgumentException.class, () -> ForwardSpec.parse(text));
    }

    @Test
    void namesComeFromTheGatewaysOwnZoneAndStayOnTheLan() throws Exception {
        InternalZone zone = new InternalZone();
        Ipv4Subnet lan = Ipv4Subnet.parse("192.168.104.0/24");
        GuestNames names = GuestNames.of(zone, lan, Ipv4Address.parse("192.168.104.2"));
        assertNull(names.resolve("lima-web"));
        zone.addZone(new DnsZone("internal.",
                List.of(new DnsZoneRecord("lima-web", Ipv4Address.parse("192.168.104.7").toInetAddress())), null));
        zone.addZone(new DnsZone("corp.",
                List.of(new DnsZoneRecord("far", Ipv4Address.parse("203.0.113.9").toInetAddress())), null));
        assertEquals(Ipv4Address.parse("192.168.104.7"), names.resolve("lima-web"), "a label under the DHCP domain");
        assertEquals(Ipv4Address.parse("192.168.104.7"), names.resolve("LIMA-WEB.internal"));
        assertEquals(Ipv4Address.parse("192.168.104.7"), names.resolve("lima-web.internal."));
        assertNull(names.resolve("far.corp"), "outside the LAN");
        assertNull(names.resolve("host.lima.internal"), "the gateway itself");
        ForwardSpec byName = ForwardSpec.of("tcp", "127.0.0.1:2222", "lima-web:22");
        assertEquals(Ipv4Address.parse("192.168.104.7"), GuestNames.of(byName, names));
        assertEquals(Ipv4Address.parse("192.168.104.9"),
                GuestNames.of(ForwardSpec.of("tcp", "127.0.0.1:2222", "192.168.104.9:22"), GuestNames.LITERALS_ONLY));
        assertTrue(GuestNames.of(byName, GuestNames.LITERALS_ONLY) == null);
    }
}
