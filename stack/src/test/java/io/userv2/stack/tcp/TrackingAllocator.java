package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it hands out (fresh unpooled objects, never recycled), so a test can assert
 * that every one was released: the exact leak check beside netty's paranoid leak detector.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {
    private final UnpooledByteBufAllocator delegate = new UnpooledByteBufAllocator(false, false, false);
    private final List<ByteBuf> allocated = new ArrayList<>();

    public TrackingAllocator() {
        super(false);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        ByteBuf b = delegate.heapBuffer(initialCapacity, maxCapacity);
        allocated.add(b);
        return b;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity);
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    /** Buffers not yet released. */
    public long live() {
        return allocated.stream().filter(b -> b.refCnt() > 0).count();
    }

    int allocations() {
        return allocated.size();
    }

    /** Fails unless every buffer handed out has been released. */
    public void assertAllReleased() {
        long live = live();
        if (live > 0) {
            fail(live + " of " + allocated.size() + " buffers not released");
        }
    }
}
