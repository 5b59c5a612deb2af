// Opening, configuring and closing a TAP/TUN queue.
//
// Kernel interface (Documentation/networking/tuntap.rst, <linux/if_tun.h>):
//   open("/dev/net/tun") then TUNSETIFF with IFF_TAP or IFF_TUN, always
//   IFF_NO_PI (frames carry no 4-byte packet-information prefix), optionally
//   IFF_MULTI_QUEUE (each open file is one queue) and IFF_TUN_EXCL (fail if
//   the name exists). TUNSETIFF creates the netdev or attaches to an existing
//   one of the same kind; TUNSETPERSIST keeps it after the last close.
//   Interface settings go through netdevice(7) ioctls (SIOCGIFHWADDR,
//   SIOCSIFMTU, SIOCSIFFLAGS, ...) on a control socket that lives in the
//   namespace the netdev is in.
//
// Offloads (optional, `vnetHdr`): IFF_VNET_HDR puts a struct virtio_net_hdr
// (<linux/virtio_net.h>) in front of every frame read and written, and
// TUNSETOFFLOAD tells the kernel which of those the reader copes with
// (drivers/net/tun.c set_offload(): TUN_F_CSUM turns on NETIF_F_HW_CSUM,
// TUN_F_TSO6 NETIF_F_TSO6). The kernel then hands over TCP/IPv6 super-packets
// of up to 64 KB with a partial checksum instead of segmenting them, and takes
// them back the same way (virtio_net_hdr_to_skb). The header is 10 bytes
// (TUNSETVNETHDRSZ): the 12-byte virtio_net_hdr_mrg_rxbuf only adds
// num_buffers, which means nothing without a virtio ring. TUNSETVNETLE fixes its
// byte order to little-endian whatever the host (tun_is_little_endian()).
#include "device.h"

#include <fcntl.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dmm_tuntap {

