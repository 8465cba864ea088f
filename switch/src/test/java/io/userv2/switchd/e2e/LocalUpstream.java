package io.userv2.switchd.e2e;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
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
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The end-to-end tests' own upstream nameserver (adapted from the dns module's FakeUpstream): an authoritative
 * server on 127.0.0.1, UDP and TCP on one random port, answering only from the records the test adds (NXDOMAIN for
 * other names), truncating UDP answers at 512 bytes or the query's EDNS0 size like a real server. The switch under
 * test gets it as {@code --dns-upstream 127.0.0.1:PORT}, so no test query ever reaches the machine's resolver or
 * the outside world. TCP connections may carry several queries. It records every question it saw.
 */
public final class LocalUpstream implements AutoCloseable {
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<Name, List<Record>> records = new ConcurrentHashMap<>();
    private final AtomicInteger udpQueries = new AtomicInteger();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private final List<String> questions = new CopyOnWriteArrayList<>();
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile boolean negativeSoa;

    private LocalUpstream(DatagramSocket udp, ServerSocket tcp) {
        this.udp = udp;
        this.tcp = tcp;
        Thread u = new Thread(this::serveUdp, "local-upstream-udp");
        u.setDaemon(true);
        u.start();
        Thread t = new Thread(this::acceptTcp, "local-upstream-tcp");
        t.setDaemon(true);
        t.start();
    }

    /** Binds UDP and TCP on the same free port of 127.0.0.1 (a few attempts, in case TCP's port is taken). */
    public static LocalUpstream start() throws IOException {
        InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            DatagramSocket u = new DatagramSocket(new InetSocketAddress(lo, 0));
            ServerSocket t = new ServerSocket();
            try {
                t.bind(new InetSocketAddress(lo, u.getLocalPort()));
                return new LocalUpstream(u, t);
            } catch (IOException e) {
                last = e;
                u.close();
                t.close();
            }
        }
        throw last;
    }

    /** {@code 127.0.0.1:PORT}, for {@code --dns-upstream}. */
    public String address() {
        return "127.0.0.1:" + udp.getLocalPort();
    }

    public LocalUpstream add(Record r) {
        records.computeIfAbsent(r.getName().canonicalize(), k -> Collections.synchronizedList(new ArrayList<>())).add(r);
        return this;
    }

    public LocalUpstream addA(String name, String ip) {
        try {
            return add(new ARecord(Name.fromString(abs(name)), DClass.IN, 300, InetAddress.getByAddress(Frames.ip(ip))));
        } catch (IOException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    public LocalUpstream addTxt(String name, String text) {
        try {
            return add(new TXTRecord(Name.fromString(abs(name)), DClass.IN, 300, text));
        } catch (IOException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    public LocalUpstream addMx(String name, int priority, String target) {
        try {
            return add(new MXRecord(Name.fromString(abs(name)), DClass.IN, 300, priority, Name.fromString(abs(target))));
        } catch (IOException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    /**
     * From now on, negative answers (NXDOMAIN, and NOERROR with no answer) carry an SOA of the root zone in the
     * authority section, as real upstreams' do (RFC 2308 section 3: "Name servers authoritative for a zone MUST include
     * the SOA record of the zone in the authority section of the response" to a negative answer); resolvers such
     * as systemd-resolved then cache the negative answer for the SOA's minimum TTL.
     */
    public LocalUpstream negativeSoa() {
        negativeSoa = true;
        return this;
    }

    private static String abs(String name) {
        return name.endsWith(".") ? name : name + ".";
    }

    public int udpQueries() {
        return udpQueries.get();
    }

    public int tcpQueries() {
        return tcpQueries.get();
    }

    /** Every question seen so far, as "name. TYPE" (e.g. "txt.corp.test. TXT"), in arrival order. */
    public List<String> questions() {
        return List.copyOf(questions);
    }

    private byte[] respond(byte[] query, boolean overTcp) throws IOException {
        Message q = new Message(query);
        Record question = q.getQuestion();
        questions.add(question.getName() + " " + Type.string(question.getType()));
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
        } else {
            synchronized (known) {
                for (Record rec : known) {
                    if (rec.getType() == question.getType() || question.getType() == Type.ANY) {
                        r.addRecord(rec, Section.ANSWER);
                    }
                }
            }
        }
        if (negativeSoa && r.getSection(Section.ANSWER).isEmpty()) {
            // Like a root server's: owner ".", negative-caching TTL (the MINIMUM field) 300 s.
            r.addRecord(new SOARecord(Name.root, DClass.IN, 300, Name.fromConstantString("ns.upstream.test."),
                    Name.fromConstantString("hostmaster.upstream.test."), 1, 1800, 900, 604800, 300), Section.AUTHORITY);
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
                byte[] answer = respond(java.util.Arrays.copyOf(buf, p.getLength()), false);
                udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void acceptTcp() {
        while (!closed) {
            try {
                Socket s = tcp.accept();
                connections.add(s);
                Thread t = new Thread(() -> serveTcp(s), "local-upstream-tcp-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    /** Answers queries on one connection until the client closes it (or 10 s of silence). */
    private void serveTcp(Socket s) {
        try (s) {
            s.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (!closed) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException e) {
                    return;
                }
                byte[] q = new byte[len];
                in.readFully(q);
                tcpQueries.incrementAndGet();
                byte[] answer = respond(q, true);
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            }
        } catch (IOException e) {
            // client went away or timed out
        } finally {
            connections.remove(s);
        }
    }

    @Override
    public void close() {
        closed = true;
        udp.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : connections) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
