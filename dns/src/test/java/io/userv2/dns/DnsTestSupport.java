package io.userv2.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;

/**
 * Shared test plumbing. Everything a server under test talks to is injected: a hosts file written by the test, a
 * resolv.conf in a temp directory, and a {@link FakeUpstream} on 127.0.0.1. Nothing here ever reaches the host's
 * resolver or an outside name.
 */
final class DnsTestSupport {

    private DnsTestSupport() {}

    static final String HOSTS = String.join("\n",
            "# test hosts file",
            "10.1.2.3   web.test  WWW.Test",
            "10.1.2.4   web.test",
            "fd00::1    web.test",
            "10.9.9.9   v4only.test",
            "fd00::9    v6only.test",
            "");

    /** A builder wired only to test doubles: temp resolv.conf, the fake upstream, the hosts file text given. */
    static DnsConfig.Builder config(Path dir, FakeUpstream upstream, String hosts) throws IOException {
        Path resolv = dir.resolve("resolv.conf");
        if (!Files.exists(resolv)) {
            Files.writeString(resolv, "search example.test\n");
        }
        Path hostsFile = dir.resolve("hosts");
        Files.writeString(hostsFile, hosts);
        return DnsConfig.builder()
                .resolvConf(resolv)
                .upstreams(List.of(upstream.address()))
                .fallbackUpstreams(List.of(upstream.address()))
                .hostResolver(HostsFileResolver.read(hostsFile))
                .forwardTimeout(Duration.ofMillis(1500), Duration.ofMillis(700))
                .hostLookupTimeout(Duration.ofMillis(1500));
    }

    static Name name(String s) {
        try {
            return Name.fromString(s.endsWith(".") ? s : s + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static InetAddress ip(String literal) {
        InetAddress a = IpLiterals.parse(literal);
        if (a == null) {
            throw new IllegalArgumentException(literal);
        }
        return a;
    }

    static byte[] query(String name, int type, int id) {
        Message m = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        m.getHeader().setID(id);
        return m.toWire();
    }

    static byte[] queryEdns(String name, int type, int id, int payload) {
        Message m = Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
        m.getHeader().setID(id);
        m.addRecord(new OPTRecord(payload, 0, 0), Section.ADDITIONAL);
        return m.toWire();
    }

    /** Sends one query and waits (bounded) for the raw answer. */
    static byte[] raw(DnsServer server, byte[] query, DnsTransport t) throws Exception {
        return server.answer(query, 0, query.length, t).get(10, TimeUnit.SECONDS);
    }

    /** Sends one query and parses the answer. */
    static Message ask(DnsServer server, byte[] query, DnsTransport t) throws Exception {
        byte[] b = raw(server, query, t);
        if (b.length == 0) {
            throw new AssertionError("no answer");
        }
        return new Message(b);
    }

    static Message udp(DnsServer server, String name, int type) throws Exception {
        return ask(server, query(name, type, 4242), DnsTransport.udp(65507));
    }

    static Message tcp(DnsServer server, String name, int type) throws Exception {
        return ask(server, query(name, type, 4243), DnsTransport.tcp());
    }

    static List<Record> answers(Message m) {
        return m.getSection(Section.ANSWER);
    }
}
