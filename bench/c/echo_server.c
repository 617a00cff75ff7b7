/* The reference: a minimal single-threaded epoll echo server, the practical limit of this machine for sockit serve echo.
 * Usage: echo_server PORT   (binds 127.0.0.1 only) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define BUF 65536

struct conn { int fd; char *pending; size_t len, off; };

static void nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN); /* a peer that closes while we write is an error to handle, not a reason to die */
    if (argc < 2) { fprintf(stderr, "usage: echo_server PORT\n"); return 2; }
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) { perror("bind/listen"); return 1; }
    nonblock(ls);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, events[MAX_EVENTS];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    static char buf[BUF];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept(ls, NULL, NULL)) >= 0) {
                    nonblock(fd);
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    struct epoll_event ce = { .events = EPOLLIN, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                }
                continue;
            }
            if (c->pending) { /* writable again: flush what the last write left */
                ssize_t w = write(c->fd, c->pending + c->off, c->len - c->off);
                if (w > 0) c->off += w;
                if (c->off == c->len) {
                    free(c->pending); c->pending = NULL;
                    struct epoll_event ce = { .events = EPOLLIN, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ce);
                }
                if (w < 0 && errno != EAGAIN) goto close_it;
                continue;
            }
            ssize_t r = read(c->fd, buf, BUF);
            if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; goto close_it; }
            ssize_t w = write(c->fd, buf, r);
            if (w < 0) { if (errno != EAGAIN) goto close_it; w = 0; }
            if (w < r) {
                c->pending = malloc(r - w); memcpy(c->pending, buf + w, r - w); c->len = r - w; c->off = 0;
                struct epoll_event ce = { .events = EPOLLOUT, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ce);
            }
            continue;
        close_it:
            close(c->fd); free(c->pending); free(c);
        }
    }
}
