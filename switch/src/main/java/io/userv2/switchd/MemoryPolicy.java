package io.userv2.switchd;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import io.userv2.switchd.jvm.DiagnosticCommands;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The daemon's own memory behaviour under a plain {@code java -jar}: no wrapper script may pass {@code -Xmx} or GC
 * flags (Lima and podman start the JVM themselves and wait on its pid), so the process sets what it can at run time.
 *
 * <p>What the JVM does on its own, and why that is wrong for a small daemon: the heap starts at 1/64 of the
 * machine's memory (384 MiB on 24 GiB) and G1 sizes the young generation up to 60% of the committed heap, so a load
 * that allocates slowly (the live set after a full GC is about 10 MB) still touches a 200+ MB eden between two
 * collections, and G1 shrinks the heap only after a full collection or a concurrent cycle, which a quiet daemon
 * never has. Direct buffers (Netty's pool, the JDK's temporary buffers) come from malloc, and glibc keeps what they
 * free in its arenas. Measured (bench/scripts/memory.sh): 80 MB idle, 330 MB during one guest's iperf3 at MTU 1500,
 * and no return afterwards.
 *
 * <p>What this class does, applied first thing in {@code main} (before Netty's classes load):
 * <ul>
 *   <li>Netty's pooled allocator gets one direct and one heap arena (one event loop allocates; the default is two
 *       per core), and its leak detector is off (the tests run it at "paranoid"). A {@code -D} given by the user
 *       wins.</li>
 *   <li>G1's manageable flags (JDK 17: {@code MinHeapFreeRatio}, {@code MaxHeapFreeRatio},
 *       {@code G1PeriodicGCInterval}): a collection that may shrink the heap leaves at most {@value #MAX_FREE}% of it
 *       free, and after {@value #PERIODIC_GC_MS} ms without any collection G1 runs a concurrent cycle, which
 *       shrinks the heap at its remark pause. Flags given on the command line win.</li>
 *   <li>A small daemon thread ({@code userv2-memory}) looks every {@value #CHECK_MS} ms at the committed heap and
 *       the process's resident size, and compacts ({@link System#gc()}: with G1 a full collection, which shrinks
 *       the heap to the ratio above, or to at most {@value #QUIET_MAX_FREE}% free when the traffic has stopped, then
 *       glibc's {@code malloc_trim} through the JVM's
 *       {@code System.trim_native_heap}) when the heap has grown past {@value #HEAP_CEILING_MB} MB, the process
 *       past {@value #RSS_CEILING_MB} MB, or when the heap was used since the last compaction and no collection has
 *       run for {@value #QUIET_MS} ms (the first of these follows start-up, the next ones each burst of traffic).
 *       While the process stays quiet, each compaction is followed by two more, 10 and 30 s later: what a
 *       collection makes unreachable (direct buffers freed by their cleaners, closing flows' buffers) reaches malloc
 *       only after it, and only a later trim gives it back (measured: 11 MB of the mixed load's 104 MB).
 *       A compaction of the ~10 MB live set takes 10-20 ms; at most one per {@value #MIN_GAP_MS} ms.</li>
 * </ul>
 * {@code -Duserv2.memory=off} turns all of it off, {@code -Duserv2.memory=flags} keeps the settings but not the
 * thread (both for comparisons). The JIT's code cache and metaspace cannot be changed at run time.
 */
public final class MemoryPolicy {
    static final int MAX_FREE = 40;
    static final int MIN_FREE = 10;
    /** The free share a compaction after the traffic stopped leaves (no young collections to make room for). */
    static final int QUIET_MAX_FREE = 20;
    static final int QUIET_MIN_FREE = 5;
    static final int PERIODIC_GC_MS = 15_000;
    static final long HEAP_CEILING_MB = 64;
    static final long RSS_CEILING_MB = 128;
    static final int CHECK_MS = 500;
    static final int QUIET_MS = 5_000;
    static final int MIN_GAP_MS = 2_000;
    /**
     * After a compaction, the follow-ups run at these delays while the process stays quiet: memory freed after a
     * collection (direct buffers whose cleaners run once the collection found them unreachable, flows that close
     * after their last segment, the JIT's arenas) reaches malloc later, and only a later trim gives it back.
     */
    static final int[] FOLLOW_UP_MS = {10_000, 30_000};
    static final long STACK_SIZE = 256 * 1024;

    /** Run by the watchdog before each compaction (e.g. trimming the event loop's allocator cache). */
    private static volatile Runnable beforeCompaction;
    /** Set when this class owns the heap free ratios (the user set neither), so compactions may change them. */
    private static volatile HotSpotDiagnosticMXBean ratioFlags;

    private MemoryPolicy() {
    }

    /**
     * Sets what the watchdog runs before each compaction, on its own thread; it should return quickly (the
     * event loop's allocator cache is trimmed by handing a task to the loop and waiting for it briefly).
     */
    public static void beforeCompaction(Runnable task) {
        beforeCompaction = task;
    }

    /** Applies the policy; call first thing in {@code main}, before any Netty class is loaded. */
    public static void apply() {
        String mode = System.getProperty("userv2.memory", "on");
        if (mode.equals("off")) {
            return;
        }
        nettyDefault("io.netty.allocator.numDirectArenas", "1");
        nettyDefault("io.netty.allocator.numHeapArenas", "1");
        // 2 MiB chunks instead of 4: an arena gives a chunk back only once it is empty, so smaller chunks leave
        // less behind after a load (the largest pooled buffer, a port's ingress buffer, is ~330 KiB)
        nettyDefault("io.netty.allocator.maxOrder", "8");
        // Netty's default leak detector walks the stack for one buffer in 128 and keeps the trace (JFR on the NAT
        // load: 2-3% of all it allocated). The tests run with "paranoid"; a -D given by the user wins.
        nettyDefault("io.netty.leakDetection.level", "disabled");
        // The flags go through the management beans (about 40 classes and 20-50 ms at start-up): on the
        // watchdog's thread, beside the network's set-up rather than before it.
        boolean watch = !mode.equals("flags");
        Thread t = new Thread(null, () -> {
            if (setFlags() && watch) {
                new Watchdog().run();
            }
        }, "userv2-memory", STACK_SIZE);
        t.setDaemon(true);
        t.start();
    }

    /**
     * G1's heap free ratios and periodic collection, where the user set none of them; false when another collector
     * was chosen (on purpose: then the heap is left alone, the watchdog too).
     */
    private static boolean setFlags() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (!"true".equals(vm.getVMOption("UseG1GC").getValue())) {
                return false;
            }
            // Min <= Max is checked on each set: lower Min first.
            boolean ratios = setDefault(vm, "MinHeapFreeRatio", MIN_FREE);
            ratios &= setDefault(vm, "MaxHeapFreeRatio", MAX_FREE);
            if (ratios) {
                ratioFlags = vm;
            }
            setDefault(vm, "G1PeriodicGCInterval", PERIODIC_GC_MS);
        } catch (RuntimeException | LinkageError e) {
            // not HotSpot, or a flag missing: the watchdog still bounds the heap
        }
        return true;
    }

    private static void nettyDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Sets a flag the user did not set; false when the user did. */
    private static boolean setDefault(HotSpotDiagnosticMXBean vm, String flag, int value) {
        VMOption option = vm.getVMOption(flag);
        if (option.getOrigin() == VMOption.Origin.DEFAULT || option.getOrigin() == VMOption.Origin.ERGONOMIC) {
            vm.setVMOption(flag, Integer.toString(value));
            return true;
        }
        return false;
    }

    /**
     * Sets the heap free ratios a collection shrinks to, where this class owns them (the user set neither).
     * Min first when lowering, Max first when raising: the JVM checks Min <= Max on each set.
     */
    private static void freeRatios(int min, int max) {
        HotSpotDiagnosticMXBean vm = ratioFlags;
        if (vm == null) {
            return;
        }
        try {
            if (max < MAX_FREE) {
                vm.setVMOption("MinHeapFreeRatio", Integer.toString(min));
                vm.setVMOption("MaxHeapFreeRatio", Integer.toString(max));
            } else {
                vm.setVMOption("MaxHeapFreeRatio", Integer.toString(max));
                vm.setVMOption("MinHeapFreeRatio", Integer.toString(min));
            }
        } catch (RuntimeException e) {
            ratioFlags = null;
        }
    }

    /** Compacts the heap when it grew past a ceiling, or when it went quiet after being used. */
    private static final class Watchdog implements Runnable {
        private final Runtime rt = Runtime.getRuntime();
        private final ByteBuffer statm = ByteBuffer.allocate(128);
        private final long pageSize = 4096;
        private final System.Logger log = System.getLogger(MemoryPolicy.class.getName());

        @Override
        public void run() {
            long lastCompaction = System.nanoTime();
            long usedAfter = 0;               // heap in use right after the last compaction (0: none yet)
            long committedAfter = 0;          // heap committed right after it
            long rssAfter = 0;                // resident size right after it
            long lastGc = System.nanoTime();  // when the used heap last went down (a collection ran)
            long prevUsed = rt.totalMemory() - rt.freeMemory();
            boolean settling = false;         // G1 uncommits after a compaction in the background: look again
            int followUps = FOLLOW_UP_MS.length; // follow-ups of the last compaction done so far (none pending)
            while (true) {
                try {
                    Thread.sleep(CHECK_MS);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                long committed = rt.totalMemory();
                long used = committed - rt.freeMemory();
                if (used < prevUsed) {
                    lastGc = now;
                }
                prevUsed = used;
                long rss = residentBytes();
                if (settling) {
                    rssAfter = rss;
                    settling = false;
                }
                if (now - lastCompaction < MIN_GAP_MS * 1_000_000L) {
                    continue;
                }
                // The ceilings move up with what a compaction could not give back, so that a large live set
                // (many guests) does not make the watchdog compact over and over.
                // (Start-up commits a 1/64-of-RAM heap it has not touched: the heap ceiling counts from the first
                // compaction, which follows start-up.)
                boolean tooBig = usedAfter != 0 && committed > Math.max(HEAP_CEILING_MB << 20, 2 * committedAfter)
                        || rss > Math.max(RSS_CEILING_MB << 20, rssAfter + (32 << 20));
                boolean quiet = now - lastGc >= QUIET_MS * 1_000_000L;
                boolean quietAfterUse = quiet
                        && (usedAfter == 0 || used > usedAfter + (2 << 20) || rss > rssAfter + (8 << 20));
                boolean followUp = quiet && followUps < FOLLOW_UP_MS.length
                        && now - lastCompaction >= (long) FOLLOW_UP_MS[followUps] * 1_000_000L;
                if (tooBig || quietAfterUse || followUp) {
                    followUps = followUp ? followUps + 1 : 0;
                    Runnable before = beforeCompaction;
                    if (before != null) {
                        try {
                            before.run();
                        } catch (RuntimeException e) {
                            // best effort
                        }
                    }
                    // Under load (the ceiling) the heap keeps room for the young collections to come; once the
                    // traffic stopped, it keeps less.
                    boolean tight = !tooBig;
                    if (tight) {
                        freeRatios(QUIET_MIN_FREE, QUIET_MAX_FREE);
                    }
                    System.gc();
                    if (tight) {
                        freeRatios(MIN_FREE, MAX_FREE);
                    }
                    String trimmed = trimNativeHeap();
                    lastGc = System.nanoTime();
                    if (!followUp) {
                        lastCompaction = lastGc; // follow-ups count their delays from the compaction they follow
                    }
                    committedAfter = rt.totalMemory();
                    usedAfter = prevUsed = committedAfter - rt.freeMemory();
                    long rssNow = residentBytes();
                    rssAfter = rssNow;
                    settling = true;
                    if (log.isLoggable(System.Logger.Level.DEBUG)) {
                        String why = tooBig ? "ceiling" : followUp ? "follow-up" : "quiet";
                        log.log(System.Logger.Level.DEBUG, String.format("memory: compacted (%s): heap %d/%d -> %d/%d MB"
                                + " used/committed, resident %d -> %d MB%s", why, used >> 20,
                                committed >> 20, usedAfter >> 20, committedAfter >> 20, rss >> 20, rssNow >> 20,
                                trimmed == null ? " (no native trim)" : "; " + trimmed.trim()));
                    }
                }
            }
        }

        /** The resident set from /proc/self/statm (0 where there is none). */
        private long residentBytes() {
            try (FileChannel ch = FileChannel.open(Path.of("/proc/self/statm"))) {
                statm.clear();
                ch.read(statm);
                // "size resident shared ...", in pages
                int i = 0;
                int n = statm.position();
                while (i < n && statm.get(i) != ' ') {
                    i++;
                }
                long pages = 0;
                for (i++; i < n && statm.get(i) >= '0' && statm.get(i) <= '9'; i++) {
                    pages = pages * 10 + (statm.get(i) - '0');
                }
                return pages * pageSize;
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }

        /**
         * glibc keeps freed malloc memory (direct buffers, JIT arenas) in its arenas; the JVM's
         * {@code System.trim_native_heap} (JDK 17.0.9+) hands it back; without it (an older JDK, or the diagnostic
         * commands out of reach) nothing happens.
         */
        private String trimNativeHeap() {
            return DiagnosticCommands.execute("System.trim_native_heap");
        }
    }
}
