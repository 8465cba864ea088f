package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One unix socket forwarded into the guest over SSH, as gvproxy's {@code -forward-sock PATH -forward-dest PATH
 * -forward-user USER -forward-identity KEYFILE} describe it: we listen on {@code socket} on the host, and every
 * connection to it is carried to {@code dest}, a unix socket in the guest, by the guest's sshd, logged in as
 * {@code user} with the private key in {@code identity}.
 *
 * <p>{@link #of} and {@link #fromFlags} check the values the way gvproxy does and fail with its messages (an
 * {@link IllegalArgumentException} whose message is meant for the user as is).
 *
 * @param socket the host socket file we create
 * @param dest the socket path in the guest (sent to sshd as is)
 * @param user the login user in the guest
 * @param identity the private key file (OpenSSH or PEM format, unencrypted; ed25519, RSA or ECDSA)
 */
public record SshForwardSettings(Path socket, String dest, String user, Path identity) {
    /** Requires every field. */
    public SshForwardSettings {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(dest, "dest");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(identity, "identity");
    }

    /**
     * Checks one forward's flag values: the socket may be a plain path or a {@code unix://PATH} URL (as gvproxy
     * accepts), none may be empty, and the identity file must exist (gvproxy: {@code identity file %q can't be
     * loaded: ...}). The key itself is read by {@link UnixSocketSshForward#start}.
     *
     * @throws IllegalArgumentException with a message for the user
     */
    public static SshForwardSettings of(String socket, String dest, String user, String identity) {
        Path socketPath = socketPath(socket);
        if (dest == null || dest.isEmpty()) {
            throw new IllegalArgumentException("--forward-dest must not be empty (the socket path in the guest)");
        }
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("--forward-user must not be empty");
        }
        if (identity == null || identity.isEmpty()) {
            throw new IllegalArgumentException("identity file \"\" can't be loaded: stat : no such file or directory");
        }
        Path key = Path.of(identity);
        try {
            Files.readAttributes(key, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("identity file " + quote(identity) + " can't be loaded: stat " + identity
                    + ": " + statError(e), e);
        }
        return new SshForwardSettings(socketPath, dest, user, key);
    }

    /**
     * The forwards of repeated flags, paired by position as gvproxy pairs them; every list must have the same length.
     *
     * @throws IllegalArgumentException with gvproxy's message when the counts differ, or {@link #of}'s
     */
    public static List<SshForwardSettings> fromFlags(List<String> sockets, List<String> dests, List<String> users,
            List<String> identities) {
        int n = sockets.size();
        if (dests.size() != n || users.size() != n || identities.size() != n) {
            throw new IllegalArgumentException("--forward-sock, --forward-dest, --forward-user, and --forward-identity"
                    + " must all be specified together, the same number of times, or not at all");
        }
        List<SshForwardSettings> forwards = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            forwards.add(of(sockets.get(i), dests.get(i), users.get(i), identities.get(i)));
        }
        return List.copyOf(forwards);
    }

    private static Path socketPath(String socket) {
        if (socket == null || socket.isEmpty()) {
            throw new IllegalArgumentException("--forward-sock must not be empty");
        }
        String path = socket;
        int scheme = socket.indexOf("://");
        if (scheme >= 0) {
            String name = socket.substring(0, scheme);
            if (!name.equals("unix")) {
                throw new IllegalArgumentException("URI scheme not supported: " + name);
            }
            path = socket.substring(scheme + 3);
            if (path.isEmpty()) {
                throw new IllegalArgumentException("--forward-sock " + socket + " names no path");
            }
        }
        return Path.of(path);
    }

    /** The tail of Go's {@code os.Stat} error, which gvproxy's message quotes. */
    private static String statError(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Go's {@code %q} for the common case: double quotes, backslash and quote escaped. */
    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
