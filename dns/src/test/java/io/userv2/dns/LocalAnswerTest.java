package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.query;
import static io.userv2.dns.DnsTestSupport.queryEdns;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Names the gateway owns are answered at once, on the caller's thread, and never leave the server. */
class LocalAnswerTest extends DnsServerFixture {


    @Test
    void hostAliasIsAnsweredCaseInsensitivelyAndSynchronously() throws Exception {
        byte[] q = query("HoSt.LiMa.InTeRnAl", Type.A, 777);
        CompletableFuture<byte[]> f = server.answer(q, 0, q.length, DnsTransport.udp(1472));
        assertTrue(f.isDone(), "internal names complete on the caller's thread");
        Message m = new Message(f.get());
        assertEquals(777, m.getHeader().getID());
        assertTrue(m.getHeader().getFlag(Flags.QR));
        assertTrue(m.getHeader().getFlag(Flags.AA));
        assertTrue(m.getHeader().getFlag(Flags.RD));
        assertEquals(Rcode.NOERROR, m.getRcode());
        List<Record> a = answers(m);
        assertEquals(1, a.size());
        assertEquals(ip("192.168.104.2"), ((ARecord) a.get(0)).getAddress());
        assertEquals("HoSt.LiMa.InTeRnAl.", a.get(0).getName().toString(), "the client's spelling is echoed");
        assertEquals(0, upstream.queries());
        assertEquals(1, server.counters().answeredLocally());
    }

    @Test
    void vmNamesFromDhcpBothForms() throws Exception {
        server.zone().put("lima-vm1", (Inet4Address) ip("192.168.104.3"));
        server.zone().put("devbox", (Inet4Address) ip("192.168.104.4"));
        assertEquals(ip("192.168.104.3"), ((ARecord) answers(udp(server, "lima-vm1.internal", Type.A)).get(0))
                .getAddress());
        assertEquals(ip("192.168.104.4"), ((ARecord) answers(udp(server, "DEVBOX.internal", Type.A)).get(0))
                .getAddress());

        server.zone().put("lima-vm1", (Inet4Address) ip("192.168.104.10"));
        assertEquals(ip("192.168.104.10"), ((ARecord) answers(udp(server, "lima-vm1.internal", Type.A)).get(0))
                .getAddress());
        server.zone().remove("lima-vm1");
        upstream.add(new ARecord(name("lima-vm1.internal"), 1, 60, ip("10.7.7.7")));
        Message m = udp(server, "lima-vm1.internal", Type.A);
        assertEquals(ip("10.7.7.7"), ((ARecord) answers(m).get(0)).getAddress(), "removed names are forwarded");
        assertEquals(0, server.counters().servfail());
    }

    @Test
    void ownedNameWithOtherTypesIsNodata() throws Exception {
        server.zone().put("lima-vm1", (Inet4Address) ip("192.168.104.3"));
        for (int type : new int[] {Type.AAAA, Type.MX, Type.TXT, Type.CNAME, Type.SOA}) {
            Message m = udp(server, "lima-vm1.internal", type);
            assertEquals(Rcode.NOERROR, m.getRcode(), Type.string(type));
            assertTrue(answers(m).isEmpty(), Type.string(type));
            assertTrue(m.getHeader().getFlag(Flags.AA));
            org.xbill.DNS.SOARecord soa = (org.xbill.DNS.SOARecord) m.getSection(org.xbill.DNS.Section.AUTHORITY)
                    .get(0);
            assertEquals(name("internal"), soa.getName(), Type.string(type));
        }
        assertEquals(0, upstream.queries());
    }

    @Test
    void vmNamesWithIpv6AnswerAaaaBesideA() throws Exception {
        server.zone().put("lima-vm1", (Inet4Address) ip("192.168.104.3"));
        server.zone().putIpv6("lima-vm1", List.of((java.net.Inet6Address) ip("fd00:1::3"),
                (java.net.Inet6Address) ip("fd00:1::1003")));
        Message m = udp(server, "lima-vm1.internal", Type.AAAA);
        assertEquals(List.of(ip("fd00:1::3"), ip("fd00:1::1003")),
                answers(m).stream().map(r -> ((org.xbill.DNS.AAAARecord) r).getAddress()).toList());
        assertTrue(m.getHeader().getFlag(Flags.AA));
        assertEquals(List.of(ip("192.168.104.3")),
                answers(udp(server, "lima-vm1.internal", Type.A)).stream().map(r -> ((ARecord) r).getAddress())
                        .toList(), "A still only the IPv4 lease");
        assertEquals(3, answers(udp(server, "lima-vm1.internal", Type.ANY)).size());
        Message ptr = udp(server, "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa", Type.PTR);
        assertEquals(List.of(name("lima-vm1.internal")),
                answers(ptr).stream().map(r -> ((PTRRecord) r).getTarget()).toList());
        assertEquals(0, upstream.queries());
    }

    @Test
    void ptrForInternalAddresses() throws Exception {
        server.zone().put("lima-vm1", (Inet4Address) ip("192.168.104.3"));
        Message m = udp(server, "3.104.168.192.in-addr.arpa", Type.PTR);
        assertEquals(List.of(name("lima-vm1.internal")),
                answers(m).stream().map(r -> ((PTRRecord) r).getTarget()).toList());
        Message g = udp(server, "2.104.168.192.in-addr.arpa", Type.PTR);
        assertEquals(2, answers(g).size(), "host alias and gateway share .2");
        Message nodata = udp(server, "3.104.168.192.in-addr.arpa", Type.TXT);
        assertTrue(answers(nodata).isEmpty());
        assertEquals(Rcode.NOERROR, nodata.getRcode());
        assertEquals(0, upstream.queries());
    }

    @Test
    void staticAndApiZoneNames() throws Exception {
        server.zone().addStatic("printer.lan", ip("10.0.0.9"));
        server.zone().addZone(new DnsZone("corp.", List.of(), ip("10.0.0.1")));
        assertEquals(ip("10.0.0.9"), ((ARecord) answers(udp(server, "PRINTER.lan", Type.A)).get(0)).getAddress());
        assertEquals(ip("10.0.0.1"), ((ARecord) answers(udp(server, "x.y.corp", Type.A)).get(0)).getAddress());
    }

    @Test
    void staticHostsFromConfig() throws Exception {
        try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, upstream, "")
                .staticHost("db.example", ip("10.1.1.1"))
                .hostAlias("host.docker.internal", ip("10.0.2.2"))
                .gatewayName(null, null)
                .build())) {
            assertEquals(ip("10.1.1.1"), ((ARecord) answers(udp(s, "db.example", Type.A)).get(0)).getAddress());
            assertEquals(ip("10.0.2.2"), ((ARecord) answers(udp(s, "host.docker.internal", Type.A)).get(0))
                    .getAddress());
            assertNull(s.zone().lookup(name("gateway.lima.internal")));
        }
    }

    @Test
    void ednsOptIsEchoedAndByteBufferEntryPointWorks() throws Exception {
        byte[] q = queryEdns("host.lima.internal", Type.A, 9, 1232);
        ByteBuffer buf = ByteBuffer.allocateDirect(q.length + 10);
        buf.position(5);
        buf.put(q);
        buf.flip();
        buf.position(5);
        Message m = new Message(server.answer(buf, DnsTransport.udp(1472)).get());
        assertEquals(5, buf.position(), "position untouched");
        assertNotNull(m.getOPT());
        assertEquals(1, answers(m).size());
        Message plain = udp(server, "host.lima.internal", Type.A);
        assertNull(plain.getOPT(), "no OPT in the answer when the query had none");
    }
}
