package io.userv2.switchd.security;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.wire.Ipv4Address;

/**
 * What the switch does instead of flooding a gateway frame whose destination MAC no port has (a guest silent for
 * longer than the MAC aging time while the gateway's ARP cache still names it, or one that left): the frame is
 * dropped, and the gateway asks for the destination's IPv4 address with a broadcast ARP request, so a guest that is
 * still there answers, is learned on its port, and the retransmission finds it. At most one request per
 * {@link #INTERVAL_NANOS}, so traffic towards a guest that is gone costs a trickle of broadcasts, not a flood.
 *
 * <p>Loop thread only.
 */
public final class UnknownUnicastProbe {
    /** Least time between two ARP requests sent on behalf of dropped frames. */
    public static final long INTERVAL_NANOS = 100_000_000L;
    private static final int ETHERTYPE_IPV4 = 0x0800;

    private final Gateway gateway;
    private long lastProbe;
    private boolean probed;
    private long probes;

    /** Probes through {@code gateway}. */
    public UnknownUnicastProbe(Gateway gateway) {
        this.gateway = gateway;
    }

    /** The gateway's frame at {@code buf[index, index + length)} found no port; the caller keeps {@code buf}. */
    public void dropped(ByteBuf buf, int index, int length, long now) {
        if (length < 34 || buf.getUnsignedShort(index + 12) != ETHERTYPE_IPV4) {
            return;
        }
        if (probed && now - lastProbe < INTERVAL_NANOS) {
            return;
        }
        int destination = buf.getInt(index + 14 + 16);
        if (!gateway.subnet().contains(destination) || gateway.owns(destination)) {
            return;
        }
        probed = true;
        lastProbe = now;
        probes++;
        gateway.sendArpRequest(new Ipv4Address(destination));
    }

    /** ARP requests sent so far. */
    public long probes() {
        return probes;
    }
}
