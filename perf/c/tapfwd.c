/*
 * tapfwd — the C baseline of the end-to-end forwarding comparison: a layer-2 patch cable
 * between two TAP devices, written the plain way (one read and one write system call per
 * frame), so that the Node forwarder is compared against the best a simple C program does
 * with the same kernel interface.
 *
 *   tapfwd --a NAME --b NAME [--one]
 *
 * Opens (creates) two TAP devices in the current network namespace (IFF_TAP | IFF_NO_PI,
 * O_NONBLOCK; Linux Documentation/networking/tuntap.rst), prints "ready" on stdout once both
 * are open, then waits for readiness with epoll and copies every frame read on one device to
 * the other. Default: on each wakeup, read until EAGAIN (a batch per readiness). --one: read
 * one frame per wakeup (the one-frame-per-readiness reference). Runs until SIGTERM/SIGINT,
 * prints its counters on stderr and exits 0. The devices are not persistent: they vanish when
 * the process exits. The netdevs may be moved to other namespaces while open
 * (`ip link set NAME netns NS`); the file descriptors stay attached.
 *
 * Reading until EAGAIN lets one direction starve the other under overload; the benchmark
 * sends one way, and frames going back (TCP ACKs) arrive at a much lower rate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Largest frame a TAP hands over without IFF_VNET_HDR: MTU up to 65535 plus Ethernet. */
#define FRAME_MAX 65550

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int open_tap(const char *name) {
  if (strlen(name) >= IFNAMSIZ) {
    fprintf(stderr, "tapfwd: device name too long: %s\n", name);
    return -1;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    perror("tapfwd: open /dev/net/tun");
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    fprintf(stderr, "tapfwd: TUNSETIFF %s: %s\n", name, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

struct side {
  int fd;
  const char *name;
  uint64_t rx;       /* frames read from this device */
  uint64_t tx;       /* frames written to this device */
  uint64_t tx_err;   /* writes the kernel refused */
  uint64_t wakeups;  /* epoll reports of readiness */
};

/* Copies frames from `in` to `out`: one, or until EAGAIN. Returns -1 on a fatal read error. */
static int pump(struct side *in, struct side *out, int one, unsigned char *buf) {
  in->wakeups++;
  for (;;) {
    ssize_t n = read(in->fd, buf, FRAME_MAX);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) return 0;
      fprintf(stderr, "tapfwd: read %s: %s\n", in->name, strerror(errno));
      return -1;
    }
    in->rx++;
    if (write(out->fd, buf, (size_t)n) == n)
      out->tx++;
    else
      out->tx_err++;
    if (one) return 0;
  }
}

static void usage(void) {
  fprintf(stderr, "usage: tapfwd --a NAME --b NAME [--one]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *a_name = NULL, *b_name = NULL;
  int one = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--a") == 0 && i + 1 < argc)
      a_name = argv[++i];
    else if (strcmp(argv[i], "--b") == 0 && i + 1 < argc)
      b_name = argv[++i];
    else if (strcmp(argv[i], "--one") == 0)
      one = 1;
    else
      usage();
  }
  if (a_name == NULL || b_name == NULL) usage();

  /* No SA_RESTART: epoll_wait returns EINTR and the loop sees the flag. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct side s[2] = {{.fd = -1, .name = a_name}, {.fd = -1, .name = b_name}};
  s[0].fd = open_tap(a_name);
  if (s[0].fd < 0) return 1;
  s[1].fd = open_tap(b_name);
  if (s[1].fd < 0) return 1;

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    perror("tapfwd: epoll_create1");
    return 1;
  }
  for (int i = 0; i < 2; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &ev) < 0) {
      perror("tapfwd: epoll_ctl");
      return 1;
    }
  }
  unsigned char *buf = malloc(FRAME_MAX);
  if (buf == NULL) return 1;

  printf("ready\n");
  fflush(stdout);

  int status = 0;
  while (!stop_requested) {
    struct epoll_event evs[2];
    int n = epoll_wait(ep, evs, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("tapfwd: epoll_wait");
      status = 1;
      break;
    }
    for (int i = 0; i < n; i++) {
      uint32_t k = evs[i].data.u32;
      if (pump(&s[k], &s[k ^ 1], one, buf) < 0) {
        status = 1;
        stop_requested = 1;
      }
    }
  }
  fprintf(stderr,
          "tapfwd: %s rx %llu tx %llu tx_err %llu wakeups %llu; %s rx %llu tx %llu tx_err %llu "
          "wakeups %llu\n",
          s[0].name, (unsigned long long)s[0].rx, (unsigned long long)s[0].tx,
          (unsigned long long)s[0].tx_err, (unsigned long long)s[0].wakeups, s[1].name,
          (unsigned long long)s[1].rx, (unsigned long long)s[1].tx,
          (unsigned long long)s[1].tx_err, (unsigned long long)s[1].wakeups);
  close(s[0].fd);
  close(s[1].fd);
  close(ep);
  free(buf);
  return status;
}
