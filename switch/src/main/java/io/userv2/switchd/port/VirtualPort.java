package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;

/**
 * A switch port with no socket behind it: an endpoint inside this process (the virtual gateway) that owns one MAC
 * address. It takes only frames addressed to that MAC or to a group address, and hands them to the endpoint
 * synchronously on the event-loop thread.
 */
public final class VirtualPort extends Port {
    /** The endpoint behind a virtual port. */
    @FunctionalInterface
    public interface Endpoint {
        /**
         * Handles one frame.
         *
         * @param buf holds the frame at {@code [index, index + length)}; the caller keeps ownership and the bytes
         *     are valid only during the call
         * @param ingress the {@link Port#id()} of the port the frame came in on: who owns what it makes us hold
         * @param nowNanos monotonic time
         */
        void receive(ByteBuf buf, int index, int length, int ingress, long nowNanos);
    }

    private static final System.Logger LOG = System.getLogger(VirtualPort.class.getName());

    private final long mac;
    private final Endpoint endpoint;
    private final java.util.function.LongSupplier clock;
    private long faults;

    /**
     * A port for the endpoint that owns {@code mac}; {@code clock} gives the time each frame is handed over with
     * (the event loop's time of the current batch, so the per-frame path reads no clock).
     */
    public VirtualPort(String name, MacAddress mac, Endpoint endpoint, java.util.function.LongSupplier clock) {
        super(name);
        this.mac = mac.bits();
        this.endpoint = endpoint;
        this.clock = clock;
    }

    /** The endpoint's MAC address as 48 bits. */
    public long mac() {
        return mac;
    }

    @Override
    public void deliver(ByteBuf buf, int index, int length, Port ingress) {
        long dst = MacAddress.read(buf, index);
        if (dst != mac && !MacAddress.isGroup(dst)) {
            return; // flooded unknown unicast for someone else
        }
        counters().countOut(length);
        try {
            endpoint.receive(buf, index, length, ingress.id(), clock.getAsLong());
        } catch (RuntimeException e) {
            // A bug in the endpoint for one frame costs that frame, not the sender's port nor the loop.
            faults++;
            if (faults == 1 || Long.bitCount(faults) == 1) { // the 1st, 2nd, 4th, 8th, ...: logged, not flooded
                LOG.log(System.Logger.Level.ERROR, name() + ": frame from " + ingress + " failed (" + faults
                        + " so far); dropped", e);
            }
        }
    }

    /** Frames the endpoint failed on (an exception), each dropped. */
    public long faults() {
        return faults;
    }

    @Override
    protected void onClose() {
        // nothing to release: the endpoint's life is managed by its owner
    }
}
