package io.userv2.stack.tcp;

import io.userv2.stack.wire.SeqNumber;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Initial sequence numbers as RFC 6528 section 3 defines them: "ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey)", where "M is the 4 microsecond timer" and F is a keyed hash (here the first 32 bits of
 * SHA-256 over the secret and the four-tuple). Sequence numbers of successive incarnations of one four-tuple grow with
 * the clock, while an off-path attacker cannot guess them for another four-tuple.
 *
 * <p>The clock is injected (the {@code now} argument, nanoseconds), so tests are deterministic; the secret should come
 * from a {@link java.security.SecureRandom} in production. Not thread-safe (reuses one digest).
 */
public final class IsnGenerator {
    private final byte[] secret;
    private final MessageDigest digest;
    /** The four-tuple's bytes: 12 for IPv4 (addresses and ports), 36 for IPv6. */
    private final byte[] input = new byte[36];
    /** The digest's output, reused: no array per connection. */
    private final byte[] hash = new byte[32];

    /** A generator keyed with a copy of {@code secret} (at least 16 bytes, RFC 6528 section 3). */
    public IsnGenerator(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("secret needs at least 16 bytes");
        }
        this.secret = secret.clone();
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }

    /** The ISN for a connection with {@code key} at time {@code now} (nanoseconds). */
    public SeqNumber next(TcpConnectionKey key, long now) {
        int m = (int) (now / 4_000L); // RFC 6528: "M is the 4 microsecond timer"
        int length;
        if (key.isIpv6()) {
            putLong(0, key.localHigh());
            putLong(8, key.localLow());
            putLong(16, key.remoteHigh());
            putLong(24, key.remoteLow());
            putInt(32, (key.localPort() << 16) | key.remotePort());
            length = 36;
        } else {
            putInt(0, key.localIpv4());
            putInt(4, key.remoteIpv4());
            putInt(8, (key.localPort() << 16) | key.remotePort());
            length = 12;
        }
        digest.reset();
        digest.update(secret);
        digest.update(input, 0, length);
        byte[] h = hash;
        try {
            digest.digest(h, 0, h.length); // resets the digest
        } catch (DigestException e) {
            throw new IllegalStateException("SHA-256 gives 32 bytes", e);
        }
        int f = ((h[0] & 0xFF) << 24) | ((h[1] & 0xFF) << 16) | ((h[2] & 0xFF) << 8) | (h[3] & 0xFF);
        return SeqNumber.of(m + f);
    }

    private void putLong(int at, long v) {
        putInt(at, (int) (v >>> 32));
        putInt(at + 4, (int) v);
    }

    private void putInt(int at, int v) {
        input[at] = (byte) (v >>> 24);
        input[at + 1] = (byte) (v >>> 16);
        input[at + 2] = (byte) (v >>> 8);
        input[at + 3] = (byte) v;
    }
}
