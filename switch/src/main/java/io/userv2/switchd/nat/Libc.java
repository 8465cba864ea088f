package io.userv2.switchd.nat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few Linux C library calls the JDK lacks for ping sockets, through JNA: {@code socket}, {@code connect},
 * {@code send}, {@code recvfrom} and {@code close} on an {@code AF_INET}/{@code SOCK_DGRAM}/{@code IPPROTO_ICMP}
 * socket (icmp(7)) or its {@code AF_INET6}/{@code IPPROTO_ICMPV6} twin, and the epoll(7) and eventfd(2) calls that tell when one is readable. Every call that fails
 * throws {@link LastErrorException} with the errno. The constants are the Linux values of the x86 and ARM ABIs
 * (the platforms JNA ships for that the daemon runs on). Stateless and thread-safe.
 */
interface Libc extends Library {
    int AF_INET = 2;
    int SOCK_DGRAM = 2;
    /** socket(2): "Set the O_NONBLOCK file status flag on the open file description". */
    int SOCK_NONBLOCK = 0x800;
    int SOCK_CLOEXEC = 0x80000;
    int IPPROTO_ICMP = 1;
    int AF_INET6 = 10;
    int IPPROTO_ICMPV6 = 58;

    int EPERM = 1;
    int EINTR = 4;
    int EAGAIN = 11;
    int EACCES = 13;
    int EPROTONOSUPPORT = 93;
    int ESOCKTNOSUPPORT = 94;
    int EAFNOSUPPORT = 97;
    int ENOBUFS = 105;

    int EPOLL_CLOEXEC = 0x80000;
    int EPOLL_CTL_ADD = 1;
    int EPOLL_CTL_DEL = 2;
    int EPOLL_CTL_MOD = 3;
    int EPOLLIN = 0x001;
    int EPOLLONESHOT = 1 << 30;
    int EFD_CLOEXEC = 0x80000;

    /**
     * The size of {@code struct epoll_event}, a 32-bit {@code events} and a 64-bit {@code data}: 12 bytes on x86
     * (glibc's sys/epoll.h declares it {@code __EPOLL_PACKED} on x86-64, and i386 aligns 64-bit integers to 4), 16
     * elsewhere (ARM, ...), where {@code data} is naturally aligned.
     */
    int EPOLL_EVENT_SIZE = Platform.isIntel() ? 12 : 16;
    /** Where {@code data} starts in a {@code struct epoll_event}. */
    int EPOLL_EVENT_DATA = Platform.isIntel() ? 4 : 8;

    /** Loads the C library (throws {@link UnsatisfiedLinkError} or another {@link LinkageError} when JNA cannot). */
    static Libc load() {
        return Native.load("c", Libc.class);
    }

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int connect(int fd, byte[] address, int addressLength) throws LastErrorException;

    NativeLong send(int fd, Pointer buf, NativeLong length, int flags) throws LastErrorException;

    NativeLong recvfrom(int fd, Pointer buf, NativeLong length, int flags, byte[] from, int[] fromLength)
            throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int epoll_create1(int flags) throws LastErrorException;

    int epoll_ctl(int epfd, int op, int fd, byte[] event) throws LastErrorException;

    int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMillis) throws LastErrorException;

    int eventfd(int initialValue, int flags) throws LastErrorException;

    NativeLong write(int fd, byte[] buf, NativeLong count) throws LastErrorException;

    int getegid();

    String strerror(int errno);
}
