package io.userv2.bench.dns;

import io.userv2.dns.DnsConfig;
import io.userv2.dns.DnsServer;
import io.userv2.dns.DnsTransport;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS answers per second through {@link DnsServer#answer(byte[], int, int, DnsTransport)}, one query at a time
 * ({@code answer(...).join()}), from pre-encoded query bytes (dnsjava {@code Message.newQuery(...).toWire()}) to the
 * answer bytes. Two kinds of name:
 * <ul>
 *   <li>{@code internalName}: {@code lima-vm1.internal. A}, a name the DHCP server registered in the
 *       {@link io.userv2.dns.InternalZone} ({@code dns.zone().put("lima-vm1", addr)}). Answered on the calling thread
 *       with an already-completed future: parse the query, look the name up, build and serialise the answer.</li>
 *   <li>{@code hostResolverInMemory}: {@code build.corp.test. A}, answered by the configured
 *       {@link io.userv2.dns.HostResolver}, here an in-memory lambda that returns one address (never the OS resolver,
 *       no network). {@link DnsServer} has <b>no answer cache</b>: every such query goes through the full path, which
 *       hands the lookup to the server's worker pool ({@code ThreadPoolExecutor}), arms an {@code orTimeout} timer,
 *       and composes the answer on the worker, while the benchmark thread waits in {@code join()}. So this score is
 *       mostly the cost of a thread hand-off and wake-up per query (latency-bound, one query in flight), not of the
 *       resolver.</li>
 * </ul>
 *
 * <p>Nothing is ever sent: the upstream list is a single {@code 127.0.0.1} port that was free when the benchmark
 * started (a query that fell through to forwarding would get SERVFAIL after a timeout, and setup would fail), and
 * resolv.conf is an empty temporary file. Setup checks that both answers carry exactly the expected A record, and
 * tear-down checks the server's counters: every query was answered locally or by the host resolver, none forwarded,
 * none failed.
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -o -q package -DskipTests -pl bench -am
 * java -jar bench/target/userv2-benchmarks.jar DnsServerBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc
 * </pre>
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is bytes per answered query, including what the DNS worker thread
 * allocates for the host-resolver path (JMH counts every thread of the forked JVM).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class DnsServerBenchmark {
    /** The DHCP host name registered in the internal zone (answers as {@code lima-vm1.internal.}). */
    static final String VM_HOSTNAME = "lima-vm1";
    /** The name the host resolver answers. */
    static final String HOST_NAME = "build.corp.test.";
    /** The largest UDP payload the front end could send back (a 1500-byte MTU minus IPv4 and UDP headers). */
    static final DnsTransport UDP = DnsTransport.udp(1500 - 28);

    private final InetAddress vmAddress = address(192, 168, 104, 3);
    private final InetAddress hostAddress = address(10, 20, 30, 40);
    private final AtomicLong resolverCalls = new AtomicLong();

    private Path resolvConf;
    private DnsServer dns;
    private byte[] internalQuery;
    private byte[] hostQuery;

    private static Inet4Address address(int a, int b, int c, int d) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Builds the server (in-memory host resolver, unreachable upstream), registers the VM name, checks both answers. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        resolvConf = Files.createTempFile("userv2-bench-resolv", ".conf");
        int unusedPort;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            unusedPort = s.getLocalPort();
        }
        String expectedHost = HOST_NAME.substring(0, HOST_NAME.length() - 1);
        dns = DnsServer.create(DnsConfig.builder()
                .resolvConf(resolvConf)
                .upstreams(List.of(new InetSocketAddress("127.0.0.1", unusedPort)))
                .hostResolver(name -> {
                    resolverCalls.incrementAndGet();
                    return name.equalsIgnoreCase(expectedHost) ? List.of(hostAddress) : List.of();
                })
                .build());
        if (dns.zone().put(VM_HOSTNAME, (Inet4Address) vmAddress) == null) {
            throw new IllegalStateException("zone refused " + VM_HOSTNAME);
        }
        internalQuery = query(VM_HOSTNAME + ".internal.");
        hostQuery = query(HOST_NAME);
        expectA(internalQuery, vmAddress);
        expectA(hostQuery, hostAddress);
        if (resolverCalls.get() != 1) {
            throw new IllegalStateException("host resolver called " + resolverCalls.get() + " times, expected 1");
        }
    }

    private static byte[] query(String name) throws IOException {
        return Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN)).toWire();
    }

    /** Asks once and checks the answer: NOERROR, same ID, exactly one A record with {@code expected}. */
    private void expectA(byte[] query, InetAddress expected) throws IOException {
        byte[] answer = dns.answer(query, 0, query.length, UDP).join();
        Message q = new Message(query);
        Message m = new Message(answer);
        List<Record> records = m.getSection(Section.ANSWER);
        if (m.getRcode() != Rcode.NOERROR || m.getHeader().getID() != q.getHeader().getID() || records.size() != 1
                || !(records.get(0) instanceof ARecord a) || !a.getAddress().equals(expected)
                || !a.getName().equals(q.getQuestion().getName())) {
            throw new IllegalStateException("unexpected answer to " + q.getQuestion() + ":\n" + m);
        }
    }

    /** Nothing was forwarded, failed or dropped: every query was answered by the zone or the in-memory resolver. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        try {
            var c = dns.counters();
            if (c.forwarded() != 0 || c.servfail() != 0 || c.dropped() != 0 || c.rejected() != 0
                    || c.queries() != c.answeredLocally() + c.hostResolved()) {
                throw new IllegalStateException("some queries were not answered locally: " + c.snapshot());
            }
        } finally {
            dns.close();
            Files.deleteIfExists(resolvConf);
        }
    }

    /** An internal name, answered on this thread from the zone. */
    @Benchmark
    public byte[] internalName() {
        return dns.answer(internalQuery, 0, internalQuery.length, UDP).join();
    }

    /** A name the in-memory host resolver knows, answered on a DNS worker thread (no cache). */
    @Benchmark
    public byte[] hostResolverInMemory() {
        return dns.answer(hostQuery, 0, hostQuery.length, UDP).join();
    }
}
