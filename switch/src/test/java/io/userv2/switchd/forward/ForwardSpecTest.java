package io.userv2.switchd.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.dns.DnsZone;
import io.userv2.dns.DnsZoneRecord;
import io.userv2.dns.InternalZone;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
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
