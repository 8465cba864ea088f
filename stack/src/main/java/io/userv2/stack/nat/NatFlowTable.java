package io.userv2.stack.nat;

import io.netty.util.collection.LongObjectHashMap;
import io.userv2.stack.tcp.TcpConnectionKey;
import java.util.ArrayList;
import java.util.List;

/**
 * The NAT's TCP flows by four-tuple, over IPv4 and IPv6, looked up from the segment's primitive fields: nothing is
 * allocated per segment (a record key per lookup was one of the larger allocations on the path). Addresses are
 * 128 bits in two {@code long}s, IPv4 ones IPv4-mapped, as in {@link TcpConnectionKey}. The hash key is made from the
 * gateway side's address and port and the guest's port (for IPv4 it packs them into a {@code long}, a bijection);
 * flows that share it (two guests using the same source port towards the same destination, or an IPv6 tuple whose
 * hash meets another's) are chained through {@link NatTcpFlow#nextInBucket} and told apart by their whole tuple.
 * Engine thread only.
 */
final class NatFlowTable {
    private final LongObjectHashMap<NatTcpFlow> buckets = new LongObjectHashMap<>();
    private int size;

    /**
     * The hash key of a tuple, scrambled by a bijection: the map probes linearly from a slot taken from the key's low
     * bits, and packed tuples of one guest (consecutive source ports) would otherwise fill one long run of slots that
     * every removal walks. For IPv4 ({@code localHigh == 0}) the packed fields, so distinct tuples that differ in
     * more than the guest's address keep distinct keys; for IPv6 a mix of the 128-bit address and the ports.
     */
    private static long bucketKey(int guestPort, long localHigh, long localLow, int localPort) {
        long ports = ((long) guestPort << 16) | localPort;
        long k = localHigh == 0 ? (localLow << 32) | ports
                : (localHigh * 0xC2B2AE3D27D4EB4FL) ^ localLow ^ (ports << 40) ^ ports;
        k *= 0x9E3779B97F4A7C15L; // odd: invertible modulo 2^64
        return k ^ (k >>> 29);
    }

    /** The flow of a segment from IPv4 {@code guestAddress:guestPort} to {@code localAddress:localPort}, or null. */
    NatTcpFlow get(int guestAddress, int guestPort, int localAddress, int localPort) {
        return get(0, TcpConnectionKey.mapped(guestAddress), guestPort, 0, TcpConnectionKey.mapped(localAddress),
                localPort);
    }

    /** The flow of a segment from {@code guest:guestPort} to {@code local:localPort} (128-bit addresses), or null. */
    NatTcpFlow get(long guestHigh, long guestLow, int guestPort, long localHigh, long localLow, int localPort) {
        NatTcpFlow f = buckets.get(bucketKey(guestPort, localHigh, localLow, localPort));
        while (f != null && !matches(f.conn.key(), guestHigh, guestLow, guestPort, localHigh, localLow, localPort)) {
            f = f.nextInBucket;
        }
        return f;
    }

    private static boolean matches(TcpConnectionKey k, long guestHigh, long guestLow, int guestPort, long localHigh,
            long localLow, int localPort) {
        return k.remoteLow() == guestLow && k.remoteHigh() == guestHigh && k.remotePort() == guestPort
                && k.localLow() == localLow && k.localHigh() == localHigh && k.localPort() == localPort;
    }

    /** The flow under {@code key}, or null. */
    NatTcpFlow get(TcpConnectionKey key) {
        return get(key.remoteHigh(), key.remoteLow(), key.remotePort(), key.localHigh(), key.localLow(),
                key.localPort());
    }

    /** Adds {@code flow} under its connection's key, replacing a flow already there. */
    void put(NatTcpFlow flow) {
        remove(flow.conn.key());
        long k = bucketKey(flow.conn.key());
        flow.nextInBucket = buckets.get(k);
        buckets.put(k, flow);
        size++;
    }

    private static long bucketKey(TcpConnectionKey key) {
        return bucketKey(key.remotePort(), key.localHigh(), key.localLow(), key.localPort());
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
        long k = bucketKey(key);
        NatTcpFlow prev = null;
        for (NatTcpFlow f = buckets.get(k); f != null; prev = f, f = f.nextInBucket) {
            if (only != null ? f != only : !f.conn.key().equals(key)) {
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
