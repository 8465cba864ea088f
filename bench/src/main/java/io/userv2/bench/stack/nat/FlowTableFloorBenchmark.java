package io.userv2.bench.stack.nat;

import io.netty.util.collection.LongObjectHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under {@link NatFlowChurnBenchmark}: what opening one flow and closing a random other costs in the
 * least a flow table can do, at the same table sizes, so the engine's growth from 100 to 10 000 flows can be read
 * against the memory's. One primitive-keyed hash table (the kind the NAT's own flow table is) and one object per
 * flow as large as what the engine allocates per flow ({@code gc.alloc.rate.norm} of the churn benchmark, about
 * 470 bytes); the keys are mixed like four-tuples, so they land in the table's slots at random; the flow that closes is
 * picked at random exactly as in the churn benchmark. Each operation writes the new flow, and reads one byte in the
 * middle of the closing one: no engine, no timers, no frames. Whatever this grows by between 100 and 10 000 flows
 * is the cost of touching a table and flows that no longer fit the caches, which no flow table escapes.
 *
 * <pre>
 * java -jar bench/target/userv2-benchmarks.jar 'NatFlowChurnBenchmark|FlowTableFloorBenchmark' -f 1 -wi 3 -i 5 -w 1s -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"}) // as the churn benchmark
@State(Scope.Thread)
public class FlowTableFloorBenchmark {
    /** Bytes per flow: the churn benchmark's allocation per open and close. */
    static final int FLOW_BYTES = 470;

    @Param({"100", "1000", "10000"})
    public int flows;

    /** One flow: its key and a block of state the size of the engine's. */
    static final class Flow {
        final long key;
        final byte[] state = new byte[FLOW_BYTES - 32]; // less this object's and the array's headers and fields

        Flow(long key) {
            this.key = key;
        }
    }

    private final LongObjectHashMap<Flow> table = new LongObjectHashMap<>();
    private final OpenFlows<Flow> open = new OpenFlows<>();
    private long next;

    @Setup
    public void setUp() {
        for (int i = 0; i < flows; i++) {
            openOne();
        }
    }

    private void openOne() {
        Flow f = new Flow(mix(next++));
        f.state[FLOW_BYTES / 2] = 1;
        table.put(f.key, f);
        open.add(f);
    }

    /** MurmurHash3's fmix64: consecutive numbers become keys spread over the whole table, as four-tuples are. */
    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        return k ^ (k >>> 33);
    }

    /** One flow opened, one picked at random closed, as {@link NatFlowChurnBenchmark#openAndClose}. */
    @Benchmark
    public int openAndClose() {
        openOne();
        Flow closing = open.takeRandom();
        return table.remove(closing.key).state[FLOW_BYTES / 2] + open.size();
    }
}
