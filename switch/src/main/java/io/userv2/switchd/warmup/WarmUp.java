package io.userv2.switchd.warmup;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.VirtualNetwork;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.config.VxlanSettings;
import io.userv2.switchd.jvm.DiagnosticCommands;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

/**
 * Exercises the forwarding path once at start-up so that a VM's first transfer does not run through code the JIT
 * has not compiled yet. HotSpot compiles a method with its optimising compiler (C2) after about 15 000 calls; at MTU
 * 65520 a guest sends only a few thousand segments a second, so without this its first seconds ran through
 * profiling code while C2 caught up (guest to host 0.58-0.64x passt in the first 3 s, 0.96x once warm).
 *
 * <p>It builds a private copy of the network with the production classes ({@link VirtualNetwork#create}: switch,
 * gateway, NAT, host sockets, a stream listener on a unix socket in a temporary directory of its own), runs it on the
 * thread that then runs the real network ({@link Handoff}), and attaches a built-in guest ({@link WarmUpGuest}) that,
 * round after round and each round as another VM (a new connection, MAC and address), opens a TCP connection
 * through the NAT to a loopback server ({@link LoopbackPeers}), sends {@value #ROUND_SEGMENTS} small and (above MTU
 * 1500) {@value #ROUND_LARGE_SEGMENTS} MTU-sized segments, closes it, and takes as much back on two more (every other
 * round ending one of them with a reset), with ARP, ICMP, DNS, DHCP and IPv6 router solicitations in between, and
 * tasks handed to the loop from its own thread; then two more built-in VMs ({@link WarmUpPair}) stream as many
 * segments from one to the other, as VMs on a LAN do. It runs {@value #MIN_ROUNDS} rounds, then more until C2 has been
 * idle at the end of {@value #SETTLED_ROUNDS} in a row, but starts none after {@link #ROUNDS_NANOS}, then waits up to
 * {@link #DRAIN_NANOS} for the compilers' queues to drain; a round cut short by {@link #TIME_LIMIT_NANOS} (a slow
 * machine) ends it too. Any failure only ends it early.
 *
 * <p>Nothing of it is visible on the real network: it has its own switch, gateway, NAT table, counters and socket,
 * all closed and removed at the end; its threads log nothing ({@link #silences(LogRecord)}) but one DEBUG line with
 * what it did. The daemon serves only once it has ended (its sockets are bound before: VMs that connect wait in the
 * backlog), so that its traffic does not compete with a VM's for the CPU.
 */
