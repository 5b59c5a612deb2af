// Batched zero-copy frame I/O between a TAP/TUN queue and one ArrayBuffer.
//
// A TAP/TUN queue fd delivers exactly one frame per read(2) and accepts
// exactly one frame per write(2) (Documentation/networking/tuntap.rst; with
// IFF_NO_PI there is no prefix, so a TAP frame starts at the Ethernet header
// and a TUN frame at the IP header). There is no recvmmsg for these fds, so a
// batch is a tight loop of system calls in one native call: arguments are
// validated once per call, then every frame goes straight between the kernel
// and the slab at the offset the caller chose (its headroom), with no N-API
// call, allocation or copy per frame.
//
// A frame longer than the read buffer is cut by the kernel, and the read
// returns only the bytes copied (tun_chr_read_iter clamps to the buffer), so
// each frame is read with readv(2) into its slot plus one spare byte outside
// the slab: a result of capacity + 1 means the frame did not fit. A truncated
// frame is useless to a router, so it is counted and dropped, and its slot is
// reused for the next frame.
//
// With IFF_VNET_HDR each frame read and written starts with the 10-byte
// virtio-net header (device.cc); these loops do not look at it: the caller
// points `offsets` 10 bytes before the packet (into its headroom) and counts
// the header in capacity and lengths.
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "device.h"

namespace dmm_tuntap {

namespace {

struct U32Span {
  uint32_t* data;
  size_t length;
};

U32Span U32Arg(Napi::Env env, const Napi::Value& v, const char* what) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!v.IsTypedArray() ||
      napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint32_array) {
    ThrowBadArgument(env, std::string(what) + " must be a Uint32Array");
  }
  return U32Span{static_cast<uint32_t*>(data), length};
}

uint32_t CountArg(Napi::Env env, const Napi::Value& v, const char* what) {
  double d;
  if (!v.IsNumber() || napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) ||
      d > 4294967295.0 || std::floor(d) != d) {
    ThrowBadArgument(env, std::string(what) + " must be an integer in [0, 2^32)");
  }
  return static_cast<uint32_t>(d);
}

}  // namespace

// attachSlab(ab: ArrayBuffer)
Napi::Value Device::AttachSlab(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "attachSlab");
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) {
    ThrowBadArgument(env, "attachSlab: expected an ArrayBuffer");
  }
  // A strong reference keeps the slab alive as long as the device uses it.
  slab_ = Napi::Persistent(info[0].As<Napi::ArrayBuffer>());
  return env.Undefined();
}

// The slab's memory, fetched once per call: an ArrayBuffer can be detached
// (transferred) after attachSlab, and then its old pointer must not be used.
static void SlabOrThrow(Napi::Env env, const Napi::Reference<Napi::ArrayBuffer>& slab,
                        uint8_t** base, size_t* len) {
  if (slab.IsEmpty()) ThrowBadArgument(env, "no slab attached (call attachSlab first)");
  napi_value ab = slab.Value();
  void* data = nullptr;
  size_t n = 0;
  if (napi_get_arraybuffer_info(env, ab, &data, &n) != napi_ok || data == nullptr || n == 0) {
    ThrowBadArgument(env, "the attached slab is detached or empty");
  }
  *base = static_cast<uint8_t*>(data);
  *len = n;
}

