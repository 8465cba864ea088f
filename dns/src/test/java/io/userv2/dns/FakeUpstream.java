package io.userv2.dns;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A tiny authoritative DNS server for tests, on 127.0.0.1 (UDP and TCP on one random port), answering from records
 * the test adds: NXDOMAIN for unknown names, UDP answers truncated at 512 bytes or the query's EDNS0 size. It can be
 * told to stay silent (to test timeouts). Never talks to anything but its clients.
 */
final class FakeUpstream implements AutoCloseable {

    final DatagramSocket udp;
    final ServerSocket tcp;
    final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    final AtomicInteger udpQueries = new AtomicInteger();
    final AtomicInteger tcpQueries = new AtomicInteger();
    final List<Integer> seenIds = new CopyOnWriteArrayList<>();
    final List<Message> seen = new CopyOnWriteArrayList<>();
    volatile boolean silent;
    /** When set, put in the authority section of every NXDOMAIN, as real servers do (RFC 2308). */
    volatile Record nxdomainSoa;
    private volatile boolean closed;

    private FakeUpstream(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        Thread u = new Thread(this::serveUdp, "fake-upstream-udp");
        u.setDaemon(true);
        u.start();
        Thread t = new Thread(this::serveTcp, "fake-upstream-tcp");
        t.setDaemon(true);
        t.start();
    }

    static FakeUpstream start() throws IOException {
        return start(InetAddress.getLoopbackAddress());
    }

    static FakeUpstream start(InetAddress address) throws IOException {
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            DatagramSocket u = new DatagramSocket(new InetSocketAddress(address, 0));
            ServerSocket t = new ServerSocket();
            try {
                t.bind(new InetSocketAddress(address, u.getLocalPort()));
                return new FakeUpstream(u, t);
            } catch (IOException e) {
                last = e;
                u.close();
                t.close();
            }
        }
        throw last;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    FakeUpstream add(Record r) {
        records.computeIfAbsent(r.getName().canonicalize(), k -> Collections.synchronizedList(new ArrayList<>()))
                .add(r);
        return this;
    }

    /** How many questions for {@code name} (any type, any case) it has seen. */
    long queriesFor(String name) {
        Name n = DnsTestSupport.name(name);
        return seen.stream().filter(m -> m.getQuestion().getName().equals(n)).count();
    }

    int queries() {
        return udpQueries.get() + tcpQueries.get();
    }

    byte[] respond(byte[] query, boolean overTcp) throws IOException {
        Message q = new Message(query);
        seen.add(q);
        seenIds.add(q.getHeader().getID());
        Record question = q.getQuestion();
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.AA);
        if (q.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        r.addRecord(question, Section.QUESTION);
        List<Record> known = records.get(question.getName().canonicalize());
        if (known == null) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            Record soa = nxdomainSoa;
            if (soa != null) {
                r.addRecord(soa, Section.AUTHORITY);
            }
        } else {
            synchronized (known) {
                for (Record rec : known) {
                    if (rec.getType() == question.getType() || question.getType() == Type.ANY) {
                        r.addRecord(rec, Section.ANSWER);
                    }
                }
            }
        }
        OPTRecord opt = q.getOPT();
        if (opt != null) {
            r.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        }
        int max = overTcp ? 65535 : opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        return r.toWire(max);
    }

    private void serveUdp() {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
                udpQueries.incrementAndGet();
                if (silent) {
                    continue;
                }
                byte[] answer = respond(java.util.Arrays.copyOf(buf, p.getLength()), false);
                udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serveTcp() {
        while (!closed) {
            try (Socket s = tcp.accept()) {
                s.setSoTimeout(5000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] q = new byte[in.readUnsignedShort()];
                in.readFully(q);
                tcpQueries.incrementAndGet();
                if (silent) {
                    continue;
                }
                byte[] answer = respond(q, true);
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        udp.close();
        tcp.close();
    }
}
