package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.ChannelOutputStream;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.AbstractServerChannel;

/**
 * The server end of {@code direct-streamlocal@openssh.com} for the in-process MINA server of the unit tests (MINA
 * has none; OpenSSH's sshd is what the guest really runs, see SshForwardIT): connects to the named unix socket and
 * copies both ways with two threads, passing EOF on and closing when both directions are done, as sshd does.
 */
final class StreamLocalServerChannel extends AbstractServerChannel {
    /** Makes one per channel open of this type. */
    static final ChannelFactory FACTORY = new ChannelFactory() {
        @Override
        public String getName() {
            return DirectStreamLocalChannel.TYPE;
        }

        @Override
        public org.apache.sshd.common.channel.Channel createChannel(Session session) {
            return new StreamLocalServerChannel();
        }
    };

    private volatile SocketChannel socket;
    private volatile ChannelOutputStream toClient;
    private static final byte[] EOF = new byte[0];
    /** After the channel closed: the socket closes once what came before is written, as sshd drains (nchan.c). */
    private static final byte[] CLOSED = new byte[0];
    /** Bytes for the socket, bounded by the channel's window (released only once written). */
    private final java.util.concurrent.LinkedBlockingQueue<byte[]> toSocket = new java.util.concurrent.LinkedBlockingQueue<>();
    /** Directions still open; at zero the channel is closed, as sshd closes it once both have ended. */
    private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger(2);

    private StreamLocalServerChannel() {
        super(DirectStreamLocalChannel.TYPE, List.of(), null);
    }

    @Override
    protected OpenFuture doInit(Buffer buffer) {
        String path = buffer.getString();
        buffer.getString(); // reserved
        buffer.getUInt(); // reserved
        try {
            socket = SocketChannel.open(UnixDomainSocketAddress.of(path));
        } catch (IOException | RuntimeException e) {
            OpenFuture failed = new DefaultOpenFuture(this, futureLock);
            // OpenSSH answers "open failed" with SSH2_OPEN_CONNECT_FAILED.
            failed.setException(new SshChannelOpenException(getChannelId(), SshConstants.SSH_OPEN_CONNECT_FAILED,
                    "open failed", e));
            return failed;
        }
        addCloseFutureListener(f -> toSocket.add(CLOSED)); // the writer drains, then closes the socket
        toClient = new ChannelOutputStream(this, getRemoteWindow(), log, SshConstants.SSH_MSG_CHANNEL_DATA, true);
        OpenFuture f = super.doInit(buffer); // sends SSH_MSG_CHANNEL_OPEN_CONFIRMATION
        for (Runnable r : List.<Runnable>of(this::pump, this::writeToSocket)) {
            Thread t = new Thread(r, "test-streamlocal-" + getChannelId());
            t.setDaemon(true);
            t.start();
        }
        return f;
    }

    private void pump() {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        try {
            while (true) {
                buf.clear();
                int n = socket.read(buf);
                if (n < 0) {
                    break;
                }
                toClient.write(buf.array(), 0, n);
                toClient.flush();
            }
            toClient.close(); // EOF
            directionDone();
        } catch (IOException e) {
            close(true);
        }
    }

    /**
     * Called on MINA's I/O thread, which must not block on the socket (it also carries the window adjusts the other
     * direction waits for): the bytes go to the writer thread, and the window opens again once they are written.
     */
    @Override
    protected void doWriteData(byte[] data, int off, long len) {
        toSocket.add(java.util.Arrays.copyOfRange(data, off, off + (int) len));
    }

    private void writeToSocket() {
        try {
            while (true) {
                byte[] chunk = toSocket.take();
                if (chunk == CLOSED) {
                    closeSocket();
                    return;
                }
                if (chunk == EOF) {
                    socket.shutdownOutput();
                    directionDone();
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) {
                    socket.write(b);
                }
                getLocalWindow().release(chunk.length);
            }
        } catch (IOException | InterruptedException e) {
            closeSocket();
            close(true);
        }
    }

    @Override
    protected void doWriteExtendedData(byte[] data, int off, long len) {
        throw new UnsupportedOperationException("no extended data on " + DirectStreamLocalChannel.TYPE);
    }

    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        toSocket.add(EOF);
    }

    private void directionDone() {
        if (open.decrementAndGet() == 0) {
            close(false);
        }
    }

    private void closeSocket() {
        SocketChannel s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