namespace {

constexpr const char* kTunPath = "/dev/net/tun";

bool OptBool(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

void CopyName(struct ifreq* ifr, const std::string& name) {
  std::memset(ifr->ifr_name, 0, IFNAMSIZ);
  std::memcpy(ifr->ifr_name, name.data(), name.size() < IFNAMSIZ ? name.size() : IFNAMSIZ - 1);
}

}  // namespace

Napi::Function Device::Define(Napi::Env env) {
  return DefineClass(
      env, "Device",
      {
          InstanceMethod<&Device::Close>("close"),
          InstanceMethod<&Device::IsClosed>("isClosed"),
          InstanceMethod<&Device::GetName>("getName"),
          InstanceMethod<&Device::GetIfindex>("getIfindex"),
          InstanceMethod<&Device::GetFd>("getFd"),
          InstanceMethod<&Device::GetMac>("getMac"),
          InstanceMethod<&Device::SetMac>("setMac"),
          InstanceMethod<&Device::GetMtu>("getMtu"),
          InstanceMethod<&Device::SetMtu>("setMtu"),
          InstanceMethod<&Device::GetUp>("getUp"),
          InstanceMethod<&Device::SetUp>("setUp"),
          InstanceMethod<&Device::GetPersist>("getPersist"),
          InstanceMethod<&Device::SetPersist>("setPersist"),
          InstanceMethod<&Device::Stats>("stats"),
          InstanceMethod<&Device::MoveToNetns>("moveToNetns"),
          InstanceMethod<&Device::GetNetns>("getNetns"),
          InstanceMethod<&Device::AttachSlab>("attachSlab"),
          InstanceMethod<&Device::ReadBatch>("readBatch"),
          InstanceMethod<&Device::WriteBatch>("writeBatch"),
          InstanceMethod<&Device::OnReadable>("onReadable"),
          InstanceMethod<&Device::OffReadable>("offReadable"),
          InstanceMethod<&Device::OnWritable>("onWritable"),
          InstanceMethod<&Device::OffWritable>("offWritable"),
          InstanceMethod<&Device::RefLoop>("ref"),
          InstanceMethod<&Device::UnrefLoop>("unref"),
      });
}

// new Device({ name, tap, multiQueue, persist, exclusive, vnetHdr })
Device::Device(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Device>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowBadArgument(env, "Device: expected an options object");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  std::string name;
  Napi::Value nv = o.Get("name");
  if (nv.IsString()) {
    name = nv.As<Napi::String>().Utf8Value();
  } else if (!nv.IsUndefined() && !nv.IsNull()) {
    ThrowBadArgument(env, "Device: name must be a string");
  }
  if (name.size() > IFNAMSIZ - 1) {
    ThrowBadArgument(env, "interface name \"" + name + "\" is longer than " +
                              std::to_string(IFNAMSIZ - 1) + " bytes");
  }
  if (name.find('\0') != std::string::npos) {
    ThrowBadArgument(env, "interface name contains a NUL byte");
  }
  vnetHdr_ = OptBool(o, "vnetHdr");
  tap_ = OptBool(o, "tap");
  bool multiQueue = OptBool(o, "multiQueue");
  bool exclusive = OptBool(o, "exclusive");
  bool persist = OptBool(o, "persist");

  int fd = open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("errno", Napi::Number::New(env, e));
      d.Set("errnoName", "ENOENT");
      d.Set("syscall", "open");
      d.Set("path", kTunPath);
      ThrowCoded(env, kErrSystem,
                 std::string(kTunPath) + " does not exist (is the tun module loaded?)", d);
    }
    ThrowErrno(env, e, "open", std::string("open ") + kTunPath, name);
  }

  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = static_cast<short>((tap_ ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                                     (multiQueue ? IFF_MULTI_QUEUE : 0) |
                                     (exclusive ? IFF_TUN_EXCL : 0) |
                                     (vnetHdr_ ? IFF_VNET_HDR : 0));
  CopyName(&ifr, name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    // The kernel answers EINVAL when the name exists but is another kind of
    // device (TUN vs TAP, not a tun device at all, or a different
    // IFF_MULTI_QUEUE setting), and EBUSY when a single-queue device already
    // has its queue open or IFF_TUN_EXCL found the name taken.
    if (e == EINVAL && !name.empty() && if_nametoindex(name.c_str()) != 0) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("errno", Napi::Number::New(env, e));
      d.Set("errnoName", "EINVAL");
      d.Set("syscall", "ioctl(TUNSETIFF)");
      d.Set("ifname", name);
      ThrowCoded(env, kErrNameInUse,
                 "a device named " + name + " exists and is not a " +
                     (tap_ ? "TAP" : "TUN") + " device with the same multi-queue setting",
                 d);
    }
    ThrowErrno(env, e, "ioctl(TUNSETIFF)",
               std::string("cannot open ") + (tap_ ? "TAP" : "TUN") + " device", name,
               kErrBadArgument);
  }
  fd_ = fd;
  openedName_ = ifr.ifr_name;

  if (vnetHdr_) {
    int hdrSize = kVnetHdrSize;
    int le = 1;
    // TSO_ECN is left out: a super-packet with CWR set is then segmented by the
    // kernel before it reaches us (no VIRTIO_NET_HDR_GSO_ECN to honour on output).
    unsigned int offloads = TUN_F_CSUM | TUN_F_TSO6;
    const char* failed = nullptr;
    if (ioctl(fd_, TUNSETVNETHDRSZ, &hdrSize) < 0) {
      failed = "ioctl(TUNSETVNETHDRSZ)";
    } else if (ioctl(fd_, TUNSETVNETLE, &le) < 0) {
      failed = "ioctl(TUNSETVNETLE)";
    } else if (ioctl(fd_, TUNSETOFFLOAD, offloads) < 0) {
      failed = "ioctl(TUNSETOFFLOAD)";
    }
    if (failed != nullptr) {
      int e = errno;
      close(fd_);
      fd_ = -1;
      ThrowErrno(env, e, failed, "cannot enable the virtio-net header offloads", openedName_,
                 kErrBadArgument);
    }
  }

  // The control socket: any socket reaches the netdevice ioctls (the core
  // falls back to dev_ioctl for families without their own), and a
  // NETLINK_ROUTE one also carries the rtnetlink move request.
  ctl_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (ctl_ < 0) {
    int e = errno;
    ReleaseAll();
    ThrowErrno(env, e, "socket", "cannot create the control socket", openedName_);
  }
  if (persist) {
    if (ioctl(fd_, TUNSETPERSIST, 1) < 0) {
      int e = errno;
      ReleaseAll();
      ThrowErrno(env, e, "ioctl(TUNSETPERSIST)", "cannot make the device persistent",
                 openedName_);
    }
    persist_ = true;
  } else {
    // Attaching to an existing persistent device keeps its flag; report it.
    struct ifreq cur;
    std::memset(&cur, 0, sizeof cur);
    if (ioctl(fd_, TUNGETIFF, &cur) == 0) persist_ = (cur.ifr_flags & IFF_PERSIST) != 0;
  }
}

