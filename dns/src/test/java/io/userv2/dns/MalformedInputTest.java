package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.query;
import static io.userv2.dns.DnsTestSupport.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Garbage gets FORMERR (or is dropped when there is no ID to answer to) and never escapes as an exception. */
class MalformedInputTest extends DnsServerFixture {

    @Override
    DnsConfig.Builder config() throws IOException {
        return super.config().forwardTimeout(Duration.ofMillis(300), Duration.ofMillis(150));
    }

    private Message formerr(byte[] input) throws Exception {
        byte[] b = raw(server, input, DnsTransport.udp(1472));
        assertTrue(b.length >= 12, "a header-only FORMERR");
        Message m = new Message(b);
        assertEquals(Rcode.FORMERR, m.getRcode());
        assertTrue(m.getHeader().getFlag(Flags.QR));
        return m;
    }

    @Test
    void tooShortToHaveAnIdIsDropped() throws Exception {
        assertEquals(0, raw(server, new byte[0], DnsTransport.udp(1472)).length);
        assertEquals(0, raw(server, new byte[] {7}, DnsTransport.udp(1472)).length);
        assertEquals(2, server.counters().dropped());
    }

    @Test
    void truncatedHeaderGetsFormerrWithItsId() throws Exception {
        assertEquals(0x1234, formerr(new byte[] {0x12, 0x34}).getHeader().getID());
        assertEquals(0x1234, formerr(new byte[] {0x12, 0x34, 0x01, 0x00, 0x00}).getHeader().getID());
        byte[] q = query("web.test", Type.A, 0x4321);
        Message m = formerr(java.util.Arrays.copyOf(q, q.length - 3));
        assertEquals(0x4321, m.getHeader().getID());
        assertTrue(m.getHeader().getFlag(Flags.RD), "RD copied");
        assertEquals(3, server.counters().formerr());
    }

    @Test
    void questionCountOtherThanOneIsFormerr() throws Exception {
        Message none = new Message(77);
        formerr(none.toWire());
        Message two = Message.newQuery(Record.newRecord(DnsTestSupport.name("a.test"), Type.A, DClass.IN));
        two.addRecord(Record.newRecord(DnsTestSupport.name("b.test"), Type.A, DClass.IN), Section.QUESTION);
        assertEquals(two.getHeader().getID(), formerr(two.toWire()).getHeader().getID());
    }

    @Test
    void responsesAreDroppedNotAnswered() throws Exception {
        byte[] q = query("host.lima.internal", Type.A, 5);
        q[2] |= (byte) 0x80;
        assertEquals(0, raw(server, q, DnsTransport.udp(1472)).length);
        assertEquals(1, server.counters().dropped());
    }

    @Test
    void otherOpcodesAreNotImplemented() throws Exception {
        Message notify = Message.newQuery(Record.newRecord(DnsTestSupport.name("a.test"), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        Message m = new Message(raw(server, notify.toWire(), DnsTransport.udp(1472)));
        assertEquals(Rcode.NOTIMP, m.getRcode());
        assertEquals(Opcode.NOTIFY, m.getHeader().getOpcode());
        assertEquals(1, server.counters().notImplemented());
    }

    @Test
    void unknownEdnsVersionGetsBadvers() throws Exception {
        Message q = Message.newQuery(Record.newRecord(DnsTestSupport.name("host.lima.internal"), Type.A, DClass.IN));
        q.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
        Message m = new Message(raw(server, q.toWire(), DnsTransport.udp(1472)));
        assertEquals(Rcode.BADVERS, m.getRcode());
        assertNotNull(m.getOPT());
        assertEquals(0, m.getOPT().getVersion());
    }

    @Test
    void fuzzNeverThrowsAndAlwaysCompletes() throws Exception {
        Random r = new Random(20240611L);
        List<byte[]> seeds = List.of(
                query("host.lima.internal", Type.A, 1),
                query("web.test", Type.AAAA, 2),
                query("example.test", Type.MX, 3),
                query("3.104.168.192.in-addr.arpa", Type.PTR, 4),
                DnsTestSupport.queryEdns("web.test", Type.A, 5, 4096));
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            byte[] in;
            if (i % 3 == 0) {
                in = new byte[r.nextInt(80)];
                r.nextBytes(in);
            } else {
                byte[] seed = seeds.get(r.nextInt(seeds.size()));
                in = java.util.Arrays.copyOf(seed, Math.max(0, seed.length + r.nextInt(9) - 4));
                int flips = 1 + r.nextInt(4);
                for (int k = 0; k < flips && in.length > 0; k++) {
                    in[r.nextInt(in.length)] = (byte) r.nextInt(256);
                }
            }
            inputs.add(in);
            DnsTransport t = r.nextBoolean() ? DnsTransport.tcp() : DnsTransport.udp(512 + r.nextInt(4000));
            futures.add(server.answer(in, 0, in.length, t)); // must not throw
            if (futures.size() >= 200) {
                drain(futures, inputs);
            }
        }
        drain(futures, inputs);
        assertEquals(3000, server.counters().queries());
    }

    private static void drain(List<CompletableFuture<byte[]>> futures, List<byte[]> inputs) throws Exception {
        for (int i = 0; i < futures.size(); i++) {
            byte[] out = futures.get(i).get(10, TimeUnit.SECONDS);
            byte[] in = inputs.get(i);
            if (out.length > 0) {
                assertTrue(out.length >= 12);
                assertEquals(in[0], out[0], "ID echoed");
                assertEquals(in[1], out[1], "ID echoed");
                assertTrue((out[2] & 0x80) != 0, "QR set");
            }
        }
        futures.clear();
        inputs.clear();
    }

    @Test
    void headerOnlyReplyCopiesIdOpcodeAndRd() {
        byte[] h = DnsResponses.headerOnly(new byte[] {1, 2, (byte) 0x29}, Rcode.FORMERR);
        assertEquals(12, h.length);
        assertEquals(1, h[0]);
        assertEquals(2, h[1]);
        assertEquals((byte) 0xA9, h[2]); // QR | opcode 5 | RD
        assertEquals((byte) 0x81, h[3]); // RA | FORMERR
    }
}
