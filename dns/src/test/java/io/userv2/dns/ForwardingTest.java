package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ask;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.query;
import static io.userv2.dns.DnsTestSupport.tcp;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Other types, and whatever the host cannot answer, go to the upstream (a local fake on 127.0.0.1). */
class ForwardingTest extends DnsServerFixture {

    @Override
    void seedUpstream() {
        Name zone = name("example.test");
        upstream.add(new SOARecord(zone, DClass.IN, 60, name("ns.example.test"), name("admin.example.test"),
                1, 60, 60, 60, 60));
        upstream.add(new MXRecord(zone, DClass.IN, 60, 10, name("mail.example.test")));
        upstream.add(new TXTRecord(zone, DClass.IN, 60, "v=spf1 -all"));
        upstream.add(new SRVRecord(name("_sip._tcp.example.test"), DClass.IN, 60, 1, 2, 5060,
                name("sip.example.test")));
        upstream.add(new CNAMERecord(name("alias.example.test"), DClass.IN, 60, name("example.test")));
    }

    @Test
    void otherTypesAreForwardedKeepingTheClientsId() throws Exception {
        Message m = ask(server, query("example.test", Type.SOA, 31337), DnsTransport.udp(1472));
        assertEquals(31337, m.getHeader().getID());
        assertEquals(Type.SOA, answers(m).get(0).getType());
        assertEquals(List.of(31337), upstream.seenIds, "the upstream saw the client's own ID");
        assertEquals(1, server.counters().forwarded());
    }

    @Test
    void hostRecordTypesAreLookedUpOnTheHost() throws Exception {
        assertEquals(name("mail.example.test"), ((MXRecord) answers(udp(server, "example.test", Type.MX)).get(0))
                .getTarget());
        assertEquals(List.of("v=spf1 -all"), ((TXTRecord) answers(udp(server, "example.test", Type.TXT)).get(0))
                .getStrings());
        assertEquals(5060, ((SRVRecord) answers(udp(server, "_sip._tcp.example.test", Type.SRV)).get(0))
                .getPort());
        assertEquals(name("example.test"), ((CNAMERecord) answers(udp(server, "alias.example.test", Type.CNAME))
                .get(0)).getTarget());
        assertEquals(4, server.counters().hostResolved());
        assertEquals(0, server.counters().forwarded());
    }

    @Test
    void hostRecordMissThenForwarded() throws Exception {
        Message m = udp(server, "missing.example.test", Type.TXT);
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals(1, server.counters().forwarded());
    }

    @Test
    void unownedInternalNamesAreForwardedNotNxdomain() throws Exception {
        server.zone().addZone(new DnsZone("internal.", List.of(new DnsZoneRecord("lima-a", ip("192.168.104.3"))),
                null));
        upstream.add(new ARecord(name("git.corp.internal"), DClass.IN, 60, ip("10.20.30.40")));
        Message m = udp(server, "git.corp.internal", Type.A);
        assertEquals(ip("10.20.30.40"), ((ARecord) answers(m).get(0)).getAddress());
        Message mx = udp(server, "git.corp.internal", Type.MX);
        assertEquals(Rcode.NOERROR, mx.getRcode(), "the upstream's NODATA, not our NXDOMAIN");
        assertTrue(upstream.queries() >= 2);
    }

    @Test
    void servfailWhenTheUpstreamIsSilent() throws Exception {
        upstream.silent = true;
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .forwardTimeout(Duration.ofMillis(400), Duration.ofMillis(150)).build())) {
            long t0 = System.nanoTime();
            Message m = ask(s, query("example.test", Type.SOA, 5), DnsTransport.udp(1472));
            long took = System.nanoTime() - t0;
            assertEquals(Rcode.SERVFAIL, m.getRcode());
            assertEquals(5, m.getHeader().getID());
            assertTrue(took < TimeUnit.SECONDS.toNanos(2), "bounded: " + took / 1_000_000 + " ms");
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(250), "waited for the upstream");
            assertEquals(1, s.counters().servfail());
            assertTrue(upstream.udpQueries.get() >= 2, "retried within the budget");
            Message tcpFail = ask(s, query("example.test", Type.SOA, 6), DnsTransport.tcp());
            assertEquals(Rcode.SERVFAIL, tcpFail.getRcode());
        }
    }

    @Test
    void servfailWhenTheUpstreamPortIsClosed() throws Exception {
        java.net.InetSocketAddress dead;
        try (FakeUpstream gone = FakeUpstream.start()) {
            dead = gone.address();
        }
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .upstreams(List.of(dead)).build())) {
            Message m = ask(s, query("example.test", Type.SOA, 8), DnsTransport.udp(1472));
            assertEquals(Rcode.SERVFAIL, m.getRcode());
        }
    }

    @Test
    void secondUpstreamIsTriedWhenTheFirstIsSilent() throws Exception {
        try (FakeUpstream silentOne = FakeUpstream.start()) {
            silentOne.silent = true;
            try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                    .upstreams(List.of(silentOne.address(), upstream.address()))
                    .forwardTimeout(Duration.ofMillis(1500), Duration.ofMillis(200)).build())) {
                Message m = ask(s, query("example.test", Type.SOA, 9), DnsTransport.udp(1472));
                assertEquals(Rcode.NOERROR, m.getRcode());
                assertEquals(1, silentOne.udpQueries.get());
            }
        }
    }

    @Test
    void anyAndOtherClassesAreForwarded() throws Exception {
        Message any = udp(server, "example.test", Type.ANY);
        assertTrue(answers(any).size() >= 3);
        Message chaos = Message.newQuery(Record.newRecord(name("version.bind"), Type.TXT, DClass.CH));
        Message r = ask(server, chaos.toWire(), DnsTransport.udp(1472));
        assertEquals(Rcode.NXDOMAIN, r.getRcode());
        assertEquals(2, server.counters().forwarded());
    }

    @Test
    void forwardedOverTcpWhenTheClientUsedTcp() throws Exception {
        Message m = tcp(server, "example.test", Type.SOA);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertEquals(1, upstream.udpQueries.get(), "UDP to the upstream first; no TC so no TCP retry");
        assertEquals(0, upstream.tcpQueries.get());
    }
}
