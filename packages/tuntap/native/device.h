// TAP/TUN device handle for Node.js (Linux only).
//
// One Device owns one queue file descriptor of a TAP or TUN netdev
// (Documentation/networking/tuntap.rst), a control socket living in the
// network namespace the netdev is in (for SIOCxIFxxx ioctls and rtnetlink
// requests, rtnetlink(7)), an optional libuv poll handle, and a reference to
// the ArrayBuffer that batched I/O reads into and writes from.
//
// The member functions are split by concern:
//   device.cc   open/create, configuration (MAC, MTU, flags, persist), close
//   netns.cc    moving the netdev into another namespace (RTM_NEWLINK +
//               IFLA_NET_NS_FD) and creating sockets inside a namespace
//   batch_io.cc the slab and the readBatch/writeBatch loops
//   poller.cc   readiness through uv_poll_t
#pragma once

#include <napi.h>
#include <uv.h>

#include <net/if.h>

#include <cstdint>
#include <string>

namespace dmm_tuntap {

// Stable error codes; the TypeScript layer exports the same strings.
extern const char* const kErrPermission;
extern const char* const kErrNameInUse;
extern const char* const kErrDeviceGone;
extern const char* const kErrBadArgument;
extern const char* const kErrSystem;

// Size of the virtio-net header with IFF_VNET_HDR (struct virtio_net_hdr,
// <linux/virtio_net.h>; see device.cc).
constexpr int kVnetHdrSize = 10;

// Per-device counters, read by stats(). Plain integers: a device is used from
// the JavaScript thread only.
struct Counters {
  uint64_t reads = 0;          // readBatch calls that reached the read loop
  uint64_t readFrames = 0;     // frames delivered to the caller
  uint64_t readEagain = 0;     // read(2) calls that ended a batch with EAGAIN
  uint64_t readTruncated = 0;  // frames longer than `capacity`, dropped
  uint64_t writes = 0;         // writeBatch calls that reached the write loop
  uint64_t writeFrames = 0;    // frames the kernel accepted
  uint64_t writeEagain = 0;    // write(2) calls that stopped a batch (EAGAIN/ENOBUFS)
  uint64_t writeErrors = 0;    // frames the kernel refused, skipped
  uint64_t pollReadable = 0;   // readable callbacks delivered
  uint64_t pollWritable = 0;   // writable callbacks delivered
  int lastWriteErrno = 0;      // errno of the last refused frame
};

// Throws a coded error (a DmmError when the factory is registered).
[[noreturn]] void ThrowCoded(Napi::Env env, const char* code, const std::string& message,
                             Napi::Object details);
[[noreturn]] void ThrowBadArgument(Napi::Env env, const std::string& message);
// Throws for a failed system call. `einvalCode` is the code EINVAL maps to for
// this call (the kernel uses EINVAL both for bad input and for odd states).
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& what,
                             const std::string& ifname, const char* einvalCode = nullptr);
// Builds (does not throw) a coded error object, for callbacks.
Napi::Value MakeCodedError(Napi::Env env, const char* code, const std::string& message,
                           Napi::Object details);
// The code an errno maps to (see README "Errors").
const char* CodeForErrno(int err, const char* einvalCode);

// Opens a socket inside the namespace `nsFd` (or the caller's when nsFd < 0)
// by switching the calling thread there and back. Returns the fd, or -errno.
int SocketInNetns(int nsFd, int domain, int type, int protocol);

class Device : public Napi::ObjectWrap<Device> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Device(const Napi::CallbackInfo& info);
  ~Device() override;

 private:
  // device.cc
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetIfindex(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetMac(const Napi::CallbackInfo& info);
  Napi::Value SetMac(const Napi::CallbackInfo& info);
  Napi::Value GetMtu(const Napi::CallbackInfo& info);
  Napi::Value SetMtu(const Napi::CallbackInfo& info);
  Napi::Value GetUp(const Napi::CallbackInfo& info);
  Napi::Value SetUp(const Napi::CallbackInfo& info);
  Napi::Value GetPersist(const Napi::CallbackInfo& info);
  Napi::Value SetPersist(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // netns.cc
  Napi::Value MoveToNetns(const Napi::CallbackInfo& info);
  Napi::Value GetNetns(const Napi::CallbackInfo& info);
  // batch_io.cc
  Napi::Value AttachSlab(const Napi::CallbackInfo& info);
  Napi::Value ReadBatch(const Napi::CallbackInfo& info);
  Napi::Value WriteBatch(const Napi::CallbackInfo& info);
  // poller.cc
  Napi::Value OnReadable(const Napi::CallbackInfo& info);
  Napi::Value OffReadable(const Napi::CallbackInfo& info);
  Napi::Value OnWritable(const Napi::CallbackInfo& info);
  Napi::Value OffWritable(const Napi::CallbackInfo& info);
  Napi::Value RefLoop(const Napi::CallbackInfo& info);
  Napi::Value UnrefLoop(const Napi::CallbackInfo& info);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void UpdatePoll(Napi::Env env);
  void StopPoll();
  void Invoke(Napi::Env env, Napi::FunctionReference& cb, napi_value arg);

  // Helpers (device.cc).
  void EnsureOpen(Napi::Env env, const char* op) const;
  // Current interface name, read from the queue fd (TUNGETIFF) so a rename or
  // a namespace move by someone else is seen.
  std::string CurrentName(Napi::Env env) const;
  // ioctl on the control socket for the current name; throws on failure.
  void CtlIoctl(Napi::Env env, unsigned long req, struct ifreq* ifr, const char* syscall,
                const char* einvalCode = nullptr) const;
  void ReleaseAll();

  int fd_ = -1;        // the queue fd (O_NONBLOCK)
  int ctl_ = -1;       // NETLINK_ROUTE socket in the netdev's namespace
  int nsFd_ = -1;      // that namespace, or -1 for the one we were opened in
  std::string netns_;  // its name under /var/run/netns, empty for the original
  bool tap_ = true;
  bool vnetHdr_ = false;  // IFF_VNET_HDR: frames carry a kVnetHdrSize-byte header
  bool persist_ = false;
  std::string openedName_;  // name at open time, for error messages after close

  // Batched I/O target.
  Napi::Reference<Napi::ArrayBuffer> slab_;

  // Readiness.
  uv_poll_t* poll_ = nullptr;
  int pollEvents_ = 0;
  bool loopRef_ = true;
  bool pinned_ = false;
  Napi::FunctionReference readCb_;
  Napi::FunctionReference writeCb_;
  napi_async_context asyncCtx_ = nullptr;
  int inCallback_ = 0;  // >0 while a JS readiness callback runs

  Counters c_;
};

}  // namespace dmm_tuntap
