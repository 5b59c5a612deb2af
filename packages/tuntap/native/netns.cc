// Moving the netdev into another network namespace, and sockets inside one.
//
// rtnetlink(7): an RTM_NEWLINK request for an existing ifindex that carries
// IFLA_NET_NS_FD (a file descriptor of the target namespace) moves the link
// (dev_change_net_namespace). The ifindex is looked up in the namespace of
// the netlink socket, so the request goes through the control socket that
// lives where the device is now. The kernel takes the device down while it
// moves it; addresses and routes do not follow.
//
// Named namespaces are the files `ip netns add` bind-mounts under
// /var/run/netns (ip-netns(8)). setns(2) with CLONE_NEWNET changes the
// namespace of the calling thread only: we switch, create the socket, and
// switch back before returning, on every path. If switching back fails the
// process would keep running in the wrong namespace, so that aborts.
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "device.h"

namespace dmm_tuntap {

namespace {

constexpr const char* kNetnsDir = "/var/run/netns/";

// Closes the fd on scope exit unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Puts the calling thread into a namespace and back (RAII).
class NetnsSwitch {
 public:
  NetnsSwitch() = default;
  NetnsSwitch(const NetnsSwitch&) = delete;
  NetnsSwitch& operator=(const NetnsSwitch&) = delete;
  ~NetnsSwitch() { Leave(); }

  // 0 on success, else errno; on failure the thread has not moved.
  int Enter(int nsFd) {
    self_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self_ < 0) return errno;
    if (setns(nsFd, CLONE_NEWNET) < 0) {
      int e = errno;
      close(self_);
      self_ = -1;
      return e;
    }
    return 0;
  }

  void Leave() {
    if (self_ < 0) return;
    int rc = setns(self_, CLONE_NEWNET);
    close(self_);
    self_ = -1;
    if (rc < 0) {
      const char msg[] = "dmm tuntap: cannot return to the original network namespace";
      napi_fatal_error("dmm_tuntap::NetnsSwitch", NAPI_AUTO_LENGTH, msg, NAPI_AUTO_LENGTH);
    }
  }

 private:
  int self_ = -1;
};

// Sends one rtnetlink request and waits for its acknowledgement. Returns 0 or
// a positive errno.
int NetlinkRequest(int sock, struct nlmsghdr* req, uint32_t seq) {
  struct sockaddr_nl kernel;
  std::memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(sock, req, req->nlmsg_len, 0, reinterpret_cast<struct sockaddr*>(&kernel),
                  sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;
  // rtnetlink handles the request in sendmsg(), so the acknowledgement is
  // already queued; MSG_DONTWAIT keeps a missing one from hanging the loop.
  alignas(struct nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? ETIMEDOUT : errno;
    }
    int len = static_cast<int>(n);
    for (struct nlmsghdr* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, len);
         h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;  // a stale answer
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr* err = static_cast<const struct nlmsgerr*>(NLMSG_DATA(h));
        return -err->error;
      }
    }
  }
}

uint32_t NextSeq() {
  static uint32_t seq = 0;
  return ++seq;
}

bool ValidNetnsName(const std::string& ns) {
  return !ns.empty() && ns.size() <= 255 && ns != "." && ns != ".." &&
         ns.find('/') == std::string::npos && ns.find('\0') == std::string::npos;
}

}  // namespace

int SocketInNetns(int nsFd, int domain, int type, int protocol) {
  NetnsSwitch sw;
  if (nsFd >= 0) {
    int e = sw.Enter(nsFd);
    if (e != 0) return -e;
  }
  int s = socket(domain, type, protocol);
  return s < 0 ? -errno : s;
}

// moveToNetns(name)
Napi::Value Device::MoveToNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "moveToNetns");
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowBadArgument(env, "moveToNetns: expected a namespace name");
  }
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  if (!ValidNetnsName(ns)) {
    ThrowBadArgument(env, "moveToNetns: bad namespace name \"" + ns + "\"");
  }
  std::string name = CurrentName(env);
  std::string path = kNetnsDir + ns;

  FdGuard target(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.get() < 0) {
    int e = errno;
    if (e == ENOENT) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("errno", Napi::Number::New(env, e));
      d.Set("errnoName", "ENOENT");
      d.Set("syscall", "open");
      d.Set("netns", ns);
      d.Set("path", path);
      d.Set("ifname", name);
      ThrowCoded(env, kErrDeviceGone, "network namespace " + ns + " does not exist (no " + path + ")",
                 d);
    }
    ThrowErrno(env, e, "open", "cannot open network namespace " + path, name);
  }

  // The new control socket is made first: if the namespace cannot be
  // entered, nothing has changed yet.
  int s = SocketInNetns(target.get(), AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) {
    // setns() answers EINVAL when the file is not a network namespace (for
    // example a stale name whose bind mount is gone).
    ThrowErrno(env, -s, "setns", "cannot enter network namespace " + ns, name, kErrDeviceGone);
  }
  FdGuard newCtl(s);

  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  CtlIoctl(env, SIOCGIFINDEX, &ifr, "ioctl(SIOCGIFINDEX)");

  struct {
    struct nlmsghdr h;
    struct ifinfomsg i;
    alignas(NLMSG_ALIGNTO) char attrs[RTA_SPACE(sizeof(uint32_t))];
  } req;
  std::memset(&req, 0, sizeof req);
  uint32_t seq = NextSeq();
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  req.h.nlmsg_type = RTM_NEWLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.h.nlmsg_seq = seq;
  req.i.ifi_family = AF_UNSPEC;
  req.i.ifi_index = ifr.ifr_ifindex;
  struct rtattr* rta =
      reinterpret_cast<struct rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.h.nlmsg_len));
  rta->rta_type = IFLA_NET_NS_FD;
  rta->rta_len = RTA_LENGTH(sizeof(uint32_t));
  uint32_t nsfd = static_cast<uint32_t>(target.get());
  std::memcpy(RTA_DATA(rta), &nsfd, sizeof nsfd);
  req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_ALIGN(rta->rta_len);

  int e = NetlinkRequest(ctl_, &req.h, seq);
  if (e != 0) {
    if (e == EEXIST) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("errno", Napi::Number::New(env, e));
      d.Set("errnoName", "EEXIST");
      d.Set("syscall", "RTM_NEWLINK");
      d.Set("netns", ns);
      d.Set("ifname", name);
      ThrowCoded(env, kErrNameInUse,
                 "cannot move " + name + ": a device with that name exists in namespace " + ns, d);
    }
    ThrowErrno(env, e, "RTM_NEWLINK", "cannot move the device into network namespace " + ns, name);
  }

  if (ctl_ >= 0) close(ctl_);
  ctl_ = newCtl.release();
  if (nsFd_ >= 0) close(nsFd_);
  nsFd_ = target.release();
  netns_ = ns;
  return env.Undefined();
}

Napi::Value Device::GetNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (netns_.empty()) return env.Null();
  return Napi::String::New(env, netns_);
}

}  // namespace dmm_tuntap
