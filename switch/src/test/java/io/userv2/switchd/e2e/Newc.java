package io.userv2.switchd.e2e;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal writer of cpio "newc" archives (the initramfs format; see the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst). Lets the tests make device nodes
 * such as /dev/console without mknod and without the cpio tool.
 *
 * <pre>
 * header: "070701" then 13 fields of 8 hex digits: ino mode uid gid nlink mtime filesize
 *         devmajor devminor rdevmajor rdevminor namesize check; then the name + NUL, padded to 4;
 *         then the data, padded to 4. The archive ends with an entry named "TRAILER!!!".
 * </pre>
 */
public final class Newc {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int ino = 300000;

    public Newc dir(String name) {
        return entry(name, S_IFDIR | 0755, new byte[0], 0, 0);
    }

    public Newc file(String name, int perm, byte[] data) {
        return entry(name, S_IFREG | perm, data, 0, 0);
    }

    public Newc symlink(String name, String target) {
        return entry(name, S_IFLNK | 0777, target.getBytes(StandardCharsets.UTF_8), 0, 0);
    }

    public Newc charDevice(String name, int perm, int major, int minor) {
        return entry(name, S_IFCHR | perm, new byte[0], major, minor);
    }

    private Newc entry(String name, int mode, byte[] data, int rdevMajor, int rdevMinor) {
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        String header = String.format("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
                ino++, mode, 0, 0, (mode & S_IFDIR) != 0 ? 2 : 1, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBytes.length, 0);
        out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nameBytes);
        pad();
        out.writeBytes(data);
        pad();
        return this;
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }

    /** The finished archive (adds the trailer). */
    public byte[] toBytes() {
        entry("TRAILER!!!", 0, new byte[0], 0, 0);
        return out.toByteArray();
    }
}
