// Module entry: exports the Device class, the error-factory hook and a few
// kernel constants the TypeScript layer validates against (IFNAMSIZ from
// <net/if.h>).
#include <napi.h>

#include <net/if.h>

#include "device.h"
#include "errors.h"

namespace dmm_tuntap {
namespace {

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowBadArgument(env, "setErrorFactory: expected a function");
  }
  AddonData* data = env.GetInstanceData<AddonData>();
  data->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData<AddonData>(new AddonData());
  exports.Set("Device", Device::Define(env));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("IFNAMSIZ", Napi::Number::New(env, IFNAMSIZ));
  return exports;
}

}  // namespace
}  // namespace dmm_tuntap

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return dmm_tuntap::Init(env, exports);
}

NODE_API_MODULE(tuntap, InitModule)
