package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ask;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.query;
import static io.userv2.dns.DnsTestSupport.queryEdns;
import static io.userv2.dns.DnsTestSupport.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** UDP answers fit 512 bytes or the client's EDNS0 size (TC set otherwise); TCP answers come whole. */
class TruncationTest extends DnsServerFixture {

    static final int MANY = 60; // 60 A records: ~1000 bytes

    @Override
    void seedUpstream() {
        for (int i = 0; i < 30; i++) {
            upstream.add(new TXTRecord(name("big.test"), DClass.IN, 60,
                    "record " + i + " padding padding padding padding padding"));
        }
        for (int i = 1; i <= 100; i++) {
            upstream.add(new ARecord(name("far.test"), DClass.IN, 60, DnsTestSupport.ip("10.1.0." + i)));
        }
    }

    @Override
    DnsConfig.Builder config() throws IOException {
        StringBuilder hosts = new StringBuilder();
        for (int i = 1; i <= MANY; i++) {
            hosts.append("10.0.0.").append(i).append(" many.test\n");
        }
        return DnsTestSupport.config(dir, upstream, hosts.toString());
    }

    private static boolean tc(Message m) {
        return m.getHeader().getFlag(Flags.TC);
    }

    @Test
    void hostAnswerTruncatedOverUdpWholeOverTcp() throws Exception {
        byte[] b = raw(server, query("many.test", Type.A, 1), DnsTransport.udp(65507));
        assertTrue(b.length <= 512, "fits 512: " + b.length);
        Message m = new Message(b);
        assertTrue(tc(m));
        assertTrue(answers(m).size() < MANY);
        assertEquals(1, server.counters().truncated());

        Message whole = ask(server, query("many.test", Type.A, 2), DnsTransport.tcp());
        assertFalse(tc(whole));
        assertEquals(MANY, answers(whole).size());
    }

    @Test
    void ednsSizeIsHonoured() throws Exception {
        byte[] big = raw(server, queryEdns("many.test", Type.A, 3, 4096), DnsTransport.udp(65507));
        Message m = new Message(big);
        assertTrue(big.length > 512);
        assertFalse(tc(m));
        assertEquals(MANY, answers(m).size());
        assertNotNull(m.getOPT());

        byte[] small = raw(server, queryEdns("many.test", Type.A, 4, 600), DnsTransport.udp(65507));
        assertTrue(small.length <= 600);
        Message s = new Message(small);
        assertTrue(tc(s));
        assertNotNull(s.getOPT(), "the OPT record survives truncation");

        byte[] tiny = raw(server, queryEdns("many.test", Type.A, 5, 100), DnsTransport.udp(65507));
        assertTrue(tiny.length <= 512 && tc(new Message(tiny)), "EDNS sizes below 512 mean 512");
    }

    @Test
    void transportAndServerCapsWinOverTheClientsEdnsSize() throws Exception {
        byte[] b = raw(server, queryEdns("many.test", Type.A, 6, 4096), DnsTransport.udp(700));
        assertTrue(b.length <= 700);
        assertTrue(tc(new Message(b)));
        try (DnsServer capped = DnsServer.create(DnsTestSupport.config(dir, upstream, "10.0.0.1 x.test\n")
                .maxUdpPayload(512).build())) {
            byte[] c = raw(capped, queryEdns("far.test", Type.A, 7, 4096), DnsTransport.udp(65507));
            assertTrue(c.length <= 512, "re-truncated forwarded answer: " + c.length);
            assertTrue(tc(new Message(c)));
        }
    }

    @Test
    void hostRecordAnswerTruncatedOverUdpWholeOverTcp() throws Exception {
        Message u = ask(server, query("big.test", Type.TXT, 8), DnsTransport.udp(65507));
        assertTrue(tc(u));
        assertTrue(upstream.tcpQueries.get() >= 1, "the host lookup itself retried over TCP");
        Message t = ask(server, query("big.test", Type.TXT, 9), DnsTransport.tcp());
        assertFalse(tc(t));
        assertEquals(30, answers(t).size());
    }

    @Test
    void forwardedAnswerPassesTcThroughOverUdpAndRetriesOverTcp() throws Exception {
        Message u = ask(server, query("far.test", Type.A, 10), DnsTransport.udp(65507));
        assertTrue(tc(u), "the upstream truncated at 512 and we pass that on");
        assertEquals(0, upstream.tcpQueries.get(), "UDP client: no TCP retry upstream");

        Message t = ask(server, query("far.test", Type.A, 11), DnsTransport.tcp());
        assertFalse(tc(t));
        assertEquals(100, answers(t).size());
        assertEquals(1, upstream.tcpQueries.get(), "TCP client: truncated UDP reply retried over TCP");
        assertEquals(11, t.getHeader().getID());
    }
}
