package io.userv2.stack.nat;

import java.util.Arrays;

/**
 * The NAT's TCP flows ordered by their next wake-up ({@link NatTcpFlow#queuedAt}): a binary min-heap in an array
 * whose flows remember their own slot ({@link NatTcpFlow#timerSlot}), so adding, moving and removing a flow are
 * O(log n) and finding the earliest O(1). ({@link java.util.PriorityQueue#remove(Object)} searches linearly: with
 * 10 000 flows, every flow that closed or moved its timer earlier walked the whole queue.)
 *
 * <p>The heap keeps each slot's deadline beside it in a {@code long[]}: sifting compares deadlines in that one
 * array and never reads the flows it passes, which lie anywhere in the heap (with 10 000 flows, each of those reads
 * was a cache miss). Deadlines are compared as {@code a - b}, so the ordering survives the clock's wrap-around.
 * Engine thread only.
 */
final class FlowTimers {
    private NatTcpFlow[] flows = new NatTcpFlow[16];
    private long[] deadlines = new long[16];
    private int size;

    /** The flow due first, or null. */
    NatTcpFlow peek() {
        return size == 0 ? null : flows[0];
    }

    /** Number of queued flows. */
    int size() {
        return size;
    }

    /** Queues {@code flow} at {@code at}, or moves it there if it is queued already. */
    void schedule(NatTcpFlow flow, long at) {
        int slot = flow.timerSlot;
        flow.queuedAt = at;
        if (slot >= 0) {
            long was = deadlines[slot];
            if (at - was < 0) {
                up(flow, at, slot);
            } else {
                down(flow, at, slot);
            }
            return;
        }
        if (size == flows.length) {
            flows = Arrays.copyOf(flows, size * 2);
            deadlines = Arrays.copyOf(deadlines, size * 2);
        }
        up(flow, at, size++);
    }

    /** Takes the first flow off the queue; its {@code queuedAt} is reset to Long.MAX_VALUE. Null when empty. */
    NatTcpFlow poll() {
        NatTcpFlow first = peek();
        if (first != null) {
            remove(first);
        }
        return first;
    }

    /** Takes {@code flow} off the queue (nothing when it is not queued); its {@code queuedAt} becomes MAX_VALUE. */
    void remove(NatTcpFlow flow) {
        int slot = flow.timerSlot;
        if (slot < 0) {
            return;
        }
        flow.timerSlot = -1;
        flow.queuedAt = Long.MAX_VALUE;
        NatTcpFlow last = flows[--size];
        long lastAt = deadlines[size];
        flows[size] = null;
        if (slot == size) {
            return;
        }
        if (slot > 0 && lastAt - deadlines[(slot - 1) >>> 1] < 0) {
            up(last, lastAt, slot);
        } else {
            down(last, lastAt, slot);
        }
    }

    /** Puts {@code flow}, due at {@code at}, into the hole at {@code slot} or above it. */
    private void up(NatTcpFlow flow, long at, int slot) {
        while (slot > 0) {
            int parent = (slot - 1) >>> 1;
            if (at - deadlines[parent] >= 0) {
                break;
            }
            move(parent, slot);
            slot = parent;
        }
        place(flow, at, slot);
    }

    /** Puts {@code flow}, due at {@code at}, into the hole at {@code slot} or below it. */
    private void down(NatTcpFlow flow, long at, int slot) {
        while (true) {
            int child = 2 * slot + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && deadlines[child + 1] - deadlines[child] < 0) {
                child++;
            }
            if (deadlines[child] - at >= 0) {
                break;
            }
            move(child, slot);
            slot = child;
        }
        place(flow, at, slot);
    }

    private void move(int from, int to) {
        place(flows[from], deadlines[from], to);
    }

    private void place(NatTcpFlow flow, long at, int slot) {
        flows[slot] = flow;
        deadlines[slot] = at;
        flow.timerSlot = slot;
    }
}
