package io.userv2.switchd.switching;

import io.netty.buffer.ByteBuf;
import io.userv2.switchd.port.Port;
import java.util.ArrayList;
import java.util.List;

/** A test port that keeps a copy of every frame delivered to it. */
final class RecordingPort extends Port {
    final List<byte[]> frames = new ArrayList<>();

    RecordingPort(String name) {
        super(name);
    }

    @Override
    public void deliver(ByteBuf buf, int index, int length, Port ingress) {
        byte[] copy = new byte[length];
        buf.getBytes(index, copy);
        frames.add(copy);
    }

    @Override
    protected void onClose() {
    }
}
