package io.userv2.switchd.config;

/**
 * What one VM port may make the switch hold and do, so that one VM cannot hurt the others.
 *
 * @param maxMacsPerPort most MAC addresses learned on one port ({@code --max-macs-per-port}); frames from further
 *     addresses are dropped. Default {@value #DEFAULT_MAX_MACS_PER_PORT}: the default LAN is a /24, so an honest VM,
 *     even one bridging containers onto the LAN, has no use for more addresses than the subnet has hosts (253), and
 *     {@value #DEFAULT_MAX_MACS} / {@value #DEFAULT_MAX_MACS_PER_PORT} = 64 ports would all have to be flooding
 *     before the table fills up
 * @param maxMacs most MAC addresses in the whole table
 * @param ipSourceGuard bind each port to the IPv4 addresses DHCP leased to the MACs learned on it and to static
 *     leases, and drop IPv4 and ARP with other sources ({@code --ip-source-guard}); on by default for
 *     {@code usernet} and {@code --lima-networks}, where every guest takes its address from DHCP
 * @param framesPerIteration most frames one port may have switched per event-loop iteration. Default
 *     {@value #DEFAULT_FRAMES_PER_ITERATION}: above the ~700 frames of 1500-byte MTU that one readiness event reads
 *     (4 reads of 256 KiB), so bulk transfers are not held back, while a port sending minimum-size frames is cut off
 *     after about 100 us of work
 * @param gatewayFramesPerIteration most of those that may go into the gateway itself (ARP, ICMP, DHCP, DNS and
 *     NAT'd traffic), the expensive ones. Default {@value #DEFAULT_GATEWAY_FRAMES_PER_ITERATION}: 384 KB of
 *     1500-byte-MTU upload per iteration, far more than a TCP window's worth in flight per loop turn, while a
 *     flood of garbage costs the other ports at most that many cheap rejections per turn
 * @param floodsPerSecond storm control: most frames per second one port may have flooded to all others (broadcast,
 *     multicast, unknown unicast), bursts of as many; beyond, dropped ({@code --storm-control}, 0 for no limit).
 *     Default {@value #DEFAULT_FLOODS_PER_SECOND}: ARP, DHCP, mDNS and IPv6 neighbour discovery of a busy guest stay
 *     far below, while junk a VM floods costs every other VM at most that many frames a second in its queue
 */
public record PortSecuritySettings(int maxMacsPerPort, int maxMacs, boolean ipSourceGuard, int framesPerIteration,
        int gatewayFramesPerIteration, int floodsPerSecond) {
    /** Default of {@code --max-macs-per-port}. */
    public static final int DEFAULT_MAX_MACS_PER_PORT = 256;
    /** Size of the forwarding table. */
    public static final int DEFAULT_MAX_MACS = 16_384;
    /** Default frame budget of a port per loop iteration. */
    public static final int DEFAULT_FRAMES_PER_ITERATION = 2048;
    /** Default budget of frames for the gateway per port and loop iteration. */
    public static final int DEFAULT_GATEWAY_FRAMES_PER_ITERATION = 256;

    /** Default of {@code --storm-control}. */
    public static final int DEFAULT_FLOODS_PER_SECOND = 2000;

    /** The defaults, with IP source guard off (plain {@code --listen}, where guests may use static addresses). */
    public static final PortSecuritySettings DEFAULT = new PortSecuritySettings(DEFAULT_MAX_MACS_PER_PORT,
            DEFAULT_MAX_MACS, false, DEFAULT_FRAMES_PER_ITERATION, DEFAULT_GATEWAY_FRAMES_PER_ITERATION,
            DEFAULT_FLOODS_PER_SECOND);

    /** Settings without storm control. */
    public PortSecuritySettings(int maxMacsPerPort, int maxMacs, boolean ipSourceGuard, int framesPerIteration,
            int gatewayFramesPerIteration) {
        this(maxMacsPerPort, maxMacs, ipSourceGuard, framesPerIteration, gatewayFramesPerIteration, 0);
    }

    /** Validates the bounds; throws IllegalArgumentException with a user-facing message. */
    public PortSecuritySettings {
        if (maxMacsPerPort < 1 || maxMacsPerPort > maxMacs) {
            throw new IllegalArgumentException("--max-macs-per-port must be between 1 and " + maxMacs + ", got "
                    + maxMacsPerPort);
        }
        if (floodsPerSecond < 0) {
            throw new IllegalArgumentException("--storm-control must be 0 (off) or positive, got " + floodsPerSecond);
        }
        if (framesPerIteration < 1 || gatewayFramesPerIteration < 1) {
            throw new IllegalArgumentException("per-iteration budgets must be positive");
        }
    }

    /** These settings with IP source guard on or off. */
    public PortSecuritySettings withIpSourceGuard(boolean on) {
        return new PortSecuritySettings(maxMacsPerPort, maxMacs, on, framesPerIteration, gatewayFramesPerIteration,
                floodsPerSecond);
    }

    /** These settings with at most {@code n} MACs per port. */
    public PortSecuritySettings withMaxMacsPerPort(int n) {
        return new PortSecuritySettings(n, maxMacs, ipSourceGuard, framesPerIteration, gatewayFramesPerIteration,
                floodsPerSecond);
    }

    /** These settings with storm control at {@code perSecond} flooded frames a second per port (0: off). */
    public PortSecuritySettings withFloodsPerSecond(int perSecond) {
        return new PortSecuritySettings(maxMacsPerPort, maxMacs, ipSourceGuard, framesPerIteration,
                gatewayFramesPerIteration, perSecond);
    }
}
