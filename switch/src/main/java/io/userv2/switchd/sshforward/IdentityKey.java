package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Reads the private key of a forward's {@code -forward-identity} file with MINA SSHD's parsers: OpenSSH's own format
 * ({@code -----BEGIN OPENSSH PRIVATE KEY-----}, what {@code ssh-keygen} writes, podman's ed25519 keys included) and
 * PEM (PKCS#1, PKCS#8). Keys with a passphrase are refused: there is nobody to ask.
 */
final class IdentityKey {
    private IdentityKey() {
    }

    /**
     * The first key pair in {@code file}.
     *
     * @throws IOException with gvproxy's message ({@code failed to parse identity %q: ...}) if the file cannot be
     *     read or holds no key MINA can use
     */
    static KeyPair load(Path file) throws IOException {
        String name = file.toString();
        try (InputStream in = Files.newInputStream(file)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(name), in,
                    FilePasswordProvider.EMPTY);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IOException("no private key found");
            }
            return it.next();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IOException("failed to parse identity " + SshForwardSettings.quote(name) + ": " + why, e);
        }
    }
}
