package io.userv2.dns;

import static io.userv2.dns.DnsTestSupport.query;
import static io.userv2.dns.DnsTestSupport.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** The worker pool is bounded and closeable; overload and shutdown turn into SERVFAIL, never into exceptions. */
class ServerLifecycleTest {

    @TempDir Path dir;

    @Test
    void blockingWorkNeverRunsOnTheCallersThreadAndOverloadIsServfail() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        List<Thread> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (FakeUpstream up = FakeUpstream.start();
                DnsServer s = DnsServer.create(DnsTestSupport.config(dir, up, "").hostResolver(name -> {
                    seen.add(Thread.currentThread());
                    started.countDown();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return List.of(DnsTestSupport.ip("10.0.0.1"));
                }).workers(1, 1).build())) {
            byte[] q = query("blocked.test", Type.A, 1);
            CompletableFuture<byte[]> first = s.answer(q, 0, q.length, DnsTransport.udp(1472));
            assertTrue(started.await(5, TimeUnit.SECONDS));
            CompletableFuture<byte[]> queued = s.answer(q, 0, q.length, DnsTransport.udp(1472));
            CompletableFuture<byte[]> rejected = s.answer(q, 0, q.length, DnsTransport.udp(1472));
            assertTrue(rejected.isDone(), "a full queue answers at once");
            assertEquals(Rcode.SERVFAIL, new Message(rejected.get()).getRcode());
            assertEquals(1, s.counters().rejected());
            assertTrue(!first.isDone());
            release.countDown();
            assertEquals(Rcode.NOERROR, new Message(first.get(5, TimeUnit.SECONDS)).getRcode());
            assertEquals(Rcode.NOERROR, new Message(queued.get(5, TimeUnit.SECONDS)).getRcode());
            assertTrue(seen.stream().noneMatch(t -> t == Thread.currentThread()));
            assertTrue(seen.get(0).getName().startsWith("userv2-dns-"));
        } finally {
            release.countDown();
        }
    }

    @Test
    void afterCloseLocalNamesStillWorkAndTheRestIsServfail() throws Exception {
        try (FakeUpstream up = FakeUpstream.start()) {
            DnsServer s = DnsServer.create(DnsTestSupport.config(dir, up, DnsTestSupport.HOSTS).build());
            s.close();
            s.close();
            assertEquals(Rcode.NOERROR, udp(s, "host.lima.internal", Type.A).getRcode());
            assertEquals(Rcode.SERVFAIL, udp(s, "web.test", Type.A).getRcode());
            assertEquals(0, up.queries());
        }
    }

    @Test
    void countersSnapshotNamesEveryCounter() {
        assertEquals(List.of("queries", "answeredLocally", "hostResolved", "forwarded", "formerr", "notImplemented",
                "dropped", "servfail", "truncated", "rejected", "dns64Synthesized"),
                List.copyOf(new DnsCounters().snapshot().keySet()));
    }

    @Test
    void transportSizes() {
        assertEquals(512, DnsTransport.udp(100).maxMessageSize());
        assertEquals(1472, DnsTransport.udp(1472).maxMessageSize());
        assertEquals(65535, DnsTransport.tcp().maxMessageSize());
        assertTrue(DnsTransport.tcp().isTcp());
    }
}
