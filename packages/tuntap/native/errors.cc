// Coded errors for the TAP/TUN addon.
//
// Every error the addon throws carries a stable `code` and a `details` object
// with `errno`, `errnoName`, `syscall` and the interface name when a system
// call failed. The TypeScript layer registers a factory (setErrorFactory) that
// builds the project's DmmError; without it a plain Error with the same
// properties is thrown.
#include "errors.h"

#include <cerrno>
#include <cstring>

#include "device.h"

namespace dmm_tuntap {

const char* const kErrPermission = "DMM_ERR_TUNTAP_PERMISSION";
const char* const kErrNameInUse = "DMM_ERR_TUNTAP_NAME_IN_USE";
const char* const kErrDeviceGone = "DMM_ERR_TUNTAP_DEVICE_GONE";
const char* const kErrBadArgument = "DMM_ERR_TUNTAP_BAD_ARGUMENT";
const char* const kErrSystem = "DMM_ERR_TUNTAP_SYSTEM";

Napi::Value MakeCodedError(Napi::Env env, const char* code, const std::string& message,
                           Napi::Object details) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->errorFactory.IsEmpty()) {
    return data->errorFactory.Call(
        {Napi::String::New(env, code), Napi::String::New(env, message), details});
  }
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  e.Set("details", details);
  return e.Value();
}

void ThrowCoded(Napi::Env env, const char* code, const std::string& message,
                Napi::Object details) {
  throw Napi::Error(env, MakeCodedError(env, code, message, details));
}

void ThrowBadArgument(Napi::Env env, const std::string& message) {
  ThrowCoded(env, kErrBadArgument, message, Napi::Object::New(env));
}

const char* CodeForErrno(int err, const char* einvalCode) {
  switch (err) {
    case EPERM:
    case EACCES:
      return kErrPermission;
    case EBUSY:
    case EEXIST:
      return kErrNameInUse;
    case ENODEV:
    case ENXIO:
    case EBADFD:
    case EIO:
      return kErrDeviceGone;
    case EADDRNOTAVAIL:  // eth_mac_addr(): multicast or zero MAC
      return kErrBadArgument;
    case EINVAL:
      return einvalCode != nullptr ? einvalCode : kErrSystem;
    default:
      return kErrSystem;
  }
}

void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& what,
                const std::string& ifname, const char* einvalCode) {
  const char* code = CodeForErrno(err, einvalCode);
  const char* name = strerrorname_np(err);
  std::string message = what;
  if (!ifname.empty()) message += " (" + ifname + ")";
  message += ": ";
  message += std::strerror(err);
  if (name != nullptr) {
    message += " [";
    message += name;
    message += "]";
  }
  if (code == kErrPermission) {
    message += "; TAP/TUN and network namespace operations need CAP_NET_ADMIN (run as root)";
  } else if (code == kErrNameInUse) {
    message += "; the name is taken (a single-queue device open elsewhere, or an exclusive open)";
  }
  Napi::Object details = Napi::Object::New(env);
  details.Set("errno", Napi::Number::New(env, err));
  details.Set("errnoName", Napi::String::New(env, name != nullptr ? name : "UNKNOWN"));
  details.Set("syscall", Napi::String::New(env, syscall));
  if (!ifname.empty()) details.Set("ifname", Napi::String::New(env, ifname));
  ThrowCoded(env, code, message, details);
}

}  // namespace dmm_tuntap
