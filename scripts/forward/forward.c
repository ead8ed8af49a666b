/*
 * forward: a bare TCP forwarder, a yardstick for scripts/bench-proxy.sh
 * (FORWARDERS=1). It reads nothing of what it forwards: one thread per
 * direction of each connection, blocking read(2) and write(2). It shows
 * what a hop costs on the machine when the relay is plain OS threads.
 *
 *   cc -O2 -pthread -o forward forward.c && ./forward LISTEN_PORT UPSTREAM_PORT
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connection's two sockets; the second thread to finish closes them. */
struct conn { int client, server, running; };
struct pipe_ends { struct conn *conn; int from, to; };

static void *pump(void *arg) {
  struct pipe_ends *p = arg;
  char buf[65536];
  ssize_t n;
  while ((n = read(p->from, buf, sizeof buf)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(p->to, buf + off, n - off);
      if (w <= 0) goto done;
      off += w;
    }
  }
done:
  shutdown(p->to, SHUT_WR);
  shutdown(p->from, SHUT_RD);
  if (__atomic_sub_fetch(&p->conn->running, 1, __ATOMIC_ACQ_REL) == 0) {
    close(p->conn->client);
    close(p->conn->server);
    free(p->conn);
  }
  free(p);
  return NULL;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static void start(struct conn *conn, int from, int to) {
  struct pipe_ends *p = malloc(sizeof *p);
  pthread_t t;
  p->conn = conn;
  p->from = from;
  p->to = to;
  if (pthread_create(&t, NULL, pump, p) != 0) {
    perror("forward: thread");
    exit(1);
  }
  pthread_detach(t);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: forward LISTEN_PORT UPSTREAM_PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); /* a peer gone mid-write ends its connection, not the forwarder */
  int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in listen_at = loopback(atoi(argv[1])), upstream = loopback(atoi(argv[2]));
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(ls, (struct sockaddr *)&listen_at, sizeof listen_at) || listen(ls, 128)) {
    perror("forward: listen");
    return 1;
  }
  for (;;) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) continue;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&upstream, sizeof upstream)) {
      perror("forward: connect");
      close(c);
      close(s);
      continue;
    }
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *conn = malloc(sizeof *conn);
    conn->client = c;
    conn->server = s;
    conn->running = 2;
    start(conn, c, s);
    start(conn, s, c);
  }
}
