/* The reference load client: epoll, one thread, N connections to a loopback echo server.
 * pingpong: each connection sends SIZE bytes, waits for all SIZE to come back, repeats (closed loop); prints round trips/s.
 * stream:   each connection writes 64 KiB chunks as fast as it can and reads the echo back; prints MiB/s received.
 * Usage: echo_load HOST PORT CONNECTIONS SECONDS SIZE pingpong|stream [MESSAGE]
 * With MESSAGE (pingpong only), each connection sends MESSAGE instead of SIZE bytes of 'x' and waits for SIZE bytes back:
 * a request and a reply of another content, for a server that answers rather than echoes (sockit mock, mountebank). */
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
#include <time.h>
#include <unistd.h>

struct conn { int fd; long got; };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN); /* a peer that closes while we write is an error to handle, not a reason to die */
    if (argc < 7) { fprintf(stderr, "usage: echo_load HOST PORT CONNECTIONS SECONDS SIZE pingpong|stream [MESSAGE]\n"); return 2; }
    int conns = atoi(argv[3]), size = atoi(argv[5]), stream = strcmp(argv[6], "stream") == 0, one = 1;
    double seconds = atof(argv[4]);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &a.sin_addr);
    if ((ntohl(a.sin_addr.s_addr) >> 24) != 127) { fprintf(stderr, "loopback only\n"); return 2; }
    int ep = epoll_create1(0);
    struct conn *cs = calloc(conns, sizeof *cs);
    static char out[65536], in[65536];
    memset(out, 'x', sizeof out);
    int sent = size; /* what each round trip sends */
    if (argc > 7) { sent = strlen(argv[7]); if (sent > (int)sizeof out) return 2; memcpy(out, argv[7], sent); }
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
        fcntl(fd, F_SETFL, O_NONBLOCK);
        cs[i].fd = fd;
        struct epoll_event ev = { .events = stream ? EPOLLIN | EPOLLOUT : EPOLLIN, .data.ptr = &cs[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        if (!stream) write(fd, out, sent);
    }
    long trips = 0, bytes = 0;
    double start = now(), end = start + seconds;
    struct epoll_event events[256];
    while (now() < end) {
        int n = epoll_wait(ep, events, 256, 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (events[i].events & EPOLLIN) {
                ssize_t r = read(c->fd, in, sizeof in);
                if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; fprintf(stderr, "server closed\n"); return 1; }
                bytes += r;
                if (!stream) {
                    c->got += r;
                    if (c->got >= size) { c->got -= size; trips++; write(c->fd, out, sent); }
                }
            }
            if (stream && (events[i].events & EPOLLOUT)) write(c->fd, out, sizeof out);
        }
    }
    double took = now() - start;
    if (stream) printf("%.1f\n", bytes / took / 1048576.0);
    else printf("%.0f\n", trips / took);
    return 0;
}
