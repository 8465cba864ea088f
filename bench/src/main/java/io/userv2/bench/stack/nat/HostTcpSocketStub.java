package io.userv2.bench.stack.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.nat.HostTcpSocket;

/**
 * A host socket that is never readable, takes nothing and ignores the rest: the NAT benchmarks' stand-in for the
 * daemon's NIO sockets (override {@link #read} and {@link #write} to move bytes). Touches no buffer it is given.
 */
class HostTcpSocketStub implements HostTcpSocket {
    @Override
    public int read(ByteBuf dst, int maxBytes) {
        return 0;
    }

    @Override
    public int write(ByteBuf src) {
        return 0;
    }

    @Override
    public void shutdownOutput() {
    }

    @Override
    public void interest(boolean readable, boolean writable) {
    }

    @Override
    public void close(boolean reset) {
    }
}