// readBatch(offsets: Uint32Array, capacity: number, lengths: Uint32Array,
//           max: number): number
// Reads up to `max` frames; frame i lands at slab[offsets[i]] (at most
// `capacity` bytes) and its length goes to lengths[i]. Returns the count (0
// when the queue was empty). An error after some frames were read returns
// those frames; the next call reports it.
Napi::Value Device::ReadBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "readBatch");
  uint8_t* base;
  size_t slabLen;
  SlabOrThrow(env, slab_, &base, &slabLen);
  U32Span offsets = U32Arg(env, info[0], "offsets");
  uint32_t capacity = CountArg(env, info[1], "capacity");
  U32Span lengths = U32Arg(env, info[2], "lengths");
  uint32_t max = CountArg(env, info[3], "max");
  if (max > offsets.length || max > lengths.length) {
    ThrowBadArgument(env, "readBatch: max exceeds the length of offsets or lengths");
  }
  if (capacity == 0 || capacity > slabLen) {
    ThrowBadArgument(env, "readBatch: capacity must be in [1, slab length]");
  }
  const size_t last = slabLen - capacity;  // highest valid offset
  const uint32_t* off = offsets.data;
  for (uint32_t i = 0; i < max; i++) {
    if (off[i] > last) {
      ThrowBadArgument(env, "readBatch: offsets[" + std::to_string(i) + "] + capacity (" +
                                std::to_string(static_cast<uint64_t>(off[i]) + capacity) +
                                ") exceeds the slab (" + std::to_string(slabLen) + " bytes)");
    }
  }

  c_.reads++;
  const int fd = fd_;
  uint32_t* len = lengths.data;
  uint32_t n = 0;
  int err = 0;
  uint8_t spare;
  struct iovec iov[2];
  iov[0].iov_len = capacity;
  iov[1].iov_base = &spare;
  iov[1].iov_len = 1;
  while (n < max) {
    iov[0].iov_base = base + off[n];
    ssize_t r = readv(fd, iov, 2);
    if (r >= 0) {
      if (static_cast<size_t>(r) > capacity) {
        c_.readTruncated++;
        continue;
      }
      len[n++] = static_cast<uint32_t>(r);
      continue;
    }
    int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN) {
      c_.readEagain++;
      break;
    }
    err = e;
    break;
  }
  c_.readFrames += n;
  if (err != 0 && n == 0) {
    // EBADFD: the netdev was deleted under us; EIO likewise.
    ThrowErrno(env, err, "read", "cannot read frames", openedName_);
  }
  return Napi::Number::New(env, n);
}

// writeBatch(offsets: Uint32Array, lengths: Uint32Array, count: number): number
// Writes frames 0..count-1 (slab[offsets[i], offsets[i] + lengths[i])). Stops
// when the kernel says "try again" (EAGAIN, ENOBUFS). A frame the kernel
// refuses for another reason (EINVAL for a runt, EIO while the device is down,
// ...) is counted in writeErrors and skipped. Returns the number of frames
// finished, sent or skipped: frames [0, n) are done, [n, count) were not tried.
// If the device is gone and no frame was finished, throws DEVICE_GONE.
Napi::Value Device::WriteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "writeBatch");
  uint8_t* base;
  size_t slabLen;
  SlabOrThrow(env, slab_, &base, &slabLen);
  U32Span offsets = U32Arg(env, info[0], "offsets");
  U32Span lengths = U32Arg(env, info[1], "lengths");
  uint32_t count = CountArg(env, info[2], "count");
  if (count > offsets.length || count > lengths.length) {
    ThrowBadArgument(env, "writeBatch: count exceeds the length of offsets or lengths");
  }
  const uint32_t* off = offsets.data;
  const uint32_t* len = lengths.data;
  for (uint32_t i = 0; i < count; i++) {
    if (len[i] > slabLen || off[i] > slabLen - len[i]) {
      ThrowBadArgument(env, "writeBatch: frame " + std::to_string(i) + " [" +
                                std::to_string(off[i]) + ", +" + std::to_string(len[i]) +
                                ") is outside the slab (" + std::to_string(slabLen) + " bytes)");
    }
  }

  c_.writes++;
  const int fd = fd_;
  uint32_t i = 0;
  uint64_t sent = 0;
  int gone = 0;
  while (i < count) {
    ssize_t w = write(fd, base + off[i], len[i]);
    if (w >= 0) {
      sent++;
      i++;
      continue;
    }
    int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == ENOBUFS) {
      c_.writeEagain++;
      break;
    }
    if (e == EBADFD || e == ENODEV) {
      gone = e;
      break;
    }
    c_.writeErrors++;
    c_.lastWriteErrno = e;
    i++;
  }
  c_.writeFrames += sent;
  if (gone != 0 && i == 0) {
    ThrowErrno(env, gone, "write", "cannot write frames", openedName_);
  }
  return Napi::Number::New(env, i);
}

}  // namespace dmm_tuntap
