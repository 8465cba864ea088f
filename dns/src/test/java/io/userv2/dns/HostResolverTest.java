package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** A and AAAA go through the host's resolver (here: a hosts file the test writes). */
class HostResolverTest extends DnsServerFixture {


    @Test
    void hostsFileParsing() {
        HostsFileResolver h = HostsFileResolver.parse(DnsTestSupport.HOSTS + "\nnot-an-ip bogus.test\n# 1.2.3.4 x\n");
        assertEquals(List.of(ip("10.1.2.3"), ip("10.1.2.4"), ip("fd00::1")), h.resolve("WEB.test."));
        assertEquals(List.of(ip("10.1.2.3")), h.resolve("www.test"));
        assertTrue(h.resolve("bogus.test").isEmpty());
        assertTrue(h.resolve("x").isEmpty());
    }

    @Test
    void aAndAaaaFromTheHostsFile() throws Exception {
        Message a = udp(server, "Web.Test", Type.A);
        assertEquals(Rcode.NOERROR, a.getRcode());
        assertFalse(a.getHeader().getFlag(Flags.AA), "not authoritative for host answers");
        Set<InetAddress> v4 = answers(a).stream().map(r -> ((ARecord) r).getAddress()).collect(Collectors.toSet());
        assertEquals(Set.of(ip("10.1.2.3"), ip("10.1.2.4")), v4);

        Message aaaa = udp(server, "web.test", Type.AAAA);
        assertEquals(List.of(ip("fd00::1")), answers(aaaa).stream().map(r -> ((AAAARecord) r).getAddress())
                .toList());
        assertEquals(2, server.counters().hostResolved());
        assertEquals(0, upstream.queries(), "answered by the host, nothing forwarded");
    }

    @Test
    void missingFamilyIsNodataAndUnknownNameIsForwarded() throws Exception {
        upstream.add(new AAAARecord(name("v4only.test"), 1, 60, ip("fd00::99")));
        Message m = udp(server, "v4only.test", Type.AAAA);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertTrue(answers(m).isEmpty(), "the hosts file lists every address of the name: " + m);
        assertEquals(0, upstream.queries(), "a known name's missing family is answered at the gateway");
        Message nx = udp(server, "nowhere.test", Type.A);
        assertEquals(Rcode.NXDOMAIN, nx.getRcode(), "the upstream's NXDOMAIN comes back");
        assertEquals(1, upstream.queries());
        assertEquals(1, server.counters().forwarded());
    }

    @Test
    void aResolverThatAskedOneFamilyOnlyLeavesTheOtherToTheUpstream() throws Exception {
        // The default lookup() makes no claim about the family it did not return (an IPv4-only JVM's OS resolver).
        upstream.add(new AAAARecord(name("v4only.test"), 1, 60, ip("fd00::99")));
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .hostResolver(n -> n.equals("v4only.test") ? List.of(ip("10.9.9.9")) : List.of()).build())) {
            Message m = udp(s, "v4only.test", Type.AAAA);
            assertEquals(List.of(ip("fd00::99")), answers(m).stream().map(r -> ((AAAARecord) r).getAddress())
                    .toList());
            assertEquals(1, upstream.queries());
        }
    }

    @Test
    void chainTakesTheFirstResolverThatKnowsTheName() throws Exception {
        HostResolver files = HostsFileResolver.parse("10.9.9.9 v4only.test\n");
        HostResolver other = n -> List.of(ip("10.0.0.1"), ip("fd00::1"));
        HostResolver chain = HostResolver.firstOf(List.of(files, other));
        assertEquals(new HostAnswer(List.of(ip("10.9.9.9")), true), chain.lookup("V4ONLY.test"));
        assertEquals(new HostAnswer(List.of(ip("10.0.0.1"), ip("fd00::1")), false), chain.lookup("else.test"));
        assertTrue(chain.listsOnlyAddresses("v4only.test"));
        assertFalse(chain.listsOnlyAddresses("else.test"));
        assertEquals(HostAnswer.NONE, HostResolver.firstOf(List.of(files)).lookup("else.test"));
    }

    @Test
    void slowHostLookupEndsInServfail() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .hostResolver(name -> {
                    try {
                        never.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return List.of();
                })
                .hostLookupTimeout(Duration.ofMillis(200))
                .build())) {
            long t0 = System.nanoTime();
            Message m = udp(s, "slow.test", Type.A);
            assertEquals(Rcode.SERVFAIL, m.getRcode());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3));
            assertEquals(1, s.counters().servfail());
        } finally {
            never.countDown();
        }
    }

    @Test
    void failingHostLookupEndsInServfail() throws Exception {
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .hostResolver(name -> {
                    throw new java.io.IOException("resolver broke");
                }).build())) {
            assertEquals(Rcode.SERVFAIL, udp(s, "web.test", Type.A).getRcode());
        }
    }
}
