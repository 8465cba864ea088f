/*
 * fdconnect: attach a program to unix stream sockets the way Lima attaches QEMU to a `socket:` network.
 *
 *   fdconnect SOCKET [SOCKET...] -- COMMAND [ARG...]
 *
 * Connects each SOCKET (AF_UNIX, SOCK_STREAM) in order, puts the i-th connection on file descriptor 3+i with
 * close-on-exec cleared, and execs COMMAND, which inherits them. This is what Lima's QEMU driver does for
 * `networks: [{socket: PATH}]`: its `{{ fd_connect PATH }}` template (pkg/driver/qemu/qemu_driver.go,
 * qArgTemplateApplier.applyTemplate) dials the socket, and the connections become exec.Cmd.ExtraFiles, entry i
 * being descriptor 3+i, named to QEMU as `-netdev socket,id=netN,fd=3+i`. socket_vmnet_client (client/main.c in
 * lima-vm/socket_vmnet) is the same idea for one socket. Nothing is read or written on the connections here:
 * there is no handshake, the bytes are the QEMU stream protocol from the first frame on.
 *
 * A socket that cannot be connected is an error (exit 1, with the reason on stderr), as it fails `limactl start`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int connect_unix(const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "fdconnect: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "fdconnect: socket: %s\n", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "fdconnect: connect %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv) {
    int sep = 1;
    while (sep < argc && strcmp(argv[sep], "--") != 0) {
        sep++;
    }
    int n = sep - 1;
    if (n < 1 || sep + 1 >= argc) {
        fprintf(stderr, "usage: fdconnect SOCKET [SOCKET...] -- COMMAND [ARG...]\n");
        return 2;
    }
    int *fds = calloc((size_t)n, sizeof(int));
    if (fds == NULL) {
        perror("fdconnect: calloc");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        int fd = connect_unix(argv[1 + i]);
        if (fd < 0) {
            return 1;
        }
        /* Park above the target range first, so that placing one never overwrites another. */
        int parked = fcntl(fd, F_DUPFD_CLOEXEC, 3 + n);
        if (parked < 0) {
            fprintf(stderr, "fdconnect: F_DUPFD: %s\n", strerror(errno));
            return 1;
        }
        close(fd);
        fds[i] = parked;
    }
    for (int i = 0; i < n; i++) {
        /* dup2 leaves FD_CLOEXEC clear on the new descriptor, so the program inherits it. */
        if (dup2(fds[i], 3 + i) < 0) {
            fprintf(stderr, "fdconnect: dup2: %s\n", strerror(errno));
            return 1;
        }
        close(fds[i]);
    }
    free(fds);
    execvp(argv[sep + 1], argv + sep + 1);
    fprintf(stderr, "fdconnect: exec %s: %s\n", argv[sep + 1], strerror(errno));
    return 1;
}