Device::~Device() { ReleaseAll(); }

void Device::ReleaseAll() {
  StopPoll();
  readCb_.Reset();
  writeCb_.Reset();
  // Closing inside a callback: the async context is still in use by
  // napi_make_callback; Invoke() destroys it once the callback returns.
  if (asyncCtx_ != nullptr && inCallback_ == 0) {
    napi_async_destroy(Env(), asyncCtx_);
    asyncCtx_ = nullptr;
  }
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (ctl_ >= 0) close(ctl_);
  ctl_ = -1;
  if (nsFd_ >= 0) close(nsFd_);
  nsFd_ = -1;
  slab_.Reset();
}

void Device::EnsureOpen(Napi::Env env, const char* op) const {
  if (fd_ >= 0) return;
  Napi::Object d = Napi::Object::New(env);
  d.Set("closed", Napi::Boolean::New(env, true));
  d.Set("ifname", openedName_);
  d.Set("op", op);
  ThrowCoded(env, kErrDeviceGone, std::string(op) + ": device " + openedName_ + " is closed", d);
}

std::string Device::CurrentName(Napi::Env env) const {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd_, TUNGETIFF, &ifr) < 0) {
    ThrowErrno(env, errno, "ioctl(TUNGETIFF)", "cannot read the device name", openedName_);
  }
  return std::string(ifr.ifr_name);
}

void Device::CtlIoctl(Napi::Env env, unsigned long req, struct ifreq* ifr, const char* syscall,
                      const char* einvalCode) const {
  std::string name = CurrentName(env);
  CopyName(ifr, name);
  if (ioctl(ctl_, req, ifr) < 0) {
    ThrowErrno(env, errno, syscall, syscall, name, einvalCode);
  }
}

Napi::Value Device::Close(const Napi::CallbackInfo& info) {
  // Idempotent. Polling stops before the fd is closed (uv_poll_stop removes
  // it from epoll), so this is safe inside a readiness callback.
  ReleaseAll();
  if (pinned_) {
    pinned_ = false;
    Unref();
  }
  return info.Env().Undefined();
}

Napi::Value Device::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), fd_ < 0);
}

Napi::Value Device::GetName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "name");
  return Napi::String::New(env, CurrentName(env));
}

Napi::Value Device::GetIfindex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "ifindex");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  CtlIoctl(env, SIOCGIFINDEX, &ifr, "ioctl(SIOCGIFINDEX)");
  return Napi::Number::New(env, ifr.ifr_ifindex);
}

Napi::Value Device::GetFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "fd");
  return Napi::Number::New(env, fd_);
}

Napi::Value Device::GetMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "mac");
  if (!tap_) ThrowBadArgument(env, "a TUN device has no MAC address");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  CtlIoctl(env, SIOCGIFHWADDR, &ifr, "ioctl(SIOCGIFHWADDR)");
  Napi::Uint8Array out = Napi::Uint8Array::New(env, 6);
  std::memcpy(out.Data(), ifr.ifr_hwaddr.sa_data, 6);
  return out;
}

