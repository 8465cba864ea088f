/*
 * relay: the floor of any switch that runs as a process of its own. It listens on a unix stream socket, takes
 * exactly two connections (two tapbridges) and copies bytes between them: one read of up to 256 KiB per readiness
 * and a blocking write of all of it to the other side. No framing, no switching, no counters: whatever a real
 * switch spends beyond this is its own; what this costs beside the direct wire is the price of the extra process.
 *
 *   relay PATH [--spin | --splice]
 *
 * --spin polls epoll without ever sleeping (one core at 100%), the best a busy-polling switch can do.
 * --splice moves the bytes with splice(2) through a pipe per direction instead of read and write: the kernel passes
 * page references from one socket to the other, so the relay copies nothing itself (Linux's unix stream sockets
 * splice both ways). The floor of a switch that copies no frame.
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

static char buf[2][256 * 1024];

static void die(const char *what) {
    fprintf(stderr, "relay: %s: %s\n", what, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--spin") != 0 && strcmp(argv[2], "--splice") != 0)) {
        fprintf(stderr, "usage: relay PATH [--spin | --splice]\n");
        return 1;
    }
    int spin = argc == 3 && strcmp(argv[2], "--spin") == 0;
    int use_splice = argc == 3 && !spin;
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
            ssize_t r = read(fd[i], buf[i], sizeof buf[i]);
            if (r == 0) return 0;
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return errno == ECONNRESET ? 0 : (die("read"), 1);
            }
            if (write_full(fd[1 - i], buf[i], r) < 0) return 0;
        }
    }
}
