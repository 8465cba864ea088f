/*
 * full_io.h: reads and writes of exactly n bytes on a blocking descriptor, retried after EINTR and short
 * transfers; shared by the small test tools (rr.c, relay.c), each built from its own .c file.
 */
#ifndef USERV2_FULL_IO_H
#define USERV2_FULL_IO_H

#include <errno.h>
#include <unistd.h>

/* Reads exactly n bytes: 0, or -1 on an error or end of stream. */
static inline int read_full(int fd, char *p, long n) {
    while (n > 0) {
        ssize_t r = read(fd, p, (size_t) n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= r;
    }
    return 0;
}

/* Writes exactly n bytes: 0, or -1 on an error (the peer gone, say). */
static inline int write_full(int fd, const char *p, long n) {
    while (n > 0) {
        ssize_t w = write(fd, p, (size_t) n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= w;
    }
    return 0;
}

#endif
