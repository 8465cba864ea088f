package io.userv2.bench.stack.nat;

/**
 * Runs {@link NatTcpPathBenchmark}'s states without JMH, a fixed number of segments, so that a tool counting
 * instructions of the whole process (valgrind's callgrind; this machine has no hardware counters for
 * {@code perf stat}) can measure one segment: run it twice with different counts after the same warm-up and divide
 * the difference in instructions by the difference in segments (JIT compilation and start-up cancel out). Owns its
 * states and releases them at the end (their tear-down checks the counts).
 *
 * <pre>
 * valgrind --tool=callgrind --callgrind-out-file=/dev/null --smc-check=all \
 *     java -XX:+UnlockDiagnosticVMOptions -XX:-ImplicitNullChecks -Xbatch -XX:+UseSerialGC \
 *     -Dio.netty.leakDetection.level=disabled -cp bench/target/userv2-benchmarks.jar \
 *     io.userv2.bench.stack.nat.NatTcpPathDriver 6 upload 100000 200000
 * </pre>
 * ("Collected" at the end is the process's instruction count; without {@code -XX:-ImplicitNullChecks} the JIT's
 * compiled code crashed under valgrind here. Run with 0 measured segments for the base.)
 */
public final class NatTcpPathDriver {
    private NatTcpPathDriver() {
    }

    /**
     * Arguments: family (4 or 6), {@code upload} or {@code download}, warm-up segments, measured segments (a download
     * runs in steps of {@link NatTcpPathBenchmark#SEND_SEGMENTS}).
     */
    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: NatTcpPathDriver 4|6 upload|download WARMUP SEGMENTS");
            System.exit(2);
        }
        int family = Integer.parseInt(args[0]);
        boolean upload = switch (args[1]) {
            case "upload" -> true;
            case "download" -> false;
            default -> throw new IllegalArgumentException("upload or download: " + args[1]);
        };
        long total = Long.parseLong(args[2]) + Long.parseLong(args[3]);
        NatTcpPathBenchmark.Path state = upload ? new NatTcpPathBenchmark.Upload() : new NatTcpPathBenchmark.Download();
        state.family = family;
        state.establish();
        long done = 0;
        if (upload) {
            NatTcpPathBenchmark.Upload u = (NatTcpPathBenchmark.Upload) state;
            for (; done < total; done++) {
                u.upload();
            }
        } else {
            NatTcpPathBenchmark.Download d = (NatTcpPathBenchmark.Download) state;
            for (; done < total; done += NatTcpPathBenchmark.SEND_SEGMENTS) {
                d.download();
            }
        }
        state.tearDown();
        System.out.println("family " + family + " " + args[1] + ": " + done + " segments");
    }
}