public final class WarmUp {
    private static final System.Logger LOG = System.getLogger(WarmUp.class.getName());
    /** Every thread of the warm-up has a name starting with this. */
    public static final String THREAD_PREFIX = "userv2-warm-up";
    /** Small segments each way per round, on one connection each way. */
    static final int ROUND_SEGMENTS = 2_000;
    /** MTU-sized segments each way per round (when the MTU is above 1500), so that the large-frame branches are seen. */
    static final int ROUND_LARGE_SEGMENTS = 40;
    /**
     * MTU-sized segments per round (when the MTU is above 1500) from one VM of the {@link WarmUpPair} to the other:
     * more than through the NAT, since between VMs at a large MTU nearly every frame is one of these (a 64 KiB
     * segment that often arrives in two reads), and the branches they take must be as well profiled as the small
     * segments' when C2 compiles them.
     */
    static final int ROUND_PAIR_LARGE_SEGMENTS = 400;
    /**
     * Rounds that run at least (unless {@link #ROUNDS_NANOS} has passed): 20 000 small segments each way, above the
     * 15 000 calls after which HotSpot's tiered policy gives a method called once per segment to C2
     * ({@code Tier4CompileThreshold}).
     */
    static final int MIN_ROUNDS = 10;
    /**
     * After {@link #MIN_ROUNDS}, rounds go on until C2 had nothing to do at the end of this many rounds in a row: the
     * tiered policy raises its thresholds while C2's queue is long, so the methods still short of them when the queue
     * drains would otherwise be compiled during a VM's first transfer.
     */
    static final int SETTLED_ROUNDS = 3;
    /**
     * No round starts after this much time: the daemon serves only once the warm-up has ended. On the project's
     * 2-vCPU test machine C2 had settled after 1.9-2.4 s of rounds at MTU 65520 and not yet after 3 s at MTU 1500; with
     * the 1.5 s this was before, the real network's first seconds of traffic between VMs still ran through C1's code
     * while C2 compiled 60-80 more methods (and recompiled 90-130), at 0.02-0.06 of a CPU.
     */
    static final long ROUNDS_NANOS = 3_000_000_000L;
    /** How long the compilers' queues may take to drain after the last round. */
    static final long DRAIN_NANOS = 500_000_000L;
    /** The most the warm-up takes, a round cut short included (a slow machine), whatever is left then. */
    static final long TIME_LIMIT_NANOS = 4_500_000_000L;
    /**
     * A task in {@code Compiler.queue}'s output: a compiler thread at work ("C2 CompilerThread0  1102  4  ...") or a
     * queued task ("1405  2  java.util.HashMap::isEmpty ...").
     */
    private static final Pattern COMPILE_TASK = Pattern.compile("(?m)^(C\\d CompilerThread\\d+\\s+|\\s*)\\d+\\s");
    /** The host number of the built-in guest's first address on the private LAN; its others follow. */
    private static final int GUEST_FIRST_HOST = 10;
    /** How many MAC and IPv4 addresses the built-in guest takes in turn, one per round. */
    static final int GUEST_IDENTITIES = 8;
    /** The task the built-in guest hands the loop now and then, from its own thread. */
    private static final Runnable NOTHING = () -> { };
    /** The addresses of the {@link WarmUpPair}'s two VMs: after the built-in guest's. */
    private static final Ipv4Address PAIR_SENDER =
            SwitchConfig.DEFAULT_SUBNET.host(GUEST_FIRST_HOST + GUEST_IDENTITIES);
    private static final Ipv4Address PAIR_RECEIVER =
            SwitchConfig.DEFAULT_SUBNET.host(GUEST_FIRST_HOST + GUEST_IDENTITIES + 1);
    /** The built-in guest's first address. */
    private static final Ipv4Address GUEST = SwitchConfig.DEFAULT_SUBNET.host(GUEST_FIRST_HOST);
    /**
     * DNS without the operating system's resolver, its one upstream the loopback's discard port: never asked (the
     * built-in guest asks only for the gateway's own name, which the gateway answers itself), and nothing could leave
     * the machine if it were.
     */
    private static final DnsSettings HERMETIC_DNS = new DnsSettings(Map.of(), List.of(), false,
            List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)), DnsSettings.HOST.resolvConf(), null,
            List.of());
    /** The MSS of the small segments: a 1500-byte MTU's (less 12 bytes of timestamps, if the gateway takes them up). */
    private static final int SMALL_MSS = 1460;

    /**
     * What one warm-up did.
     *
     * @param segmentsBetweenVms the segments the {@link WarmUpPair}'s receiver took from its sender
     * @param stoppedEarly why a round was cut short, or null
     * @param compilersDrained whether the compilers' queues had drained at the end
     */
    public record Result(int rounds, long segmentsUp, long segmentsDown, long segmentsBetweenVms, long bytesUp,
            long bytesDown, long nanos, String stoppedEarly, boolean compilersDrained) {
    }

    private WarmUp() {
    }

    /**
     * Starts {@link #run} for a network configured as {@code config} on a thread of its own, which then runs the real
     * network once {@link Handoff#serve} gives it one. Start it as early as the configuration is known: it runs beside
     * the rest of start-up.
     */
    public static Handoff start(SwitchConfig config) {
        Handoff handoff = new Handoff();
        Thread t = new Thread(() -> {
            try {
                Result r = run(config);
                LOG.log(System.Logger.Level.DEBUG, () -> "warm-up: " + r.segmentsUp() + " segments up, "
                        + r.segmentsDown() + " down, " + r.segmentsBetweenVms() + " between VMs in " + r.rounds()
                        + " rounds, " + r.nanos() / 1_000_000 + " ms"
                        + (r.stoppedEarly() == null ? "" : "; stopped early: " + r.stoppedEarly())
                        + (r.compilersDrained() ? "" : "; the compilers were still busy"));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "warm-up failed: " + e);
            } finally {
                handoff.runNetwork(); // whatever became of the warm-up
            }
        }, THREAD_PREFIX);
        t.setDaemon(true); // the daemon's main thread waits for it in serve(); nothing else keeps the JVM alive
        handoff.thread = t;
        t.start();
        return handoff;
    }

    /**
     * The thread that runs the warm-up and then the real network: the real network's event loop runs on the very
     * thread whose code paths, thread-local caches (Netty's pool cache and recycler) and allocator arena the warm-up
     * exercised. On another thread, code C2 compiled during the warm-up met first-time paths (a thread-local miss, a
     * fresh arena) in a VM's first transfer, was thrown away and compiled again while that transfer ran.
     */
    public static final class Handoff {
        /** The loop thread's name once it serves the real network (the warm-up's records are silenced by name). */
        public static final String LOOP_THREAD = "userv2-loop";
        private final CompletableFuture<VirtualNetwork> network = new CompletableFuture<>();
        private Thread thread;

        private Handoff() {
        }

        /**
         * Hands {@code net} to the warm-up's thread, which runs it as soon as the warm-up has ended; returns when the
         * network has stopped, as {@link VirtualNetwork#run} does. VMs that connect meanwhile wait in the backlog.
         */
        public void serve(VirtualNetwork net) {
            network.complete(net);
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true; // the network stops when it is closed, not when this wait is interrupted
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** There will be no network (start-up failed): the thread ends after the warm-up. */
        public void abandon() {
            network.complete(null);
        }

        private void runNetwork() {
            VirtualNetwork net = network.join();
            if (net != null) {
                Thread.currentThread().setName(LOOP_THREAD);
                net.run();
            }
        }
    }

    /**
     * Warms up on the calling thread: builds the private network for {@code config}'s MTU and timing settings, sends
     * the segments, closes it all. Returns what it did; throws only when the private network cannot be built.
     */
    public static Result run(SwitchConfig config) throws IOException {
        return run(config, ROUNDS_NANOS, TIME_LIMIT_NANOS);
    }

    /**
     * {@link #run(SwitchConfig)} with other limits: no round starts after {@code roundsNanos} (one always runs), and
     * none is cut short before {@code limitNanos}.
     */
    static Result run(SwitchConfig config, long roundsNanos, long limitNanos) throws IOException {
        return run(config, roundsNanos, limitNanos, Integer.MAX_VALUE);
    }

    /** {@link #run(SwitchConfig, long, long)} that also stops after {@code maxRounds} rounds (for tests). */
    static Result run(SwitchConfig config, long roundsNanos, long limitNanos, int maxRounds) throws IOException {
        long start = System.nanoTime();
        long deadline = start + limitNanos;
        Path dir = Files.createTempDirectory(THREAD_PREFIX);
        Path socket = dir.resolve("lan.sock");
        // Should the process end during the warm-up (SIGTERM at start-up): in reverse order, the socket, then the dir.
        dir.toFile().deleteOnExit();
        socket.toFile().deleteOnExit();
        SwitchConfig own = privateConfig(config, socket);
        Counts counts = new Counts();
        String stopped = null;
        try (LoopbackPeers host = LoopbackPeers.open(); VirtualNetwork net = VirtualNetwork.create(own)) {
            // The private network's loop runs on the calling thread (the one that then runs the real network, see
            // Handoff), the guest on a thread of its own, which stops the loop when it is done.
            CompletableFuture<String> guestDone = new CompletableFuture<>();
            Thread guestThread = new Thread(() -> {
                try (WarmUpGuest guest = new WarmUpGuest(connect(socket), own.gatewayMac(), GUEST, own.gatewayIp(),
                        own.maxFrame(), deadline, () -> net.loop().execute(NOTHING));
                        WarmUpPair pair = WarmUpPair.connect(socket, PAIR_SENDER, PAIR_RECEIVER, own.maxFrame(),
                                deadline)) {
                    exercise(guest, pair, host, socket, own.mtu() - 40, start + roundsNanos, maxRounds, counts);
                    guestDone.complete(null);
                } catch (WarmUpGuest.Stalled e) {
                    guestDone.complete(e.getMessage());
                } catch (IOException | RuntimeException e) {
                    guestDone.completeExceptionally(e);
                } finally {
                    net.loop().stop();
                }
            }, THREAD_PREFIX + "-guest");
            guestThread.setDaemon(true);
            guestThread.start();
            net.run();
            try {
                stopped = guestDone.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw e;
            }
        } finally {
            Files.deleteIfExists(socket); // the listener removes it; this covers a failed start
            Files.deleteIfExists(dir);
        }
        boolean drained = compilerIdle(Math.min(deadline, System.nanoTime() + DRAIN_NANOS));
        return new Result(counts.rounds, counts.segmentsUp, counts.segmentsDown, counts.segmentsBetweenVms,
                counts.bytesUp, counts.bytesDown, System.nanoTime() - start, stopped, drained);
    }

    /** What the rounds moved so far. */
    private static final class Counts {
        int rounds;
        long segmentsUp;
        long segmentsDown;
        long segmentsBetweenVms;
        long bytesUp;
        long bytesDown;
    }

    /**
     * Rounds of: a connection up, opened, used and closed as a guest does (small segments, then above MTU 1500
     * large ones), then one down with small segments and (above MTU 1500) one with large ones, then as many segments
     * from one VM of {@code pair} to the other; {@link #MIN_ROUNDS}, then more until the compilers have settled, none
     * started after {@code roundsEnd}, at most {@code maxRounds}. Each round after the first comes over a new
     * connection to {@code socket}, with the next of the guest's identities.
     */
    private static void exercise(WarmUpGuest guest, WarmUpPair pair, LoopbackPeers host, Path socket, int mss,
            long roundsEnd, int maxRounds, Counts counts) throws IOException {
        int small = Math.min(SMALL_MSS, mss);
        int settled = 0;
        do {
            // Each round as another VM (in turn) on a port of its own: the switch attaches a port and learns a new
            // MAC, the gateway a new neighbour; the last round's port closes.
            if (counts.rounds > 0) {
                guest.reconnect(connect(socket));
            }
            int identity = counts.rounds % GUEST_IDENTITIES;
            guest.moveTo(MacAddress.of(WarmUpGuest.MAC.bits() + identity),
                    SwitchConfig.DEFAULT_SUBNET.host(GUEST_FIRST_HOST + identity));
            WarmUpGuest.Flow upload = guest.connect(host.sinkPort(), small);
            guest.upload(upload, ROUND_SEGMENTS, small);
            if (mss > small) {
                guest.upload(upload, ROUND_LARGE_SEGMENTS, mss);
            }
            guest.close(upload);
            counts.segmentsUp += upload.segmentsSent;
            counts.bytesUp += upload.bytesSent;
            // Every other round, the small download ends with the guest's reset instead of FINs.
            download(guest, host, small, (long) ROUND_SEGMENTS * small, counts, counts.rounds % 2 == 0);
            if (mss > small) {
                download(guest, host, mss, (long) ROUND_LARGE_SEGMENTS * mss, counts, false);
            }
            pair.stream(ROUND_SEGMENTS, small);
            if (mss > small) {
                pair.stream(ROUND_PAIR_LARGE_SEGMENTS, mss);
            }
            counts.segmentsBetweenVms = pair.segmentsReceived;
            counts.rounds++;
            settled = c2Busy() ? 0 : settled + 1;
        } while ((counts.rounds < MIN_ROUNDS || settled < SETTLED_ROUNDS) && System.nanoTime() - roundsEnd < 0
                && counts.rounds < maxRounds);
    }

    private static void download(WarmUpGuest guest, LoopbackPeers host, int mss, long bytes, Counts counts,
            boolean reset) throws IOException {
        host.sendNext(bytes);
        WarmUpGuest.Flow flow = guest.connect(host.sourcePort(), mss);
        guest.download(flow, bytes);
        if (reset) {
            guest.reset(flow);
        } else {
            guest.close(flow);
        }
        counts.segmentsDown += flow.segmentsReceived;
        counts.bytesDown += flow.bytesReceived;
    }

    /** A blocking stream connection to the private switch's {@code socket}, as a VM's; closed here if it fails. */
    static SocketChannel connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Waits until HotSpot's compilers have nothing queued or running ({@code jcmd PID Compiler.queue}): the last
     * rounds may have queued compilations, and a VM's traffic should find them done. True when idle before
     * {@code deadline} (also when the queue cannot be read: then there is nothing to wait for).
     */
    static boolean compilerIdle(long deadline) {
        while (true) {
            String queue = DiagnosticCommands.execute("Compiler.queue");
            if (queue == null || !COMPILE_TASK.matcher(queue).find()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Whether C2 is compiling or has compilations queued (false when that cannot be read). */
    static boolean c2Busy() {
        String queue = DiagnosticCommands.execute("Compiler.queue");
        if (queue == null) {
            return false;
        }
        int c2Queue = queue.indexOf("C2 compile queue:");
        return queue.contains("C2 CompilerThread")
                || c2Queue >= 0 && COMPILE_TASK.matcher(queue.substring(c2Queue)).find();
    }

    /**
     * The private network's configuration: the default LAN with {@code config}'s MTU, polling, coalescing, IPv6,
     * checksum verification and port security (IP source guard off: the built-in guest has no lease; room for its
     * {@value #GUEST_IDENTITIES} MACs), listening on {@code socket} only; no capture, no state files, no forwards, no
     * API, no VXLAN, and hermetic DNS ({@link #HERMETIC_DNS}).
     */
    static SwitchConfig privateConfig(SwitchConfig config, Path socket) {
        return new SwitchConfig(List.of(new ListenAddress.Unix(socket)), SwitchConfig.DEFAULT_SUBNET,
                SwitchConfig.defaultGateway(SwitchConfig.DEFAULT_SUBNET), SwitchConfig.DEFAULT_GATEWAY_MAC,
                config.mtu(), null, DhcpSettings.EPHEMERAL, HERMETIC_DNS, NatSettings.DEFAULT, ForwardSettings.NONE,
                null, config.busyPollMicros(), config.security().withIpSourceGuard(false)
                        .withMaxMacsPerPort(Math.max(GUEST_IDENTITIES, config.security().maxMacsPerPort())),
                config.ipv6(), VxlanSettings.NONE, config.coalesceMicros(), config.verifiesTcpChecksums());
    }

    /**
     * Whether a log record comes from a warm-up thread and is not the warm-up's own summary: the private network's
     * records ("listening on", "connected") would read as the real one's. The daemon's log handler drops these.
     */
    public static boolean silences(LogRecord record) {
        return Thread.currentThread().getName().startsWith(THREAD_PREFIX)
                && !WarmUp.class.getName().equals(record.getLoggerName());
    }
}
