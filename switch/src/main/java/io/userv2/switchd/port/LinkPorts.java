package io.userv2.switchd.port;

import io.netty.buffer.ByteBufAllocator;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.switching.LearningSwitch;
import java.util.function.Consumer;

/**
 * What every transport of one network makes its {@link LinkPort}s with: the loop they live on, the switch they
 * attach to, the largest frame, the allocator of their read and staging buffers, and the egress bound per port.
 * The wiring root makes one and hands it to each transport.
 *
 * @param maxFrame the largest Ethernet frame taken or sent
 * @param alloc where each port's read and staging buffers come from (the port releases them when it closes)
 * @param egressLimit the most bytes queued towards one peer before frames for it are dropped
 */
public record LinkPorts(EventLoop loop, LearningSwitch sw, int maxFrame, ByteBufAllocator alloc, int egressLimit) {
    /** A port named {@code name} on {@code link}, framed by {@code framing}; start it with {@link LinkPort#start}. */
    public LinkPort make(String name, Link link, Framing framing, Consumer<? super LinkPort> onClosed) {
        return new LinkPort(name, link, framing, loop, sw, maxFrame, alloc, egressLimit, onClosed);
    }
}
