/*
 * udpgen — traffic source of the end-to-end forwarding comparison: prebuilt
 * Ethernet II + IPv6 (RFC 8200 §3) + UDP (RFC 768) frames sent from an AF_PACKET raw socket
 * with sendmmsg, as fast as the socket takes them, for a time or a count.
 *
 *   udpgen --dev IF --src-mac MAC --dst-mac MAC --src IP6 --dst IP6
 *          [--seconds S | --count N] [--payload 64] [--sport 10000] [--ports 16]
 *          [--dport 9] [--batch 64]
 *   udpgen --dump --src-mac MAC --dst-mac MAC --src IP6 --dst IP6 [...]
 *
 * --dump prints the first frame in hex and exits without sending (no socket, no root): the
 * tests compare it with an independently built frame.
 *
 * The frames differ only in the UDP source port (sport .. sport+ports-1), so a receiver
 * that spreads flows (RPS, multi-queue) sees several. The UDP checksum is computed over the
 * RFC 8200 §8.1 pseudo-header (mandatory for UDP over IPv6). PACKET_QDISC_BYPASS hands
 * frames straight to the driver: the generator measures what the path takes, not a queue.
 *
 * Prints one JSON line on stdout when done:
 *   {"sent":N,"errors":E,"seconds":S,"pps":P,"frameLen":L}
 * where errors counts frames sendmmsg refused (ENOBUFS and the like). SIGINT/SIGTERM stop
 * early and still print.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 256
#define MAX_BATCH 1024
#define ETH_LEN 14
#define IP6_LEN 40
#define UDP_LEN 8

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void) {
  fprintf(stderr,
          "usage: udpgen --dev IF --src-mac MAC --dst-mac MAC --src IP6 --dst IP6\n"
          "              [--seconds S | --count N] [--payload 64] [--sport 10000] [--ports 16]\n"
          "              [--dport 9] [--batch 64]\n"
          "       udpgen --dump --src-mac MAC --dst-mac MAC --src IP6 --dst IP6 [...]\n");
  exit(2);
}

static int parse_mac(const char *s, uint8_t out[6]) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) {
    if (v[i] > 0xff) return -1;
    out[i] = (uint8_t)v[i];
  }
  return 0;
}

/* RFC 1071 sum of big-endian 16-bit words, unfolded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t acc) {
  size_t i = 0;
  for (; i + 1 < len; i += 2) acc += (uint32_t)((p[i] << 8) | p[i + 1]);
  if (i < len) acc += (uint32_t)(p[i] << 8);
  return acc;
}

static uint16_t fold(uint32_t acc) {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)acc;
}

/* Builds one frame; returns its length. */
static size_t build_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6],
                          const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
                          uint16_t dport, size_t payload) {
  size_t udp_len = UDP_LEN + payload;
  memcpy(f, dmac, 6);
  memcpy(f + 6, smac, 6);
  f[12] = 0x86; /* EtherType IPv6, RFC 2464 §3 */
  f[13] = 0xdd;
  uint8_t *ip = f + ETH_LEN;
  ip[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
  ip[1] = ip[2] = ip[3] = 0;
  ip[4] = (uint8_t)(udp_len >> 8);
  ip[5] = (uint8_t)udp_len;
  ip[6] = 17; /* UDP */
  ip[7] = 64; /* hop limit */
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
  uint8_t *udp = ip + IP6_LEN;
  udp[0] = (uint8_t)(sport >> 8);
  udp[1] = (uint8_t)sport;
  udp[2] = (uint8_t)(dport >> 8);
  udp[3] = (uint8_t)dport;
  udp[4] = (uint8_t)(udp_len >> 8);
  udp[5] = (uint8_t)udp_len;
  udp[6] = udp[7] = 0;
  for (size_t i = 0; i < payload; i++) udp[UDP_LEN + i] = (uint8_t)i;
  /* Pseudo-header: src, dst, upper-layer length (32 bits), zeros, next header (RFC 8200 §8.1). */
  uint32_t acc = sum16(src, 16, 0);
  acc = sum16(dst, 16, acc);
  acc += (uint32_t)udp_len;
  acc += 17;
  acc = sum16(udp, udp_len, acc);
  uint16_t c = (uint16_t)~fold(acc);
  if (c == 0) c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
  udp[6] = (uint8_t)(c >> 8);
  udp[7] = (uint8_t)c;
  return ETH_LEN + IP6_LEN + udp_len;
}

int main(int argc, char **argv) {
  const char *dev = NULL, *smac_s = NULL, *dmac_s = NULL, *src_s = NULL, *dst_s = NULL;
  double seconds = 0;
  unsigned long long count = 0;
  long payload = 64, sport = 10000, ports = 16, dport = 9, batch = 64;
  int dump = 0;
  for (int i = 1; i < argc; i++) {
    const char *k = argv[i];
    if (strcmp(k, "--dump") == 0) {
      dump = 1;
      continue;
    }
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (strcmp(k, "--dev") == 0) dev = v;
    else if (strcmp(k, "--src-mac") == 0) smac_s = v;
    else if (strcmp(k, "--dst-mac") == 0) dmac_s = v;
    else if (strcmp(k, "--src") == 0) src_s = v;
    else if (strcmp(k, "--dst") == 0) dst_s = v;
    else if (strcmp(k, "--seconds") == 0) seconds = atof(v);
    else if (strcmp(k, "--count") == 0) count = strtoull(v, NULL, 10);
    else if (strcmp(k, "--payload") == 0) payload = atol(v);
    else if (strcmp(k, "--sport") == 0) sport = atol(v);
    else if (strcmp(k, "--ports") == 0) ports = atol(v);
    else if (strcmp(k, "--dport") == 0) dport = atol(v);
    else if (strcmp(k, "--batch") == 0) batch = atol(v);
    else usage();
  }
  uint8_t smac[6], dmac[6], src[16], dst[16];
  if ((!dev && !dump) || !smac_s || !dmac_s || !src_s || !dst_s) usage();
  if (parse_mac(smac_s, smac) || parse_mac(dmac_s, dmac)) {
    fprintf(stderr, "udpgen: bad MAC address\n");
    return 2;
  }
  if (inet_pton(AF_INET6, src_s, src) != 1 || inet_pton(AF_INET6, dst_s, dst) != 1) {
    fprintf(stderr, "udpgen: bad IPv6 address\n");
    return 2;
  }
  if ((seconds <= 0 && count == 0 && !dump) || payload < 0 || payload > 1452 || ports < 1 ||
      ports > MAX_PORTS || batch < 1 || batch > MAX_BATCH || sport < 1 ||
      sport + ports - 1 > 65535 || dport < 1 || dport > 65535) {
    fprintf(stderr, "udpgen: bad option value\n");
    return 2;
  }

  static uint8_t frames[MAX_PORTS][ETH_LEN + IP6_LEN + UDP_LEN + 1452];
  size_t flen = 0;
  for (long p = 0; p < ports; p++)
    flen = build_frame(frames[p], dmac, smac, src, dst, (uint16_t)(sport + p), (uint16_t)dport,
                       (size_t)payload);
  if (dump) {
    for (size_t i = 0; i < flen; i++) printf("%02x", frames[0][i]);
    printf("\n");
    return 0;
  }

  int ifindex = (int)if_nametoindex(dev);
  if (ifindex == 0) {
    fprintf(stderr, "udpgen: no interface %s\n", dev);
    return 1;
  }
  /* Protocol 0: this socket sends only and never queues received frames. */
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("udpgen: socket(AF_PACKET)");
    return 1;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex;
  sll.sll_protocol = htons(ETH_P_IPV6);
  sll.sll_halen = 6;
  memcpy(sll.sll_addr, dmac, 6);
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) {
    perror("udpgen: PACKET_QDISC_BYPASS (continuing through the qdisc)");
  }


  static struct mmsghdr msgs[MAX_BATCH];
  static struct iovec iovs[MAX_BATCH];
  for (long i = 0; i < batch; i++) {
    iovs[i].iov_base = frames[i % ports];
    iovs[i].iov_len = flen;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_name = &sll;
    msgs[i].msg_hdr.msg_namelen = sizeof sll;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  unsigned long long sent = 0, errors = 0;
  double t0 = now_s(), deadline = seconds > 0 ? t0 + seconds : 0;
  while (!stop_requested) {
    unsigned int want = (unsigned int)batch;
    if (count > 0) {
      unsigned long long offered = sent + errors;
      if (offered >= count) break;
      if (count - offered < want) want = (unsigned int)(count - offered);
    }
    int n = sendmmsg(fd, msgs, want, 0);
    if (n >= 0) {
      sent += (unsigned long long)n;
    } else if (errno == ENOBUFS || errno == EAGAIN || errno == ENETDOWN || errno == ENXIO) {
      errors++; /* the first frame of the batch was refused; the rest is offered again */
    } else if (errno != EINTR) {
      perror("udpgen: sendmmsg");
      return 1;
    }
    if (deadline > 0 && now_s() >= deadline) break;
  }
  double el = now_s() - t0;
  printf("{\"sent\":%llu,\"errors\":%llu,\"seconds\":%.6f,\"pps\":%.1f,\"frameLen\":%zu}\n", sent,
         errors, el, el > 0 ? (double)sent / el : 0.0, flen);
  fflush(stdout);
  close(fd);
  return 0;
}
