package io.userv2.stack.nat;

import io.netty.util.collection.LongObjectHashMap;
import io.userv2.stack.tcp.TcpConnectionKey;
import java.util.ArrayList;
import java.util.List;

/**
 * The NAT's TCP flows by four-tuple, looked up from the segment's primitive fields: nothing is allocated per
 * segment (a record key per lookup was one of the larger allocations on the path). The hash key packs the gateway
 * side's address and port and the guest's port into a {@code long}; flows that differ only in the guest's address
 * (two guests using the same source port towards the same destination) share a bucket and are chained through
 * {@link NatTcpFlow#nextInBucket}. Engine thread only.
 */
final class NatFlowTable {
    private final LongObjectHashMap<NatTcpFlow> buckets = new LongObjectHashMap<>();
    private int size;

    /**
     * The packed fields, scrambled by a bijection (so distinct tuples keep distinct keys): the map probes linearly
     * from a slot taken from the key's low bits, and packed tuples of one guest (consecutive source ports) would
     * otherwise fill one long run of slots that every removal walks.
     */
    private static long bucketKey(int guestPort, int localAddress, int localPort) {
        long k = ((long) localAddress << 32) | ((long) guestPort << 16) | localPort;
        k *= 0x9E3779B97F4A7C15L; // odd: invertible modulo 2^64
        return k ^ (k >>> 29);
    }

    /** The flow of a segment from {@code guestAddress:guestPort} to {@code localAddress:localPort}, or null. */
    NatTcpFlow get(int guestAddress, int guestPort, int localAddress, int localPort) {
        NatTcpFlow f = buckets.get(bucketKey(guestPort, localAddress, localPort));
        while (f != null && f.conn.key().remoteAddress().bits() != guestAddress) {
            f = f.nextInBucket;
        }
        return f;
    }

    /** The flow under {@code key}, or null. */
    NatTcpFlow get(TcpConnectionKey key) {
        return get(key.remoteAddress().bits(), key.remotePort(), key.localAddress().bits(), key.localPort());
    }

    /** Adds {@code flow} under its connection's key, replacing a flow already there. */
    void put(NatTcpFlow flow) {
        remove(flow.conn.key());
        TcpConnectionKey key = flow.conn.key();
        long k = bucketKey(key.remotePort(), key.localAddress().bits(), key.localPort());
        flow.nextInBucket = buckets.get(k);
        buckets.put(k, flow);
        size++;
    }

    /** Removes {@code flow} itself (not another flow that took its key since); true when it was there. */
    boolean remove(NatTcpFlow flow) {
        return unlink(flow.conn.key(), flow) != null;
    }

    /** Removes the flow under {@code key}; returns it, or null when there was none. */
    NatTcpFlow remove(TcpConnectionKey key) {
        return unlink(key, null);
    }

    /** Unlinks {@code only} (or, when null, whichever flow has {@code key}) from its bucket. */
    private NatTcpFlow unlink(TcpConnectionKey key, NatTcpFlow only) {
        long k = bucketKey(key.remotePort(), key.localAddress().bits(), key.localPort());
        int guest = key.remoteAddress().bits();
        NatTcpFlow prev = null;
        for (NatTcpFlow f = buckets.get(k); f != null; prev = f, f = f.nextInBucket) {
            if (only != null ? f != only : f.conn.key().remoteAddress().bits() != guest) {
                continue;
            }
            if (prev != null) {
                prev.nextInBucket = f.nextInBucket;
            } else if (f.nextInBucket != null) {
                buckets.put(k, f.nextInBucket);
            } else {
                buckets.remove(k);
            }
            f.nextInBucket = null;
            size--;
            return f;
        }
        return null;
    }

    /** Number of flows. */
    int size() {
        return size;
    }

    /** Every flow, copied (for the rare walks over all of them: a port closing, shutdown). */
    List<NatTcpFlow> snapshot() {
        List<NatTcpFlow> all = new ArrayList<>(size);
        for (NatTcpFlow head : buckets.values()) {
            for (NatTcpFlow f = head; f != null; f = f.nextInBucket) {
                all.add(f);
            }
        }
        return all;
    }
}
