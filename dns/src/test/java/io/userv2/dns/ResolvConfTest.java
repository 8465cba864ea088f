package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.answers;
import static io.userv2.dns.DnsTestSupport.ip;
import static io.userv2.dns.DnsTestSupport.name;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/** Upstreams come from resolv.conf, follow its changes, and use the fallback 8.8.8.8 and 1.1.1.1 (computed, never queried) when it names none. */
class ResolvConfTest {

    @TempDir Path dir;

    private static InetSocketAddress ns(String ip) {
        return new InetSocketAddress(ip(ip), 53);
    }

    @Test
    void parsesNameserversAndSearch() {
        ResolvConf c = ResolvConf.parse(String.join("\n",
                "# generated",
                "nameserver 10.0.0.1",
                "nameserver   fd00::53 ; comment",
                "nameserver 10.0.0.1",
                "nameserver not-an-ip.example",
                "domain old.example",
                "search corp.example. lab.example",
                "options ndots:2 edns0",
                "nameserver"));
        assertEquals(List.of(ns("10.0.0.1"), ns("fd00::53")), c.nameservers());
        assertEquals(List.of("corp.example", "lab.example"), c.searchDomains());
        assertEquals(ResolvConf.EMPTY, ResolvConf.parse(""));
    }

    @Test
    void fallbackWhenThereAreNoNameservers() throws Exception {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "search only.example\n");
        ResolvConfWatcher w = new ResolvConfWatcher(f);
        assertEquals(List.of(ns("8.8.8.8"), ns("1.1.1.1")), w.upstreams()); // the fallback list, computed only: never queried
        assertEquals(List.of("only.example"), w.searchDomains());
        ResolvConfWatcher missing = new ResolvConfWatcher(dir.resolve("nope"));
        assertSame(ResolvConfWatcher.DEFAULT_FALLBACK, missing.upstreams());
    }

    @Test
    void rereadWhenTheFileChangesAtMostOncePerInterval() throws Exception {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "nameserver 10.0.0.1\n");
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        ResolvConfWatcher w = new ResolvConfWatcher(f, List.of(ns("9.9.9.9")), clock::get, Duration.ofSeconds(1));
        assertEquals(List.of(ns("10.0.0.1")), w.upstreams());

        Files.writeString(f, "nameserver 10.0.0.2\nnameserver 10.0.0.3\n");
        Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 5000));
        clock.addAndGet(500_000_000L);
        assertEquals(List.of(ns("10.0.0.1")), w.upstreams(), "not looked at again within the interval");
        clock.addAndGet(600_000_000L);
        assertEquals(List.of(ns("10.0.0.2"), ns("10.0.0.3")), w.upstreams(), "re-read after the interval");

        Files.delete(f);
        clock.addAndGet(2_000_000_000L);
        assertEquals(List.of(ns("9.9.9.9")), w.upstreams(), "a vanished file means the fallback");
        Files.writeString(f, "nameserver 10.0.0.4\n");
        clock.addAndGet(2_000_000_000L);
        assertEquals(List.of(ns("10.0.0.4")), w.upstreams());
    }

    @Test
    void serverFollowsResolvConfChanges() throws Exception {
        // resolv.conf has no port syntax: map the addresses it names onto two local fake upstreams.
        try (FakeUpstream a = FakeUpstream.start(); FakeUpstream b = FakeUpstream.start()) {
            a.add(new TXTRecord(name("who.test"), DClass.IN, 60, "upstream-a"));
            b.add(new TXTRecord(name("who.test"), DClass.IN, 60, "upstream-b"));
            Map<InetSocketAddress, InetSocketAddress> map = Map.of(ns("10.0.0.1"), a.address(),
                    ns("10.0.0.2"), b.address());
            Path f = dir.resolve("resolv.conf");
            Files.writeString(f, "nameserver 10.0.0.1\n");
            AtomicLong clock = new AtomicLong();
            ResolvConfWatcher w = new ResolvConfWatcher(f, List.of(a.address()), clock::get, Duration.ofSeconds(1));
            UpstreamSource mapped = () -> w.upstreams().stream().map(s -> map.getOrDefault(s, a.address())).toList();
            try (DnsServer s = DnsServer.create(DnsTestSupport.config(dir, a, "").upstreamSource(mapped).build())) {
                assertEquals("\"upstream-a\"", answers(udp(s, "who.test", Type.TXT)).get(0).rdataToString());
                Files.writeString(f, "nameserver 10.0.0.2\n");
                Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 5000));
                clock.addAndGet(2_000_000_000L);
                assertEquals("\"upstream-b\"", answers(udp(s, "who.test", Type.TXT)).get(0).rdataToString());
                assertEquals(1, b.queries());
            }
        }
    }

    @Test
    void serverReportsUpstreamsAndSearchDomains() throws Exception {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "search a.example b.example\n");
        try (FakeUpstream up = FakeUpstream.start();
                DnsServer s = DnsServer.create(DnsTestSupport.config(dir, up, "").upstreams(null)
                        .fallbackUpstreams(ResolvConfWatcher.DEFAULT_FALLBACK).build())) {
            // Only computed, never sent to.
            assertEquals(List.of(ns("8.8.8.8"), ns("1.1.1.1")), s.upstreams()); // the fallback list, computed only: never queried
            assertEquals(List.of("a.example", "b.example"), s.searchDomains());
        }
    }
}
