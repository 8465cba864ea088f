package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Negative answers as caching resolvers (systemd-resolved, unbound) need them: a name that exists is never
 * NXDOMAIN (not for a missing address family, another type, or an empty non-terminal), and every negative answer
 * the gateway makes carries an SOA whose owner is a suffix of the query name and whose TTL and MINIMUM are the
 * negative TTL (RFC 2308). Positive local answers carry the configured TTL.
 */
class NegativeAnswerTest extends DnsServerFixture {


    /** Asserts NOERROR, no answer, and one SOA in the authority section owned by {@code apex}; returns the SOA. */
    private static SOARecord assertNodata(Message m, String apex) {
        assertEquals(Rcode.NOERROR, m.getRcode(), m.toString());
        assertTrue(answers(m).isEmpty(), m.toString());
        return assertSoa(m, apex);
    }

    private static SOARecord assertSoa(Message m, String apex) {
        List<Record> auth = m.getSection(Section.AUTHORITY);
        assertEquals(1, auth.size(), m.toString());
        SOARecord soa = (SOARecord) auth.get(0);
        assertEquals(name(apex), soa.getName(), m.toString());
        assertTrue(m.getQuestion().getName().subdomain(soa.getName()), "SOA owner must be a suffix of the qname");
        return soa;
    }

    private static void assertNegativeTtl(SOARecord soa, long ttl) {
        assertEquals(ttl, soa.getTTL(), soa.toString());
        assertEquals(ttl, soa.getMinimum(), soa.toString());
    }

    // ---- host resolver ------------------------------------------------------------------------------------------

    @Test
    void hostsFileIpv4OnlyNameAskedAaaaIsNodataHere() throws Exception {
        Message m = udp(server, "v4only.test", Type.AAAA);
        SOARecord soa = assertNodata(m, "v4only.test");
        assertNegativeTtl(soa, DnsConfig.DEFAULT_LOCAL_TTL);
        assertFalse(m.getHeader().getFlag(Flags.AA), "host answers are not authoritative");
        assertEquals(0, upstream.queries(), "never forwarded");
        // ... and the name's A still answers.
        assertEquals(List.of(ip("10.9.9.9")), answers(udp(server, "v4only.test", Type.A)).stream()
                .map(r -> ((ARecord) r).getAddress()).toList());
    }

    @Test
    void hostsFileIpv6OnlyNameAskedAIsNodataHere() throws Exception {
        Message m = udp(server, "V6ONLY.test", Type.A);
        assertNegativeTtl(assertNodata(m, "v6only.test"), DnsConfig.DEFAULT_LOCAL_TTL);
        assertEquals(0, upstream.queries());
    }

    @Test
    void otherTypesOfAHostsFileNameAreNodataHere() throws Exception {
        for (int type : new int[] {Type.MX, Type.TXT, Type.HTTPS, Type.CNAME, Type.SRV}) {
            assertNodata(udp(server, "web.test", type), "web.test");
        }
        assertEquals(0, upstream.queries(), "nothing forwarded, so no upstream NXDOMAIN can poison the name");
        Message soa = udp(server, "web.test", Type.SOA);
        assertEquals(Type.SOA, answers(soa).get(0).getType(), "the SOA the NODATA answers name exists");
        assertEquals(3, answers(udp(server, "web.test", Type.ANY)).size(), "ANY: the addresses");
    }

    @Test
    void unknownNameIsStillForwarded() throws Exception {
        upstream.add(new ARecord(name("elsewhere.test"), DClass.IN, 60, ip("192.0.2.1")));
        Message a = udp(server, "elsewhere.test", Type.A);
        assertEquals(60, answers(a).get(0).getTTL(), "upstream answers keep their TTL");
        Message nx = udp(server, "nowhere.test", Type.AAAA);
        assertEquals(Rcode.NXDOMAIN, nx.getRcode());
        assertTrue(nx.getSection(Section.AUTHORITY).isEmpty(), "not our zone: the upstream's answer as it came");
        assertEquals(1, upstream.queriesFor("elsewhere.test"));
        assertEquals(1, upstream.queriesFor("nowhere.test"));
    }

