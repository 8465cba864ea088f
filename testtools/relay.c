/*
 * relay: the floor of any switch that runs as a process of its own. It listens on a unix stream socket, takes
 * exactly two connections (two tapbridges) and copies bytes between them: one read of up to 256 KiB per readiness
 * and a blocking write of all of it to the other side. No framing, no switching, no counters: whatever a real
 * switch spends beyond this is its own; what this costs beside the direct wire is the price of the extra process.
 *
 *   relay PATH [--spin | --splice | --frames]
 *
 * --spin polls epoll without ever sleeping (one core at 100%), the best a busy-polling switch can do.
 * --splice moves the bytes with splice(2) through a pipe per direction instead of read and write: the kernel passes
 * page references from one socket to the other, so the relay copies nothing itself (Linux's unix stream sockets
 * splice both ways). The floor of a switch that copies no frame.
 * --frames passes on only whole records ([4-byte length][frame], QEMU's stream format): the tail of a frame still
 * arriving waits for its rest, as in a switch, which must see a whole frame before it can send it (store and
 * forward), where the plain relay passes every byte on as it comes (cut-through).
 * Prints "relay: listening" once the socket accepts; exits 0 when either side closes, 1 on an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "full_io.h"

#define READ_MAX (256 * 1024)
static char buf[2][READ_MAX + 4 + 65536 + 4];
static size_t held[2]; /* --frames: bytes of an unfinished record at the start of buf[i] */

static void die(const char *what) {
    fprintf(stderr, "relay: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--spin") != 0 && strcmp(argv[2], "--splice") != 0
            && strcmp(argv[2], "--frames") != 0)) {
        fprintf(stderr, "usage: relay PATH [--spin | --splice | --frames]\n");
        return 1;
    }
    int spin = argc == 3 && strcmp(argv[2], "--spin") == 0;
    int use_splice = argc == 3 && strcmp(argv[2], "--splice") == 0;
    int frames = argc == 3 && strcmp(argv[2], "--frames") == 0;
    int pipes[2][2];
    for (int i = 0; use_splice && i < 2; i++) {
        if (pipe(pipes[i]) < 0) die("pipe");
        fcntl(pipes[i][1], F_SETPIPE_SZ, 1024 * 1024); /* best effort: 64 KiB otherwise */
    }
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(argv[1]) >= sizeof addr.sun_path) {
        fprintf(stderr, "relay: path too long\n");
        return 1;
    }
    strcpy(addr.sun_path, argv[1]);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    unlink(argv[1]);
    if (bind(listener, (struct sockaddr *) &addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 2) < 0) die("listen");
    printf("relay: listening\n");
    fflush(stdout);
    int fd[2];
    for (int i = 0; i < 2; i++) {
        fd[i] = accept(listener, NULL, NULL);
        if (fd[i] < 0) die("accept");
    }
    close(listener);
    unlink(argv[1]);
    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    for (int i = 0; i < 2; i++) {
        struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e) < 0) die("epoll_ctl");
    }
    for (;;) {
        struct epoll_event ev[2];
        int n = epoll_wait(ep, ev, 2, spin ? 0 : -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int k = 0; k < n; k++) {
            int i = ev[k].data.u32;
            if (use_splice) {
                ssize_t r = splice(fd[i], NULL, pipes[i][1], NULL, sizeof buf[i], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (r == 0) return 0;
                if (r < 0) {
                    if (errno == EINTR || errno == EAGAIN) continue;
                    return errno == ECONNRESET ? 0 : (die("splice in"), 1);
                }
                while (r > 0) { /* all of it out to the other side, blocking as write_full does */
                    ssize_t w = splice(pipes[i][0], NULL, fd[1 - i], NULL, (size_t) r, SPLICE_F_MOVE);
                    if (w < 0) {
                        if (errno == EINTR) continue;
                        return 0;
                    }
                    r -= w;
                }
                continue;
            }
            ssize_t r = read(fd[i], buf[i] + held[i], READ_MAX);
            if (r == 0) return 0;
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return errno == ECONNRESET ? 0 : (die("read"), 1);
            }
            size_t have = held[i] + (size_t) r, whole = have;
            if (frames) { /* up to the end of the last whole record; the rest waits at the start of the buffer */
                size_t at = 0;
                for (;;) {
                    if (have - at < 4) break;
                    unsigned char *p = (unsigned char *) buf[i] + at;
                    size_t len = (size_t) p[0] << 24 | (size_t) p[1] << 16 | (size_t) p[2] << 8 | p[3];
                    if (len > 65536 + 4) { fprintf(stderr, "relay: frame of %zu bytes\n", len); return 1; }
                    if (have - at < 4 + len) break;
                    at += 4 + len;
                }
                whole = at;
            }
            if (whole > 0 && write_full(fd[1 - i], buf[i], whole) < 0) return 0;
            held[i] = have - whole;
            if (held[i] > 0) memmove(buf[i], buf[i] + whole, held[i]);
        }
    }
}
