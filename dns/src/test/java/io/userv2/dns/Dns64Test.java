package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS64 (RFC 6147): with it on, AAAA for a name with A records and no AAAA is synthesized in {@code 64:ff9b::/96}
 * (from the hosts file, or from the upstream after its NODATA), with the TTL of RFC 6147 5.1.7; real AAAA records,
 * NXDOMAIN, excluded addresses and A queries are left alone.
 */
class Dns64Test extends DnsServerFixture {
    /** The Well-Known Prefix, refusing 10.0.0.0/8 as a translator with that policy would. */
    static final Dns64 WKP = new Dns64() {
        @Override
        public Inet6Address synthesize(Inet4Address v4) {
            byte[] b = v4.getAddress();
            if ((b[0] & 0xFF) == 10) {
                return null;
            }
            byte[] six = new byte[16];
            six[1] = 0x64;
            six[2] = (byte) 0xff;
            six[3] = (byte) 0x9b;
            System.arraycopy(b, 0, six, 12, 4);
            try {
                return (Inet6Address) InetAddress.getByAddress(six);
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public Inet4Address embedded(Inet6Address v6) {
            byte[] b = v6.getAddress();
            if (b[1] != 0x64 || b[2] != (byte) 0xff || b[3] != (byte) 0x9b) {
                return null;
            }
            try {
                return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
    };

    @Override
    void seedUpstream() {
        upstream.add(new ARecord(name("v4.upstream.test"), DClass.IN, 3600, ip("198.51.100.7")));
        upstream.add(new ARecord(name("short.upstream.test"), DClass.IN, 30, ip("198.51.100.8")));
        upstream.add(new ARecord(name("dual.upstream.test"), DClass.IN, 300, ip("198.51.100.9")));
        upstream.add(new AAAARecord(name("dual.upstream.test"), DClass.IN, 300, ip("2001:db8::9")));
        upstream.add(new PTRRecord(name("7.100.51.198.in-addr.arpa"), DClass.IN, 3600, name("v4.upstream.test")));
    }

    @Override
    DnsConfig.Builder config() throws IOException {
        return DnsTestSupport.config(dir, upstream, String.join("\n",
                "203.0.113.5 v4only.test",
                "10.0.0.1    private.test",
                "10.1.2.3    web.test",
                "fd00::1     web.test",
                "")).dns64(WKP);
    }

    private static List<InetAddress> aaaa(Message m) {
        return answers(m).stream().filter(r -> r.getType() == Type.AAAA).map(r -> ((AAAARecord) r).getAddress())
                .toList();
    }

    @Test
    void aHostsFileNameWithOnlyAnIpv4AddressGetsASynthesizedAaaa() throws Exception {
        Message m = udp(server, "v4only.test", Type.AAAA);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertEquals(List.of(ip("64:ff9b::cb00:7105")), aaaa(m));
        assertEquals(DnsConfig.DEFAULT_LOCAL_TTL, answers(m).get(0).getTTL(), "min(A's TTL, SOA minimum): 5 and 5");
        assertEquals(0, upstream.queries(), "never forwarded");
        assertEquals(1, server.counters().dns64Synthesized());
        assertEquals(List.of(ip("203.0.113.5")), answers(udp(server, "v4only.test", Type.A)).stream()
                .map(r -> ((ARecord) r).getAddress()).toList(), "A is unchanged");
    }

    @Test
    void realAaaaRecordsAreKept() throws Exception {
        assertEquals(List.of(ip("fd00::1")), aaaa(udp(server, "web.test", Type.AAAA)));
        assertEquals(List.of(ip("2001:db8::9")), aaaa(udp(server, "dual.upstream.test", Type.AAAA)));
        assertEquals(0, server.counters().dns64Synthesized());
    }

    @Test
    void anAddressTheTranslatorRefusesIsNotSynthesizedAndTheNameStaysNodata() throws Exception {
        Message m = udp(server, "private.test", Type.AAAA);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertTrue(answers(m).isEmpty(), m.toString());
        assertTrue(m.getSection(Section.AUTHORITY).get(0) instanceof SOARecord, "NODATA with its SOA, as before");
        assertEquals(0, server.counters().dns64Synthesized());
    }

    @Test
    void anUpstreamNodataIsFilledFromTheUpstreamsARecordsWithTheShorterTtl() throws Exception {
        Message m = udp(server, "v4.upstream.test", Type.AAAA);
        assertEquals(List.of(ip("64:ff9b::c633:6407")), aaaa(m));
        assertEquals(600, answers(m).get(0).getTTL(), "no SOA came with the NODATA: min(3600, 600)");
        assertEquals(30, answers(udp(server, "short.upstream.test", Type.AAAA)).get(0).getTTL(), "min(30, 600)");
        List<Integer> asked = upstream.seen.stream().filter(q -> q.getQuestion().getName()
                .equals(name("v4.upstream.test"))).map(q -> q.getQuestion().getType()).toList();
        assertEquals(List.of(Type.AAAA, Type.A), asked, "AAAA first; A only after the NODATA (RFC 6147 5.1.6)");
    }

    @Test
    void nxdomainIsNotSynthesized() throws Exception {
        Message m = udp(server, "nowhere.upstream.test", Type.AAAA);
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals(0, server.counters().dns64Synthesized());
    }

    @Test
    void withDns64OffTheNameIsNodata() throws Exception {
        try (DnsServer off = DnsServer.create(DnsTestSupport.config(dir, upstream, "203.0.113.5 v4only.test\n")
                .build())) {
            Message m = udp(off, "v4only.test", Type.AAAA);
            assertEquals(Rcode.NOERROR, m.getRcode());
            assertTrue(answers(m).isEmpty());
            assertEquals(1, m.getSection(Section.AUTHORITY).size(), "issue 14: NODATA with an SOA");
            Message up = udp(off, "v4.upstream.test", Type.AAAA);
            assertTrue(answers(up).isEmpty());
            assertEquals(0, off.counters().dns64Synthesized());
        }
    }

    @Test
    void anOsResolverNameIsAskedUpstreamFirstThenSynthesizedFromTheHostsAddress() throws Exception {
        // An OS-style resolver (both families asked, not a table of addresses only): glibc's IPv4-only answer does
        // not stop a real AAAA from upstream; when the upstream denies the name, the host's A is synthesized.
        HostResolver os = new HostResolver() {
            @Override
            public List<InetAddress> resolve(String n) {
                return switch (n) {
                    case "vpn.corp.test" -> List.of(ip("203.0.113.6"));
                    case "dual.upstream.test" -> List.of(ip("198.51.100.9"));
                    default -> List.of();
                };
            }

            @Override
            public HostAnswer lookup(String n) {
                return new HostAnswer(resolve(n), true);
            }
        };
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "").hostResolver(os).dns64(WKP)
                .build())) {
            assertEquals(List.of(ip("2001:db8::9")), aaaa(udp(s, "dual.upstream.test", Type.AAAA)), "real AAAA wins");
            Message m = udp(s, "vpn.corp.test", Type.AAAA);
            assertEquals(List.of(ip("64:ff9b::cb00:7106")), aaaa(m));
            assertEquals(1, upstream.queriesFor("vpn.corp.test"), "the AAAA asked upstream first, no A query after");
            assertEquals(1, s.counters().dns64Synthesized());
        }
    }

    /** The {@code ip6.arpa} name of {@code v6}, as a client asks it. */
    private static String reverse(String v6) {
        return ReverseMap.fromAddress(ip(v6)).toString();
    }

    @Test
    void aPtrQueryInTheNat64PrefixIsACnameToTheInAddrArpaNameWithItsPtr() throws Exception {
        Message m = udp(server, reverse("64:ff9b::c633:6407"), Type.PTR);
        assertEquals(Rcode.NOERROR, m.getRcode());
        List<Record> a = answers(m);
        assertEquals(2, a.size(), m.toString());
        CNAMERecord cname = (CNAMERecord) a.get(0);
        assertEquals(name(reverse("64:ff9b::c633:6407")), cname.getName());
        assertEquals(name("7.100.51.198.in-addr.arpa"), cname.getTarget(), "RFC 6147 5.3.1");
        PTRRecord ptr = (PTRRecord) a.get(1);
        assertEquals(name("7.100.51.198.in-addr.arpa"), ptr.getName());
        assertEquals(name("v4.upstream.test"), ptr.getTarget(), "the upstream's PTR for the IPv4 address");
        assertEquals(0, upstream.queriesFor(reverse("64:ff9b::c633:6407")), "the ip6.arpa name is never forwarded");
        assertEquals(1, upstream.queriesFor("7.100.51.198.in-addr.arpa"));
        assertEquals(1, server.counters().dns64Synthesized());
    }

    @Test
    void anUnknownIpv4AddressGivesTheCnameAndTheUpstreamsNxdomain() throws Exception {
        Message m = udp(server, reverse("64:ff9b::cb00:7105"), Type.PTR);
        assertEquals(Rcode.NXDOMAIN, m.getRcode(), "RFC 6604: the rcode is about the end of the chain");
        List<Record> a = answers(m);
        assertEquals(1, a.size(), m.toString());
        assertEquals(name("5.113.0.203.in-addr.arpa"), ((CNAMERecord) a.get(0)).getTarget());
    }

    @Test
    void aPtrQueryOutsideThePrefixOrWithDns64OffIsForwardedAsItCame() throws Exception {
        Message m = udp(server, reverse("2001:db8::9"), Type.PTR);
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertTrue(answers(m).isEmpty(), m.toString());
        assertEquals(1, upstream.queriesFor(reverse("2001:db8::9")));
        try (DnsServer off = DnsServer.create(DnsTestSupport.config(dir, upstream, "").build())) {
            Message o = udp(off, reverse("64:ff9b::c633:6407"), Type.PTR);
            assertTrue(answers(o).isEmpty(), o.toString());
            assertEquals(1, upstream.queriesFor(reverse("64:ff9b::c633:6407")));
        }
        assertEquals(0, server.counters().dns64Synthesized());
    }
}
