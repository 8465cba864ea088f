package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The server in front of a resolver that behaves like {@link OsHostResolver} (asks both families, does not list only
 * addresses), counting its calls: other types of a name cost no host lookup (an upstream NXDOMAIN is corrected only
 * for names the host found recently or is looking up right now), arpa names are never looked up, and a missing
 * family is asked upstream so that a real AAAA wins over glibc's IPv4-only answer.
 */
class OsModeHostResolverTest extends DnsServerFixture {

    /** Known to the fake "OS": name to addresses. */
    final Map<String, List<InetAddress>> known = new ConcurrentHashMap<>(Map.of(
            "vpn.corp.test", List.of(ip("10.20.0.5")),
            "dual.corp.test", List.of(ip("10.20.0.6"))));
    final AtomicInteger calls = new AtomicInteger();
    /** When set, lookups of "slow.corp.test" wait for it (bounded) before answering. */
    volatile CountDownLatch slowGate;

    final HostResolver os = new HostResolver() {
        @Override
        public List<InetAddress> resolve(String n) {
            calls.incrementAndGet();
            CountDownLatch gate = slowGate;
            if (gate != null && n.equals("slow.corp.test")) {
                try {
                    gate.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of(ip("10.20.0.7"));
            }
            return known.getOrDefault(n, List.of());
        }

        @Override
        public HostAnswer lookup(String n) {
            return new HostAnswer(resolve(n), true); // what OsHostResolver says on an IPv6-capable JVM
        }
    };

    @Override
    void seedUpstream() {
        upstream.nxdomainSoa = rootSoa();
        // glibc said IPv4 only (a failed AAAA lookup, options no-aaaa), but the name has an AAAA.
        upstream.add(new AAAARecord(name("dual.corp.test"), DClass.IN, 60, ip("2001:db8::6")));
    }

    @Override
    DnsConfig.Builder config() throws IOException {
        return DnsTestSupport.config(dir, upstream, "").hostResolver(os);
    }

    @Test
    void otherTypesOfUnknownNamesCostNoHostLookup() throws Exception {
        for (int type : new int[] {Type.HTTPS, Type.SVCB, Type.TXT, Type.MX, Type.PTR}) {
            Message m = udp(server, "random-" + type + ".example.test", type);
            assertEquals(Rcode.NXDOMAIN, m.getRcode(), m.toString());
            assertEquals(name("."), m.getSection(Section.AUTHORITY).get(0).getName(), "the upstream's NXDOMAIN");
        }
        assertEquals(0, calls.get(), "no host lookup for other types");
        assertTrue(upstream.queries() >= 5);
    }

    @Test
    void arpaNamesAreNeverLookedUpOnTheHost() throws Exception {
        for (int type : new int[] {Type.PTR, Type.A, Type.AAAA, Type.TXT}) {
            assertEquals(Rcode.NXDOMAIN, udp(server, "9.113.0.203.in-addr.arpa", type).getRcode());
        }
        assertEquals(0, calls.get());
        assertEquals(Set.of(Type.PTR, Type.A, Type.AAAA, Type.TXT), typesAskedUpstream("9.113.0.203.in-addr.arpa"),
                "each asked upstream");
    }

    @Test
    void aNameFoundRecentlyGetsNodataForTxtWithoutASecondLookup() throws Exception {
        assertEquals(List.of(ip("10.20.0.5")), answers(udp(server, "vpn.corp.test", Type.A)).stream()
                .map(r -> ((ARecord) r).getAddress()).toList());
        assertEquals(1, calls.get());
        for (int type : new int[] {Type.TXT, Type.HTTPS}) {
            Message m = udp(server, "VPN.corp.test", type);
            assertNodata(m, "vpn.corp.test");
        }
        assertEquals(1, calls.get(), "answered from memory");
        assertEquals(Set.of(Type.TXT, Type.HTTPS), typesAskedUpstream("vpn.corp.test"),
                "TXT and HTTPS still asked upstream first");
    }

    @Test
    void aParallelTxtQueryWaitsForTheRunningAddressLookup() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        slowGate = gate;
        CompletableFuture<byte[]> a = ask(server, "slow.corp.test", Type.A);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (calls.get() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(1, calls.get(), "the A lookup is running");
        CompletableFuture<byte[]> txt = ask(server, "slow.corp.test", Type.TXT);
        gate.countDown();
        assertNodata(new Message(txt.get(10, TimeUnit.SECONDS)), "slow.corp.test");
        assertEquals(Type.A, answers(new Message(a.get(10, TimeUnit.SECONDS))).get(0).getType());
        assertEquals(1, calls.get(), "the TXT query made no lookup of its own");
    }

    @Test
    void aRealAaaaUpstreamWinsOverGlibcsIpv4OnlyAnswer() throws Exception {
        Message m = udp(server, "dual.corp.test", Type.AAAA);
        assertEquals(List.of(ip("2001:db8::6")), answers(m).stream()
                .map(r -> ((AAAARecord) r).getAddress()).toList());
        assertEquals(1, upstream.queriesFor("dual.corp.test"));
    }

    @Test
    void aMissingFamilyTheUpstreamDeniesIsNodata() throws Exception {
        // Only the host knows the name (its /etc/hosts, a VPN's split DNS): the upstream says NXDOMAIN.
        assertNodata(udp(server, "vpn.corp.test", Type.AAAA), "vpn.corp.test");
        assertEquals(1, upstream.queriesFor("vpn.corp.test"), "asked upstream first");
        // The upstream's own NODATA comes back as it came (its SOA, not ours).
        upstream.add(new ARecord(name("v4.corp.test"), DClass.IN, 60, ip("10.20.0.8")));
        known.put("v4.corp.test", List.of(ip("10.20.0.8")));
        Message nodata = udp(server, "v4.corp.test", Type.AAAA);
        assertEquals(Rcode.NOERROR, nodata.getRcode());
        assertTrue(answers(nodata).isEmpty());
        // The upstream silent: the host's word stands (NODATA, not SERVFAIL).
        upstream.silent = true;
        assertNodata(udp(server, "vpn.corp.test", Type.AAAA), "vpn.corp.test");
    }

    @Test
    void hostsFileStaysAuthoritativeForItsNames() throws Exception {
        // --hosts-file before the OS resolver: the file lists every address, so the AAAA is NODATA here even though
        // the upstream has one (the acceptance), and nothing is forwarded.
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .hostResolver(HostResolver.firstOf(List.of(HostsFileResolver.parse("198.51.100.20 dual.corp.test\n"),
                        os))).build())) {
            assertNodata(udp(s, "dual.corp.test", Type.AAAA), "dual.corp.test");
            assertNodata(udp(s, "dual.corp.test", Type.HTTPS), "dual.corp.test");
            assertEquals(0, upstream.queries());
            assertEquals(0, calls.get(), "the file answered; the OS resolver was not asked");
        }
    }

    private Set<Integer> typesAskedUpstream(String n) {
        Name wanted = name(n);
        return upstream.seen.stream().map(Message::getQuestion).filter(q -> q.getName().equals(wanted))
                .map(Record::getType).collect(Collectors.toSet());
    }

    private CompletableFuture<byte[]> ask(DnsServer s, String n, int type) {
        byte[] q = DnsTestSupport.query(n, type, 77);
        return s.answer(q, 0, q.length, DnsTransport.udp(65507));
    }

    private static void assertNodata(Message m, String owner) {
        assertEquals(Rcode.NOERROR, m.getRcode(), m.toString());
        assertTrue(answers(m).isEmpty(), m.toString());
        List<Record> auth = m.getSection(Section.AUTHORITY);
        assertEquals(1, auth.size(), m.toString());
        assertEquals(name(owner), auth.get(0).getName(), m.toString());
        assertEquals(Type.SOA, auth.get(0).getType());
    }

    private static SOARecord rootSoa() {
        return new SOARecord(Name.root, DClass.IN, 86400, name("a.root-servers.net"),
                name("nstld.verisign-grs.com"), 2024010100, 1800, 900, 604800, 86400);
    }
}
