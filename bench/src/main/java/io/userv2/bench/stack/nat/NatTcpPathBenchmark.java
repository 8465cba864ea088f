package io.userv2.bench.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.FrameSink;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.nat.HostSockets;
import io.userv2.stack.nat.HostTcpSocket;
import io.userv2.stack.nat.HostUdpSocket;
import io.userv2.stack.nat.Nat66Policy;
import io.userv2.stack.nat.NatConfig;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatObserver;
import io.userv2.stack.nat.NatPolicy;
import io.userv2.stack.nat.NatTcpFlow;
import io.userv2.stack.nat.NatUdpFlow;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpPacket;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One NAT'd guest TCP connection through the whole engine: Ethernet frames into {@link Gateway#receive}, the
 * {@link NatEngine}'s TCP path (flow lookup, header parse, {@code TcpConnection}), the relay to a host socket stub,
 * and frames out through the gateway's sink (released at once). Where {@code TcpEngineBenchmark} drives the TCP engine
 * alone, this one adds the wire parse and emit and the NAT around it. A virtual clock; the score is TCP segments per
 * second, so with {@code -prof gc} {@code gc.alloc.rate.norm} is bytes allocated per segment.
 *
 * <p>The guest (a Linux-like SYN: MSS 1460, SACK-permitted, timestamps, window scale 7) connects to a remote address
 * the policy maps to the host; the stub dial is accepted in setup, so the connection is ESTABLISHED. The NAT declines
 * timestamps ({@code NatConfig.defaults()}), so, as Linux then does, the guest sends none and fills the whole MSS: 1460
 * bytes a segment (if the SYN-ACK took them up, 1448 with the option on every segment). {@code family} 6 runs the same
 * over IPv6 (NAT66): the gateway's IPv6 side on a ULA /64, a guest in it connecting to {@code 2001:db8::9}, which a
 * rule maps to the host's {@code ::1}; MSS 1440 (the LAN's MTU - 60).
 * <ul>
 *   <li>{@code upload}, one operation = one full data frame from the guest, then the engine's flush (the relay
 *       writes the bytes to the host stub, which takes them all; an ACK frame goes out every second segment);</li>
 *   <li>{@code download}, one invocation = 45 segments: the host stub has 45 segments' worth to read, the flush reads
 *       them (one pooled read buffer) and emits 45 data frames, then one cumulative ACK frame from the guest and a
 *       flush. Setup first runs the connection out of slow start until every invocation emits exactly 45
 *       segments. With {@code inPlace} the gateway builds each frame in room the sink lends (as the switch lends a
 *       VM port's staging buffer), not in a buffer of its own.</li>
 * </ul>
 * The guest's frames are built once; per segment the benchmark rewrites the TCP header (sequence and acknowledgment
 * numbers, and timestamps if in use) and its checksum, as a guest kernel would. The clock advances 1 µs per segment. Tear-down
 * checks the counts: every byte reached the host, nothing was dropped, exactly 45 data frames per download invocation.
 * Netty's leak detector is off, as in the daemon ({@code MemoryPolicy}): its sampled buffers track every derived slice
 * with a stack trace, which is the detector's allocation, not the path's.
 *
 * <pre>
 * java -jar bench/target/userv2-benchmarks.jar NatTcpPathBenchmark -f 1 -wi 3 -w 1 -i 3 -r 1 -prof gc
 * java -jar bench/target/userv2-benchmarks.jar NatTcpPathBenchmark -p family=6 -prof gc   # IPv6 only
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class NatTcpPathBenchmark {
    static final MacAddress GATEWAY_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Ipv4Address GATEWAY = Ipv4Address.parse("192.168.104.2");
    static final Ipv4Subnet LAN = Ipv4Subnet.parse("192.168.104.0/24");
    static final MacAddress GUEST_MAC = MacAddress.parse("52:55:55:00:00:03");
    static final Ipv4Address GUEST = Ipv4Address.parse("192.168.104.3");
    /** A documentation address the policy maps to the host. */
    static final Ipv4Address REMOTE = Ipv4Address.parse("203.0.113.9");
    static final int GUEST_PORT = 40_000;
    static final int REMOTE_PORT = 80;
    /** The IPv6 LAN (a ULA /64), the gateway's and the guest's addresses in it. */
    static final Ipv6Prefix LAN6 = Ipv6Prefix.parse("fd4d:6169:6c63:6f77::/64");
    static final Ipv6Address GATEWAY6 = Ipv6Address.parse("fd4d:6169:6c63:6f77::1");
    static final Ipv6Address GUEST6 = Ipv6Address.parse("fd4d:6169:6c63:6f77::3");
    /** A documentation address a {@code --nat} rule maps to the host's {@code ::1}. */
    static final Ipv6Address REMOTE6 = Ipv6Address.parse("2001:db8::9");
    /** The guest's ISN, just below the wrap to 0, so the data crosses it. */
    static final int GUEST_ISN = 0xFFFF_FF00;
    static final int SEND_SEGMENTS = 45;
    /** The guest's MSS, over IPv4 and IPv6: its MTU (1500) less the IP and TCP headers. */
    static final int MSS4 = 1460;
    static final int MSS6 = 1440;
    /** The timestamps option with its two NOPs, on every segment once taken up (RFC 7323). */
    static final int TIMESTAMPS_LENGTH = 12;

    /** The gateway, the NAT engine and one established connection; the host stub and the sink count. */
    @State(Scope.Thread)
    public abstract static class Path extends HostTcpSocketStub {
        /** The IP version the guest speaks: 4, or 6 (NAT66, the same engine through {@code GatewayIpv6}). */
        @Param({"4", "6"})
        public int family;
        boolean ipv6;
        /** Ethernet + IP headers before the TCP header in every frame (34 or 54). */
        int tcpOffset;
        /** Data bytes per full segment: the MSS (1460, over IPv6 1440), less 12 if timestamps are in use. */
        int segment;
        /** Whether the gateway's SYN-ACK took up timestamps: then every guest segment carries them. */
        boolean timestamps;
        /** The guest's TCP header length once established: 20, or 32 with timestamps. */
        int tcpHeader = 20;
        /** The guest's and the remote address as 128 bits (IPv4: only the low int is used). */
        long guestHigh;
        long guestLow;
        long remoteHigh;
        long remoteLow;
        final ByteBufAllocator alloc = new PooledByteBufAllocator(true); // as the switch uses
        Gateway gateway;
        NatEngine engine;
        NatTcpFlow flow;
        long now = 1_000_000_000L;
        /** The guest's next sequence number and TSval; what it has seen of us: our TSval and end of data. */
        int guestSeq = GUEST_ISN + 1;
        int guestTs = 1;
        int lastTsVal;
        /** Whether a frame from the gateway carried the timestamps option. */
        boolean tsSeen;
        int ourEnd;
        /** Frames the gateway sent, those with data, and the first SYN-ACK's flags. */
        long framesOut;
        long dataFramesOut;
        int lastFlags;
        /** Bytes the host stub took, and bytes it still has to give. */
        long bytesToHost;
        int hostPending;
        ByteBuf hostData;
        /** The guest's frames: one with a full segment of data, one without; the header written into them. */
        ByteBuf dataFrame;
        ByteBuf ackFrame;
        final TcpHeader tcp = new TcpHeader();

        /** SYN, host dial accepted, SYN-ACK, ACK: ESTABLISHED. */
        @Setup(Level.Trial)
        public void establish() {
            if (family != 4 && family != 6) {
                throw new IllegalArgumentException("family 4 or 6: " + family);
            }
            ipv6 = family == 6;
            tcpOffset = 14 + (ipv6 ? Ipv6Packet.HEADER_LENGTH : 20);
            int mss = ipv6 ? MSS6 : MSS4;
            guestHigh = ipv6 ? GUEST6.high() : 0;
            guestLow = ipv6 ? GUEST6.low() : GUEST.bits();
            remoteHigh = ipv6 ? REMOTE6.high() : 0;
            remoteLow = ipv6 ? REMOTE6.low() : REMOTE.bits();
            gateway = new Gateway(GATEWAY_MAC, GATEWAY, LAN, sink, alloc, new GatewayCounters(), new ArpCache());
            NatPolicy policy = new NatPolicy(LAN, GATEWAY, Map.of(REMOTE, Ipv4Address.parse("127.0.0.1")), false);
            HostSockets host = new HostSockets() {
                @Override
                public HostTcpSocket dialTcp(NatTcpFlow f, Ipv4Address address, int port) {
                    flow = f;
                    return Path.this;
                }

                @Override
                public HostTcpSocket dialTcp6(NatTcpFlow f, Ipv6Address address, int port) {
                    flow = f;
                    return Path.this;
                }

                @Override
                public HostUdpSocket openUdp(NatUdpFlow f, Ipv4Address address, int port) {
                    throw new UnsupportedOperationException();
                }
            };
            engine = new NatEngine(gateway, policy, NatConfig.defaults(), alloc, host, mac -> 0, NatObserver.NONE,
                    new byte[16]);
            gateway.setIpv4Forwarder(engine);
            if (ipv6) {
                GatewayIpv6 v6 = gateway.enableIpv6(Ipv6Config.of(LAN6, GATEWAY6, List.of()), new SplittableRandom(1),
                        now);
                engine.enableIpv6(v6, new Nat66Policy(LAN6, Set.of(GATEWAY6), Map.of(REMOTE6, Ipv6Address.LOOPBACK),
                        false));
            }
            ByteBuf syn = frame(0);
            tcp.start(GUEST_PORT, REMOTE_PORT, TcpControl.SYN, GUEST_ISN).setWindow(64240)
                    .setMaxSegmentSize(mss).setSackPermitted(true).setTimestamps(guestTs++, 0)
                    .setWindowScale(7);
            int length = ip(syn, tcp.totalLength());
            emitTcp(syn);
            gateway.receive(syn, 0, length, 1, now);
            syn.release();
            engine.flush(now);
            if (flow == null) {
                throw new IllegalStateException("the SYN was not dialled");
            }
            engine.hostConnected(flow, now);
            engine.flush(now);
            if (framesOut != 1 || lastFlags != (TcpPacket.FLAG_SYN | TcpPacket.FLAG_ACK)) {
                throw new IllegalStateException("expected one SYN-ACK, got " + framesOut + " frames");
            }
            // RFC 7323 3.2: timestamps only if both SYNs carried them (fromGateway noted whether the SYN-ACK did)
            timestamps = tsSeen;
            tcpHeader = 20 + (timestamps ? TIMESTAMPS_LENGTH : 0);
            segment = mss - (timestamps ? TIMESTAMPS_LENGTH : 0);
            dataFrame = frame(segment);
            ip(dataFrame, tcpHeader + segment);
            for (int i = 0; i < segment; i++) {
                dataFrame.setByte(tcpOffset + tcpHeader + i, i * 31 + 7);
            }
            ackFrame = frame(0);
            ip(ackFrame, tcpHeader);
            hostData = alloc.directBuffer(SEND_SEGMENTS * segment);
            for (int i = 0; i < SEND_SEGMENTS * segment; i++) {
                hostData.writeByte(i * 7 + 1);
            }
            now += 100_000;
            guestAck();
            if (flow.connection().state() != TcpState.ESTABLISHED || flow.connection().sendMss() != segment) {
                throw new IllegalStateException("not established as expected: " + flow.connection());
            }
            framesOut = 0;
            prepare();
        }

        /** Checks one operation and reaches the steady state. */
        abstract void prepare();

        /** Throws when the counts disagree with what the benchmark did. */
        abstract void check();

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                check();
            } finally {
                engine.closeAll();
                if (staging != null) {
                    staging.release();
                }
                dataFrame.release();
                ackFrame.release();
                hostData.release();
            }
        }

        /** A guest frame with Ethernet written and room for IP, TCP with options and {@code data} bytes. */
        ByteBuf frame(int data) {
            int length = tcpOffset + 20 + 40 + data; // room for a SYN's 40 option bytes too
            ByteBuf f = alloc.directBuffer(length, length);
            new EthernetRepr(GATEWAY_MAC, GUEST_MAC, ipv6 ? EtherType.IPV6 : EtherType.IPV4).emit(f, 0);
            f.writerIndex(length);
            return f;
        }

        /** Writes the IPv4 or IPv6 header for {@code tcpLength} bytes of TCP; returns the frame length. */
        int ip(ByteBuf frame, int tcpLength) {
            if (ipv6) {
                Ipv6Repr.writeHeader(frame, 14, guestHigh, guestLow, remoteHigh, remoteLow, IpProtocol.TCP_NUMBER,
                        tcpLength, 64, 0, 0);
            } else {
                new Ipv4Repr(GUEST, REMOTE, IpProtocol.TCP, tcpLength, 64).emit(frame, 14);
            }
            return tcpOffset + tcpLength;
        }

        /** Writes {@link #tcp} into {@code frame} with its checksum over the family's pseudo header. */
        void emitTcp(ByteBuf frame) {
            if (ipv6) {
                tcp.emitIpv6(frame, tcpOffset, guestHigh, guestLow, remoteHigh, remoteLow);
            } else {
                tcp.emit(frame, tcpOffset, (int) guestLow, (int) remoteLow);
            }
        }

        /** The guest sends {@code length} data bytes (from {@link #dataFrame}) or a pure ACK of what it has. */
        void guestSends(int length) {
            ByteBuf frame = length > 0 ? dataFrame : ackFrame;
            tcp.start(GUEST_PORT, REMOTE_PORT, TcpControl.NONE, guestSeq).setAck(ourEnd).setWindow(65535)
                    .setPayloadLength(length);
            if (timestamps) {
                tcp.setTimestamps(guestTs++, lastTsVal);
            }
            emitTcp(frame);
            gateway.receive(frame, 0, tcpOffset + tcpHeader + length, 1, now);
            guestSeq = SeqNumber.add(guestSeq, length);
            engine.flush(now);
        }

        void guestAck() {
            guestSends(0);
        }

        /**
         * The gateway's sink: notes what the guest would learn from each frame, then frees it; or, where
         * {@link #room} offers it, has the frame built in place there, as a switch port's staging buffer would.
         */
        final FrameSink sink = new FrameSink() {
            @Override
            public void send(ByteBuf frame) {
                fromGateway(frame, frame.readerIndex());
                frame.release();
            }

            @Override
            public ByteBuf reserve(long dstMac, int length) {
                return room(length);
            }

            @Override
            public void commit() {
                fromGateway(staging, 0); // and written out at once: the room is empty again
            }

            @Override
            public void cancel() {
            }
        };
        /** Where frames are built in place ({@link Download#inPlace}), or null. */
        ByteBuf staging;

        /** Room for a frame of {@code length} bytes built in place at the start of {@link #staging}, or null. */
        ByteBuf room(int length) {
            if (staging == null) {
                return null;
            }
            staging.clear().ensureWritable(length);
            return staging;
        }

        /** Notes what the guest would learn from the frame at {@code index} of {@code frame} (fixed offsets). */
        void fromGateway(ByteBuf frame, int index) {
            framesOut++;
            int base = index + tcpOffset;
            // IPv4: total length (at 2) less its 20-byte header; IPv6: payload length (at 4), the TCP segment.
            int tcpLength = ipv6 ? frame.getUnsignedShort(index + 14 + 4)
                    : frame.getUnsignedShort(index + 14 + 2) - 20;
            int headerLength = (frame.getUnsignedByte(base + 12) >>> 4) * 4;
            int data = tcpLength - headerLength;
            lastFlags = frame.getUnsignedByte(base + 13);
            int seq = frame.getInt(base + 4);
            if ((lastFlags & TcpPacket.FLAG_SYN) != 0) {
                ourEnd = SeqNumber.add(seq, 1);
            } else if (data > 0) {
                dataFramesOut++;
                ourEnd = SeqNumber.max(ourEnd, SeqNumber.add(seq, data));
            }
            // Our timestamps, if any, follow NOP NOP (or SACK-permitted) at the start of the options.
            for (int i = base + 20; i + 10 <= base + headerLength; ) {
                int kind = frame.getUnsignedByte(i);
                if (kind == 8) {
                    lastTsVal = frame.getInt(i + 2);
                    tsSeen = true;
                    break;
                }
                i += kind <= 1 ? 1 : frame.getUnsignedByte(i + 1);
            }
        }

        // The host socket stub: takes everything written, gives hostPending bytes of hostData.

        @Override
        public int read(ByteBuf dst, int maxBytes) {
            int n = Math.min(maxBytes, hostPending);
            dst.writeBytes(hostData, hostData.readableBytes() - hostPending, n);
            hostPending -= n;
            return n;
        }

        @Override
        public int write(ByteBuf src) {
            int n = src.readableBytes();
            src.skipBytes(n);
            bytesToHost += n;
            return n;
        }

    }

    /** Guest to host: full data segments in order. */
    @State(Scope.Thread)
    public static class Upload extends Path {
        long segments;

        @Override
        void prepare() {
            upload();
            upload();
            if (bytesToHost != 2L * segment || framesOut != 1) {
                throw new IllegalStateException("two segments should reach the host and be acknowledged once: "
                        + bytesToHost + " bytes, " + framesOut + " frames");
            }
            segments = 0;
            bytesToHost = 0;
            framesOut = 0;
        }

        void upload() {
            now += 1_000;
            guestSends(segment);
            segments++;
        }

        @Override
        void check() {
            if (bytesToHost != segments * segment || dataFramesOut != 0 || framesOut < segments / 2 - 1
                    || framesOut > segments / 2 + 2) {
                throw new IllegalStateException(segments + " segments in, " + bytesToHost + " bytes to the host, "
                        + framesOut + " frames out: " + flow.connection().stats());
            }
        }
    }

    /** Host to guest: 45 segments read from the host and sent, then one ACK from the guest. */
    @State(Scope.Thread)
    public static class Download extends Path {
        /**
         * Whether the gateway builds its frames in place, in a staging buffer the sink lends (as the switch does
         * for a VM's port), instead of in a buffer of its own that the sink then frees.
         */
        @Param({"false", "true"})
        public boolean inPlace;
        long invocations;
        long startData;

        @Override
        void prepare() {
            if (inPlace) {
                staging = alloc.directBuffer(64 * 1024);
            }
            int steady = 0;
            for (int i = 0; i < 10_000 && steady < 50; i++) {
                long before = dataFramesOut;
                download();
                boolean whole = dataFramesOut - before == SEND_SEGMENTS && flow.connection().sendQueued() == 0;
                steady = whole ? steady + 1 : 0;
            }
            if (steady < 50) {
                throw new IllegalStateException("no steady state: " + flow.connection());
            }
            invocations = 0;
            startData = dataFramesOut;
            framesOut = dataFramesOut;
        }

        void download() {
            now += SEND_SEGMENTS * 1_000L;
            hostPending = SEND_SEGMENTS * segment;
            engine.hostReadable(flow, now);
            engine.flush(now);
            guestAck();
            invocations++;
        }

        @Override
        void check() {
            long sent = dataFramesOut - startData;
            if (sent != invocations * SEND_SEGMENTS || framesOut != dataFramesOut || flow.connection().sendQueued() != 0
                    || flow.connection().stats().retransmittedSegments() != 0) {
                throw new IllegalStateException(invocations + " invocations, " + sent + " data frames, "
                        + framesOut + " frames: " + flow.connection());
            }
        }
    }

    /** One guest data frame in, relayed to the host, ACK frame out every second one. */
    @Benchmark
    public long upload(Upload u) {
        u.upload();
        return u.bytesToHost;
    }

    /** 45 segments host to guest as frames, one ACK frame from the guest. */
    @Benchmark
    @OperationsPerInvocation(SEND_SEGMENTS)
    public long download(Download d) {
        d.download();
        return d.dataFramesOut;
    }
}