Napi::Value Device::SetMac(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "mac");
  if (!tap_) ThrowBadArgument(env, "a TUN device has no MAC address");
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      info[0].As<Napi::Uint8Array>().ElementLength() != 6) {
    ThrowBadArgument(env, "mac must be a 6-byte Uint8Array");
  }
  Napi::Uint8Array mac = info[0].As<Napi::Uint8Array>();
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
  std::memcpy(ifr.ifr_hwaddr.sa_data, mac.Data(), 6);
  // eth_mac_addr() refuses multicast and all-zero addresses with EADDRNOTAVAIL;
  // the TypeScript layer rejects those before we get here.
  CtlIoctl(env, SIOCSIFHWADDR, &ifr, "ioctl(SIOCSIFHWADDR)", kErrBadArgument);
  return env.Undefined();
}

Napi::Value Device::GetMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "mtu");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  CtlIoctl(env, SIOCGIFMTU, &ifr, "ioctl(SIOCGIFMTU)");
  return Napi::Number::New(env, ifr.ifr_mtu);
}

Napi::Value Device::SetMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "mtu");
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowBadArgument(env, "mtu must be a number");
  double v = info[0].As<Napi::Number>().DoubleValue();
  if (!(v >= 0 && v <= 0x7fffffff) || v != static_cast<double>(static_cast<int64_t>(v))) {
    ThrowBadArgument(env, "mtu must be a non-negative integer");
  }
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_mtu = static_cast<int>(v);
  // dev_set_mtu() answers EINVAL outside [min_mtu, max_mtu] (68..65535 for tun).
  CtlIoctl(env, SIOCSIFMTU, &ifr, "ioctl(SIOCSIFMTU)", kErrBadArgument);
  return env.Undefined();
}

Napi::Value Device::GetUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "up");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  CtlIoctl(env, SIOCGIFFLAGS, &ifr, "ioctl(SIOCGIFFLAGS)");
  return Napi::Boolean::New(env, (ifr.ifr_flags & IFF_UP) != 0);
}

Napi::Value Device::SetUp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "up");
  if (info.Length() < 1 || !info[0].IsBoolean()) ThrowBadArgument(env, "up must be a boolean");
  bool up = info[0].As<Napi::Boolean>().Value();
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  CtlIoctl(env, SIOCGIFFLAGS, &ifr, "ioctl(SIOCGIFFLAGS)");
  bool isUp = (ifr.ifr_flags & IFF_UP) != 0;
  if (isUp == up) return env.Undefined();
  ifr.ifr_flags = static_cast<short>(up ? (ifr.ifr_flags | IFF_UP) : (ifr.ifr_flags & ~IFF_UP));
  CtlIoctl(env, SIOCSIFFLAGS, &ifr, "ioctl(SIOCSIFFLAGS)");
  return env.Undefined();
}

Napi::Value Device::GetPersist(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "persist");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  if (ioctl(fd_, TUNGETIFF, &ifr) < 0) {
    ThrowErrno(env, errno, "ioctl(TUNGETIFF)", "cannot read the device flags", openedName_);
  }
  persist_ = (ifr.ifr_flags & IFF_PERSIST) != 0;
  return Napi::Boolean::New(env, persist_);
}

Napi::Value Device::SetPersist(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "persist");
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    ThrowBadArgument(env, "persist must be a boolean");
  }
  bool on = info[0].As<Napi::Boolean>().Value();
  if (ioctl(fd_, TUNSETPERSIST, on ? 1 : 0) < 0) {
    ThrowErrno(env, errno, "ioctl(TUNSETPERSIST)", "cannot change persistence", openedName_);
  }
  persist_ = on;
  return env.Undefined();
}

Napi::Value Device::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto put = [&](const char* k, uint64_t v) {
    o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
  };
  put("reads", c_.reads);
  put("readFrames", c_.readFrames);
  put("readEagain", c_.readEagain);
  put("readTruncated", c_.readTruncated);
  put("writes", c_.writes);
  put("writeFrames", c_.writeFrames);
  put("writeEagain", c_.writeEagain);
  put("writeErrors", c_.writeErrors);
  put("pollReadable", c_.pollReadable);
  put("pollWritable", c_.pollWritable);
  o.Set("lastWriteErrno", Napi::Number::New(env, c_.lastWriteErrno));
  o.Set("vnetHdrSize", Napi::Number::New(env, vnetHdr_ ? kVnetHdrSize : 0));
  return o;
}

}  // namespace dmm_tuntap
