package io.userv2.bench.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.nat.DialFailure;
import io.userv2.stack.nat.HostSockets;
import io.userv2.stack.nat.HostTcpSocket;
import io.userv2.stack.nat.HostUdpSocket;
import io.userv2.stack.nat.NatConfig;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatObserver;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.stack.nat.NatTcpFlow;
import io.userv2.stack.nat.NatUdpFlow;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpRepr;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Opening and closing NAT flows while {@code flows} others are open: the cost per open/close pair should not grow
 * with the table (issue: 10 000 concurrent flows). The real gateway and {@link NatEngine} on a virtual clock; one
 * operation is a guest SYN for a new four-tuple through {@link Gateway#receive} (the engine admits it, queues its
 * dial-timeout timer and dials a host stub), then a random open flow's dial failing (REFUSED: the engine answers
 * the guest with RST and retires the flow, taking its timer out of the queue), then the engine's flush. Frames the
 * gateway sends are released at once. {@link #openAndCloseNewest} closes the flow just opened instead.
 *
 * <pre>
 * java -jar bench/target/userv2-benchmarks.jar NatFlowChurnBenchmark -f 1 -wi 3 -i 5 -w 1s -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// A fixed, pre-touched heap: with a growing one, 10 000 live flows slow each operation enough that young collections
// stop, and every new object lands on a heap page touched for the first time, a page fault (measured: 7.5 us/op at
// 10 000 flows against 2.3 us with the heap pre-touched, 0.9 us at 100 flows either way). That is the kernel zeroing
// pages, not the flow table.
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"})
@State(Scope.Thread)
public class NatFlowChurnBenchmark {
    private static final MacAddress GATEWAY_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    private static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");
    private static final Ipv4Subnet LAN = Ipv4Subnet.parse("192.168.104.0/24");
    private static final MacAddress GUEST_MAC = MacAddress.parse("52:55:55:00:00:03");
    /** Guest addresses the flows cycle through (ports 1024..65023 each). */
    private static final int GUESTS = 4;
    private static final int PORTS = 64_000;
    /** A documentation address the policy maps to the host. */
    private static final Ipv4Address REMOTE = Ipv4Address.parse("203.0.113.9");

    @Param({"100", "1000", "10000"})
    public int flows;

    private final ByteBufAllocator alloc = new PooledByteBufAllocator(true); // as the switch uses
    private final OpenFlows<NatTcpFlow> open = new OpenFlows<>();
    private NatEngine engine;
    private Gateway gateway;
    private ByteBuf[] syns;
    private int next;
    private long now = 1_000_000_000L;

    @Setup(Level.Trial)
    public void setUp() {
        gateway = new Gateway(GATEWAY_MAC, GATEWAY, LAN, ByteBuf::release, alloc, new GatewayCounters(),
                new ArpCache());
        NatPolicy policy = new NatPolicy(LAN, GATEWAY, Map.of(REMOTE, Ipv4Address.parse("127.0.0.1")), false);
        NatConfig config = NatConfig.defaults().withConnectionLimits(4 * flows + 64, 4 * flows + 64, 4 * flows + 64);
        HostSockets host = new HostSockets() {
            @Override
            public HostTcpSocket dialTcp(NatTcpFlow flow, Ipv4Address address, int port) {
                open.add(flow);
                return STUB;
            }

            @Override
            public HostUdpSocket openUdp(NatUdpFlow flow, Ipv4Address address, int port) {
                throw new UnsupportedOperationException();
            }
        };
        engine = new NatEngine(gateway, policy, config, alloc, host, mac -> 0, NatObserver.NONE, new byte[16]);
        gateway.setIpv4Forwarder(engine);
        // One SYN per four-tuple the run cycles through, built once.
        syns = new ByteBuf[GUESTS * PORTS];
        for (int i = 0; i < syns.length; i++) {
            syns[i] = syn(GATEWAY.bits() + 1 + i / PORTS, 1024 + i % PORTS);
        }
        for (int i = 0; i < flows; i++) {
            openOne();
        }
        engine.flush(now);
        if (open.size() != flows) {
            throw new IllegalStateException("opened " + open.size() + " flows, wanted " + flows);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.closeAll();
        for (ByteBuf b : syns) {
            b.release();
        }
    }

    private ByteBuf syn(int guest, int port) {
        TcpRepr tcp = new TcpRepr(port, 80, TcpControl.SYN, SeqNumber.of(port * 7919), null, 64240,
                TcpOptions.NONE, 0);
        Ipv4Repr ip = new Ipv4Repr(new Ipv4Address(guest), REMOTE, IpProtocol.TCP, tcp.totalLength(), 64);
        EthernetRepr eth = new EthernetRepr(GATEWAY_MAC, GUEST_MAC, EtherType.IPV4);
        int length = eth.headerLength() + ip.totalLength();
        ByteBuf frame = alloc.directBuffer(length);
        int offset = eth.emit(frame, 0);
        offset += ip.emit(frame, offset);
        tcp.emit(frame, offset, guest, REMOTE.bits());
        frame.writerIndex(length);
        return frame;
    }

    private void openOne() {
        ByteBuf frame = syns[next];
        next = (next + 1) % syns.length;
        gateway.receive(frame, frame.readerIndex(), frame.readableBytes(), 1, now);
    }

    /** One flow opened, one picked at random closed ({@link OpenFlows}): the table keeps its size. */
    @Benchmark
    public int openAndClose() {
        return openOneAndClose(false);
    }

    /**
     * The same, closing the flow opened last instead, whose memory is still in cache: the engine's own cost of an
     * open and a close at this table size, without the cache misses of reaching a random flow's memory. Read beside
     * {@link #openAndClose}: what grows there and not here is the memory, not the work.
     */
    @Benchmark
    public int openAndCloseNewest() {
        return openOneAndClose(true);
    }

    private int openOneAndClose(boolean newest) {
        now += 1_000;
        openOne();
        NatTcpFlow closing = newest ? open.takeNewest() : open.takeRandom();
        engine.hostDialFailed(closing, DialFailure.REFUSED, now);
        engine.flush(now);
        return open.size();
    }

    private static final HostTcpSocket STUB = new HostTcpSocketStub();
}
