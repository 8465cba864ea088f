package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.sshd.client.channel.AsyncCapableClientChannel;
import org.apache.sshd.client.future.DefaultOpenFuture;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.channel.LocalWindow;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * The client end of OpenSSH's {@code direct-streamlocal@openssh.com} channel: a stream to a unix socket on the
 * server's side, which MINA SSHD has no class for (it has {@code direct-tcpip} only). OpenSSH's PROTOCOL file, 2.4:
 *
 * <pre>
 *   byte    SSH_MSG_CHANNEL_OPEN
 *   string  "direct-streamlocal@openssh.com"
 *   uint32  sender channel
 *   uint32  initial window size
 *   uint32  maximum packet size
 *   string  socket path
 *   string  reserved
 *   uint32  reserved
 * </pre>
 *
 * <p>Everything after the open is an ordinary session-less channel, so MINA's stream plumbing is used as is: the
 * caller reads the guest's bytes from {@link #getInvertedOut()} (a pipe MINA fills and whose reads open the window)
 * and writes to {@link #getInvertedIn()} (closing it sends EOF). MINA owns the buffers.
 */
final class DirectStreamLocalChannel extends AsyncCapableClientChannel {
    /** The channel type OpenSSH's sshd serves when {@code AllowStreamLocalForwarding} allows it. */
    static final String TYPE = "direct-streamlocal@openssh.com";

    private final String socketPath;

    DirectStreamLocalChannel(String socketPath) {
        super(TYPE, false);
        this.socketPath = socketPath;
    }

    @Override
    public synchronized OpenFuture open() throws IOException {
        if (closeFuture.isClosed()) {
            throw new SshException("Session has been closed");
        }
        openFuture = new DefaultOpenFuture(socketPath, futureLock);
        LocalWindow window = getLocalWindow();
        byte[] path = socketPath.getBytes(StandardCharsets.UTF_8);
        Buffer buffer = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_OPEN, TYPE.length() + path.length + 32);
        buffer.putString(TYPE);
        buffer.putUInt(getChannelId());
        buffer.putUInt(window.getSize());
        buffer.putUInt(window.getPacketSize());
        buffer.putBytes(path);
        buffer.putString("");
        buffer.putUInt(0);
        writePacket(buffer);
        return openFuture;
    }

    /**
     * The guest's side has no more to send: end the pipe {@link #getInvertedOut()} reads (after what it holds). MINA
     * ends it only when the channel closes, which is right for a command's session, but sshd keeps a streamlocal
     * channel open until our side has ended too, and the client must see the half-close now.
     */
    @Override
    public void handleEof() throws IOException {
        super.handleEof();
        if (out != null) {
            out.close();
        }
    }

    /** The path of the socket in the guest. */
    String socketPath() {
        return socketPath;
    }
}
