package io.userv2.bench.stack.nat;

import java.util.ArrayList;

/**
 * The open flows of a churn benchmark, in no particular order, and the random pick of the one to close next: the
 * same pick in {@link NatFlowChurnBenchmark} and {@link FlowTableFloorBenchmark}, so the two read against each other.
 * Flows end in any order (the oldest would sit at the head of any timer queue, where even a linear search finds it
 * at once). Benchmark thread only.
 */
final class OpenFlows<T> {
    private final ArrayList<T> open = new ArrayList<>();
    private long random = 0x2545F4914F6CDD1DL;

    void add(T flow) {
        open.add(flow);
    }

    int size() {
        return open.size();
    }

    /** Takes out the flow added last, in O(1). */
    T takeNewest() {
        return open.remove(open.size() - 1);
    }

    /** Takes out a flow picked at random (xorshift64), in O(1): the last one moves into its slot. */
    T takeRandom() {
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        int victim = (int) Long.remainderUnsigned(random, open.size());
        T taken = open.get(victim);
        open.set(victim, open.get(open.size() - 1));
        open.remove(open.size() - 1);
        return taken;
    }
}
