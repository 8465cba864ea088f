package io.userv2.switchd.port;

/**
 * How much of one event-loop iteration a port may use: at most so many frames switched, and of those at most so many
 * handed to the gateway itself (ARP, ICMP, DHCP, DNS and every NAT'd packet: the frames that cost the most). When a
 * budget is spent the port stops reading until the next iteration and leaves the rest in its own buffer and socket,
 * so a flooding VM's sends back up into its own socket and every other port still gets its turn in each iteration.
 *
 * <p>A new budget is unlimited until {@link #limit} (the switch limits VM ports when they attach; the gateway's
 * port stays unlimited). The port calls {@link #begin} with the loop's iteration number before it reads; the switch
 * calls {@link #take} for each frame. Loop thread only; allocation-free.
 */
public final class IngressBudget {
    private int frames = Integer.MAX_VALUE;
    private int gatewayFrames = Integer.MAX_VALUE;
    private long iteration = Long.MIN_VALUE;
    private int framesLeft = Integer.MAX_VALUE;
    private int gatewayLeft = Integer.MAX_VALUE;
    private boolean paused;
    /** Frames taken for the gateway since the budget was made (wraps; read as a difference). */
    private int gatewayTaken;

    /** Sets the budget per iteration: {@code frames} in all, {@code gatewayFrames} of them for the gateway. */
    public void limit(int frames, int gatewayFrames) {
        if (frames < 1 || gatewayFrames < 1) {
            throw new IllegalArgumentException("budgets must be positive");
        }
        this.frames = frames;
        this.gatewayFrames = gatewayFrames;
        this.framesLeft = frames;
        this.gatewayLeft = gatewayFrames;
    }

    /** Starts iteration {@code iteration}'s budget, unless it has already started. */
    public void begin(long iteration) {
        if (iteration != this.iteration) {
            this.iteration = iteration;
            framesLeft = frames;
            gatewayLeft = gatewayFrames;
            paused = false;
        }
    }

    /**
     * Takes one frame out of the budget; {@code toGateway} when the gateway will receive it (addressed to its MAC,
     * or to a group address). Returns false, and takes nothing, when the budget does not cover it: the port must
     * leave that frame unread and stop reading until the next iteration.
     */
    public boolean take(boolean toGateway) {
        if (framesLeft <= 0 || toGateway && gatewayLeft <= 0) {
            paused = true;
            return false;
        }
        framesLeft--;
        if (toGateway) {
            gatewayLeft--;
            gatewayTaken++;
        }
        return true;
    }

    /**
     * How many frames {@link #take} has taken for the gateway so far, in all iterations (it wraps: compare two
     * readings by their difference). The port reads it around a receive to learn whether any frame of it went to the
     * gateway (the loop's receive coalescing asks).
     */
    public int gatewayFramesTaken() {
        return gatewayTaken;
    }

    /** True once {@link #take} refused a frame in the current iteration: read no more until the next one. */
    public boolean paused() {
        return paused;
    }

    /** Frames per iteration ({@link Integer#MAX_VALUE}: unlimited). */
    public int frames() {
        return frames;
    }

    /** Frames for the gateway per iteration ({@link Integer#MAX_VALUE}: unlimited). */
    public int gatewayFrames() {
        return gatewayFrames;
    }
}