    @Test
    void osStyleResolverNameIsNeverNxdomain() throws Exception {
        // What OsHostResolver reports on an IPv6-capable JVM: one getAllByName, both families.
        HostResolver os = new HostResolver() {
            @Override
            public List<InetAddress> resolve(String n) {
                return n.equals("vpn.corp.test") ? List.of(ip("10.20.0.5")) : List.of();
            }

            @Override
            public HostAnswer lookup(String n) {
                return new HostAnswer(resolve(n), true);
            }
        };
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "").hostResolver(os).build())) {
            // glibc may have returned IPv4 alone for a transient reason: the AAAA is asked upstream, and its
            // NXDOMAIN (the name exists on the host) becomes NODATA.
            assertNodata(udp(s, "vpn.corp.test", Type.AAAA), "vpn.corp.test");
            assertEquals(1, upstream.queries());
            // Another type: its records may be real (the OS resolver fronts all of DNS), so it is asked upstream;
            // the upstream's NXDOMAIN for a name the host found moments ago becomes NODATA.
            upstream.nxdomainSoa = rootSoa();
            assertNodata(udp(s, "vpn.corp.test", Type.TXT), "vpn.corp.test");
            assertTrue(upstream.queriesFor("vpn.corp.test") >= 1, "TXT asked upstream first");
        }
    }

    // ---- the gateway's zones ------------------------------------------------------------------------------------

    @Test
    void emptyNonTerminalsAndTheApexAreNodata() throws Exception {
        upstream.nxdomainSoa = rootSoa(); // what a real upstream says for anything under internal.
        for (String n : List.of("lima.internal", "LIMA.internal", "internal")) {
            for (int type : new int[] {Type.A, Type.AAAA, Type.MX}) {
                Message m = udp(server, n, type);
                SOARecord soa = assertNodata(m, "internal");
                assertTrue(m.getHeader().getFlag(Flags.AA), n);
                assertNegativeTtl(soa, DnsConfig.DEFAULT_LOCAL_TTL);
                assertEquals(name("gateway.lima.internal"), soa.getHost(), "MNAME");
                assertEquals(name("hostmaster.internal"), soa.getAdmin(), "RNAME");
            }
        }
        Message apexSoa = udp(server, "internal", Type.SOA);
        assertEquals(Type.SOA, answers(apexSoa).get(0).getType());
        // The upstream silent: still NODATA, never SERVFAIL or NXDOMAIN.
        upstream.silent = true;
        assertNodata(udp(server, "lima.internal", Type.TXT), "internal");
    }

    @Test
    void emptyNonTerminalWithRealDataUpstreamKeepsIt() throws Exception {
        // A corporate corp.internal (an AD domain has addresses at its apex) and a --dns-host below it.
        server.zone().addStatic("registry.corp.internal", ip("10.0.0.10"));
        upstream.add(new ARecord(name("corp.internal"), DClass.IN, 60, ip("10.0.0.1")));
        assertEquals(List.of(ip("10.0.0.1")), answers(udp(server, "corp.internal", Type.A)).stream()
                .map(r -> ((ARecord) r).getAddress()).toList());
        Message mx = udp(server, "corp.internal", Type.MX);
        assertEquals(Rcode.NOERROR, mx.getRcode(), "the upstream's own NODATA, as it came: " + mx);
        assertTrue(answers(mx).isEmpty());
        assertEquals(2, upstream.queriesFor("corp.internal"));
    }

    @Test
    void apiZonesHaveApexesAndEmptyNonTerminalsToo() throws Exception {
        server.zone().addZone(new DnsZone("docker.internal.",
                List.of(new DnsZoneRecord("host.gw", ip("192.168.127.254"))), null));
        assertNodata(udp(server, "gw.docker.internal", Type.A), "docker.internal");
        assertNodata(udp(server, "docker.internal", Type.AAAA), "docker.internal");
        // An owned name's missing type: the SOA of its own zone.
        assertNodata(udp(server, "host.gw.docker.internal", Type.AAAA), "docker.internal");
        // A --dns-host name outside every zone is its own apex.
        server.zone().addStatic("printer.lan", ip("10.0.0.9"));
        assertNodata(udp(server, "printer.lan", Type.AAAA), "printer.lan");
    }

    @Test
    void nxdomainUnderInternalCarriesTheZoneSoa() throws Exception {
        upstream.nxdomainSoa = rootSoa();
        Message m = udp(server, "lima-gone.internal", Type.A);
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertTrue(answers(m).isEmpty());
        SOARecord soa = assertSoa(m, "internal");
        assertNegativeTtl(soa, DnsConfig.DEFAULT_LOCAL_TTL);
        assertEquals(1, upstream.queriesFor("lima-gone.internal"), "still asked upstream (Lima #2417, #3161)");
        // No SOA from the upstream at all: ours too.
        upstream.nxdomainSoa = null;
        assertSoa(udp(server, "nosuch.lima.internal", Type.TXT), "internal");
        // A real zone below ours answered: its own SOA is kept.
        upstream.nxdomainSoa = new SOARecord(name("corp.internal"), DClass.IN, 300, name("ns.corp.internal"),
                name("admin.corp.internal"), 7, 3600, 600, 86400, 300);
        Message corp = udp(server, "nosuch.corp.internal", Type.A);
        assertEquals(Rcode.NXDOMAIN, corp.getRcode());
        assertEquals(300, assertSoa(corp, "corp.internal").getMinimum());
    }

    @Test
    void serialChangesWithTheZone() throws Exception {
        long before = assertNodata(udp(server, "lima.internal", Type.A), "internal").getSerial();
        server.zone().put("lima-new", (Inet4Address) ip("192.168.104.9"));
        long after = assertNodata(udp(server, "lima.internal", Type.A), "internal").getSerial();
        assertNotEquals(before, after);
    }

    // ---- TTLs ---------------------------------------------------------------------------------------------------

    @Test
    void localAnswersCarryTheConfiguredTtls() throws Exception {
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, DnsTestSupport.HOSTS)
                .ttls(7, 7).negativeTtl(7).build())) {
            s.zone().put("lima-vm1", (Inet4Address) ip("192.168.104.3"));
            assertEquals(7, answers(udp(s, "host.lima.internal", Type.A)).get(0).getTTL(), "built-in name");
            assertEquals(7, answers(udp(s, "lima-vm1.internal", Type.A)).get(0).getTTL(), "DHCP name");
            assertEquals(7, answers(udp(s, "3.104.168.192.in-addr.arpa", Type.PTR)).get(0).getTTL(), "PTR");
            for (Record r : answers(udp(s, "web.test", Type.AAAA))) {
                assertEquals(7, r.getTTL(), "host-resolver answer");
            }
            assertNegativeTtl(assertNodata(udp(s, "v4only.test", Type.AAAA), "v4only.test"), 7);
            assertNegativeTtl(assertNodata(udp(s, "lima-vm1.internal", Type.AAAA), "internal"), 7);
        }
        // The default: a few seconds, not 0 (which resolvers do not cache at all).
        Message d = udp(server, "web.test", Type.AAAA);
        assertEquals(DnsConfig.DEFAULT_LOCAL_TTL, ((AAAARecord) answers(d).get(0)).getTTL());
        assertEquals(DnsConfig.DEFAULT_LOCAL_TTL, answers(udp(server, "host.lima.internal", Type.A)).get(0).getTTL());
    }

    @Test
    void ttlOutOfRangeIsRefused() {
        DnsConfig.Builder b = DnsConfig.builder();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> b.ttls(-1, 5));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> b.negativeTtl(DnsConfig.MAX_LOCAL_TTL + 1));
    }

    private static SOARecord rootSoa() {
        return new SOARecord(Name.root, DClass.IN, 86400, name("a.root-servers.net"),
                name("nstld.verisign-grs.com"), 2024010100, 1800, 900, 604800, 86400);
    }
}
