package io.userv2.switchd.api;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Many clients at once, as Lima's and podman's Go clients connect: every connection opened with a non-blocking
 * connect before any of them sends, then one request on each and its whole answer read, all on one selector thread.
 */
final class NonBlockingClients {
    /**
     * What happened on one connection.
     *
     * @param status the answer's status (0 when none came)
     * @param body the answer's body, or what went wrong
     */
    record Outcome(int status, String body) {
    }

    private NonBlockingClients() {
    }

    /**
     * Connects {@code count} clients to {@code socket} at once, sends {@code request} on each and reads each answer
     * (by its Content-Length). A connect that fails (EAGAIN when the backlog is full) or a connection that ends
     * before its answer yields an outcome with status 0; connections still waiting at {@code limit} too.
     */
    static List<Outcome> run(Path socket, int count, String request, Duration limit) throws IOException {
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(socket);
        List<Client> clients = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < count; i++) {
                Client client = new Client(SocketChannel.open(StandardProtocolFamily.UNIX), request);
                clients.add(client);
                client.channel.configureBlocking(false);
                try {
                    boolean connected = client.channel.connect(address);
                    client.key = client.channel.register(selector,
                            connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, client);
                } catch (IOException e) {
                    client.fail("connect: " + e.getMessage());
                }
            }
            long deadline = System.nanoTime() + limit.toNanos();
            long open = clients.stream().filter(c -> c.outcome == null).count();
            while (open > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                selector.select(left);
                for (SelectionKey key : selector.selectedKeys()) {
                    Client client = (Client) key.attachment();
                    client.step();
                    if (client.outcome != null) {
                        open--;
                    }
                }
                selector.selectedKeys().clear();
            }
        } finally {
            for (Client client : clients) {
                if (client.outcome == null) {
                    client.fail("no answer within " + limit + ": " + client.received);
                }
            }
        }
        return clients.stream().map(c -> c.outcome).toList();
    }

    /** One connection's progress: connect, send, read. */
    private static final class Client {
        final SocketChannel channel;
        final ByteBuffer request;
        final ByteBuffer buffer = ByteBuffer.allocate(4096);
        final StringBuilder received = new StringBuilder();
        SelectionKey key;
        Outcome outcome;

        Client(SocketChannel channel, String request) {
            this.channel = channel;
            this.request = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
        }

        void step() {
            try {
                if (key.isConnectable() && channel.finishConnect()) {
                    key.interestOps(SelectionKey.OP_WRITE);
                }
                if (key.isValid() && key.isWritable()) {
                    channel.write(request);
                    if (!request.hasRemaining()) {
                        key.interestOps(SelectionKey.OP_READ);
                    }
                }
                if (key.isValid() && key.isReadable()) {
                    buffer.clear();
                    int n = channel.read(buffer);
                    if (n > 0) {
                        received.append(new String(buffer.array(), 0, n, StandardCharsets.ISO_8859_1));
                    }
                    answer(n < 0);
                }
            } catch (IOException e) {
                fail(e.toString());
            }
        }

        /** Completes the outcome once a whole answer is in (or the server closed before it was). */
        private void answer(boolean eof) throws IOException {
            int headEnd = received.indexOf("\r\n\r\n");
            if (headEnd >= 0) {
                String head = received.substring(0, headEnd).toLowerCase(Locale.ROOT);
                int at = head.indexOf("\r\ncontent-length:");
                if (at >= 0) {
                    int end = head.indexOf("\r\n", at + 2);
                    int length = Integer.parseInt(head.substring(at + 17, end < 0 ? head.length() : end).trim());
                    if (received.length() >= headEnd + 4 + length) {
                        int status = Integer.parseInt(received.substring(9, 12));
                        done(new Outcome(status, received.substring(headEnd + 4, headEnd + 4 + length)));
                        return;
                    }
                }
            }
            if (eof) {
                fail("closed before a whole answer: " + received);
            }
        }

        void fail(String why) {
            done(new Outcome(0, why));
        }

        private void done(Outcome result) {
            outcome = result;
            try {
                channel.close();
            } catch (IOException e) {
                // Closing a client: nothing left to learn from it.
            }
        }
    }
}
