package io.userv2.stack.nat;

import io.netty.util.collection.IntObjectHashMap;

/**
 * What each switch port's guest makes the NAT hold, against its caps: TCP connections (to the host and to the
 * gateway's own services), host dials still pending, UDP flows and ICMP echo flows. Accounted to the port the guest's frames came
 * in on, never to the addresses it writes itself, so a guest that makes up source addresses still spends its own
 * share and nobody else's. A refusal is counted per port and reported (at most once per {@link #REPORT_EVERY_NANOS}
 * per port) so the log names the port without flooding. Engine thread only.
 */
public final class OwnerQuotas {
    /** What a guest can hold. */
    public enum Kind {
        /** A TCP connection through or to the gateway. */
        TCP,
        /** A TCP connection whose host dial has not completed yet (SYN held). */
        PENDING_DIAL,
        /** A UDP flow with a host socket. */
        UDP,
        /** An ICMP echo flow with a host ping socket. */
        ICMP_ECHO
    }

    /** How often the refusals of one port are reported at most. */
    static final long REPORT_EVERY_NANOS = 10_000_000_000L;

    /** One port's usage and refusals. */
    public static final class Usage {
        int tcp;
        int pendingDials;
        int udp;
        int icmpEcho;
        long refusedTcp;
        long refusedPendingDials;
        long refusedUdp;
        long refusedIcmpEcho;
        long lastReport = Long.MIN_VALUE;

        /** TCP connections held now. */
        public int tcp() {
            return tcp;
        }

        /** Host dials pending now. */
        public int pendingDials() {
            return pendingDials;
        }

        /** UDP flows held now. */
        public int udp() {
            return udp;
        }

        /** ICMP echo flows held now. */
        public int icmpEcho() {
            return icmpEcho;
        }

        /** New TCP connections, UDP and ICMP echo flows refused because this port was at a cap, in all. */
        public long refused() {
            return refusedTcp + refusedPendingDials + refusedUdp + refusedIcmpEcho;
        }

        boolean idle() {
            return tcp == 0 && pendingDials == 0 && udp == 0 && icmpEcho == 0;
        }
    }

    /** Hears about a port at one of its caps (for a log line); at most once per port per 10 s. */
    @FunctionalInterface
    public interface CapListener {
        /** {@code owner} was refused a new {@code kind} at its cap of {@code cap}; {@code refused} so far. */
        void atCap(int owner, Kind kind, int cap, long refused);
    }

    private final int maxTcp;
    private final int maxPendingDials;
    private final int maxUdp;
    private final int maxIcmpEcho;
    private final CapListener listener;
    /** Keyed by the port's number as a primitive: no boxing on every take and release. */
    private final IntObjectHashMap<Usage> byOwner = new IntObjectHashMap<>();
    /** Refusal counts of ports that have gone (so totals never go down). */
    private long refusedGone;

    OwnerQuotas(int maxTcp, int maxPendingDials, int maxUdp, int maxIcmpEcho, CapListener listener) {
        this.maxTcp = maxTcp;
        this.maxPendingDials = maxPendingDials;
        this.maxUdp = maxUdp;
        this.maxIcmpEcho = maxIcmpEcho;
        this.listener = listener;
    }

    /**
     * Takes one {@code kind} for {@code owner} if it is under its cap; otherwise counts and reports the refusal.
     *
     * @return true when taken (the caller gives it back with {@link #release})
     */
    boolean tryTake(int owner, Kind kind, long now) {
        Usage u = usageOf(owner);
        int cap = switch (kind) {
            case TCP -> maxTcp;
            case PENDING_DIAL -> maxPendingDials;
            case UDP -> maxUdp;
            case ICMP_ECHO -> maxIcmpEcho;
        };
        int held = switch (kind) {
            case TCP -> u.tcp;
            case PENDING_DIAL -> u.pendingDials;
            case UDP -> u.udp;
            case ICMP_ECHO -> u.icmpEcho;
        };
        if (held >= cap) {
            long refused = switch (kind) {
                case TCP -> ++u.refusedTcp;
                case PENDING_DIAL -> ++u.refusedPendingDials;
                case UDP -> ++u.refusedUdp;
                case ICMP_ECHO -> ++u.refusedIcmpEcho;
            };
            if (u.lastReport == Long.MIN_VALUE || now - u.lastReport >= REPORT_EVERY_NANOS) {
                u.lastReport = now;
                listener.atCap(owner, kind, cap, refused);
            }
            return false;
        }
        switch (kind) {
            case TCP -> u.tcp++;
            case PENDING_DIAL -> u.pendingDials++;
            case UDP -> u.udp++;
            case ICMP_ECHO -> u.icmpEcho++;
        }
        return true;
    }

    /** Takes one {@code kind} for {@code owner} whatever its cap (what the host side asked for, not the guest). */
    void force(int owner, Kind kind) {
        Usage u = usageOf(owner);
        switch (kind) {
            case TCP -> u.tcp++;
            case PENDING_DIAL -> u.pendingDials++;
            case UDP -> u.udp++;
            case ICMP_ECHO -> u.icmpEcho++;
        }
    }

    private Usage usageOf(int owner) {
        Usage u = byOwner.get(owner);
        if (u == null) {
            u = new Usage();
            byOwner.put(owner, u);
        }
        return u;
    }

    /** Gives back one {@code kind} that {@code owner} took. */
    void release(int owner, Kind kind) {
        Usage u = byOwner.get(owner);
        if (u == null) {
            return;
        }
        switch (kind) {
            case TCP -> u.tcp = Math.max(0, u.tcp - 1);
            case PENDING_DIAL -> u.pendingDials = Math.max(0, u.pendingDials - 1);
            case UDP -> u.udp = Math.max(0, u.udp - 1);
            case ICMP_ECHO -> u.icmpEcho = Math.max(0, u.icmpEcho - 1);
        }
    }

    /** Forgets a port that has gone (once everything it held was released). */
    void forget(int owner) {
        Usage u = byOwner.remove(owner);
        if (u != null) {
            refusedGone += u.refused();
        }
    }

    /** The usage of {@code owner}, or null when it holds nothing and was never refused. */
    public Usage usage(int owner) {
        return byOwner.get(owner);
    }

    /** Refusals at a port's cap, over every port there ever was. */
    public long refusedTotal() {
        long n = refusedGone;
        for (Usage u : byOwner.values()) {
            n += u.refused();
        }
        return n;
    }
}
