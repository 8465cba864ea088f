package io.userv2.stack.nat;

import io.netty.util.collection.LongObjectHashMap;
import io.userv2.stack.tcp.TcpConnectionKey;
import java.security.SecureRandom;
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
     * This process's secret for {@link #bucketKey}: guests choose their tuples, and with a public function they could
     * choose many that meet in one bucket (or one run of the map's slots), a chain every segment then walks on the
     * event loop.
     */
    private static final long SEED = new SecureRandom().nextLong();

    /**
     * The hash key of a tuple: the gateway side's address and port and the guest's port, keyed with {@link #SEED}
     * through non-linear mixing (MurmurHash3's 64-bit finaliser), so that no guest can tell which tuples share a key,
     * nor which keys share a run of the map's linearly probed slots. For IPv4 ({@code localHigh == 0}) the packed
     * fields (32-bit address, two ports) xor the seed, then mixed: a bijection, so distinct tuples that differ in more
     * than the guest's address keep distinct keys. For IPv6 (160 bits, so keys can meet) each part goes through the
     * mix in turn, the state carried into the next: the earlier parts' effect is unknown without the seed, so no part
     * can cancel another's (an xor of the parts, as before, let a guest pick, for each source port, a destination in
     * one /64 that undid it: thousands of flows in one chain).
     */
    static long bucketKey(int guestPort, long localHigh, long localLow, int localPort) {
        long ports = ((long) guestPort << 16) | localPort;
        if (localHigh == 0) {
            return fmix64(((localLow << 32) | ports) ^ SEED);
        }
        long k = fmix64(localHigh ^ SEED);
        k = fmix64(Long.rotateLeft(k, 32) ^ localLow);
        return fmix64(k ^ ports ^ SEED);
    }

    /** MurmurHash3's fmix64: a bijection of 64 bits whose every output bit depends on every input bit. */
    private static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xFF51AFD7ED558CCDL;
        k ^= k >>> 33;
        k *= 0xC4CEB9FE1A85EC53L;
        return k ^ (k >>> 33);
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
