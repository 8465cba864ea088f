package io.userv2.stack.nat;

import java.util.Arrays;

/**
 * The NAT's TCP flows ordered by their next wake-up ({@link NatTcpFlow#queuedAt}): a binary min-heap in an array
 * whose flows remember their own slot ({@link NatTcpFlow#timerSlot}), so adding, moving and removing a flow are
 * O(log n) and finding the earliest O(1). ({@link java.util.PriorityQueue#remove(Object)} searches linearly: with
 * 10 000 flows, every flow that closed or moved its timer earlier walked the whole queue.) Deadlines are compared
 * as {@code a - b}, so the ordering survives the clock's wrap-around. Engine thread only.
 */
final class FlowTimers {
    private NatTcpFlow[] heap = new NatTcpFlow[16];
    private int size;

    /** The flow due first, or null. */
    NatTcpFlow peek() {
        return size == 0 ? null : heap[0];
    }

    /** Number of queued flows. */
    int size() {
        return size;
    }

    /** Queues {@code flow} at {@code at}, or moves it there if it is queued already. */
    void schedule(NatTcpFlow flow, long at) {
        if (flow.timerSlot >= 0) {
            long was = flow.queuedAt;
            flow.queuedAt = at;
            if (at - was < 0) {
                up(flow.timerSlot);
            } else {
                down(flow.timerSlot);
            }
            return;
        }
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        flow.queuedAt = at;
        place(flow, size++);
        up(size - 1);
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
        NatTcpFlow last = heap[--size];
        heap[size] = null;
        if (slot == size) {
            return;
        }
        place(last, slot);
        up(slot);
        down(last.timerSlot);
    }

    private void place(NatTcpFlow flow, int slot) {
        heap[slot] = flow;
        flow.timerSlot = slot;
    }

    private static boolean before(NatTcpFlow a, NatTcpFlow b) {
        return a.queuedAt - b.queuedAt < 0;
    }

    private void up(int slot) {
        NatTcpFlow flow = heap[slot];
        while (slot > 0) {
            int parent = (slot - 1) >>> 1;
            if (!before(flow, heap[parent])) {
                break;
            }
            place(heap[parent], slot);
            slot = parent;
        }
        place(flow, slot);
    }

    private void down(int slot) {
        NatTcpFlow flow = heap[slot];
        while (true) {
            int child = 2 * slot + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && before(heap[child + 1], heap[child])) {
                child++;
            }
            if (!before(heap[child], flow)) {
                break;
            }
            place(heap[child], slot);
            slot = child;
        }
        place(flow, slot);
    }
}
