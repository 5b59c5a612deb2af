// Per-environment addon state: the error factory the TypeScript layer registers.
#pragma once

#include <napi.h>

namespace dmm_tuntap {

struct AddonData {
  // (code, message, details) => Error; builds the project's DmmError.
  Napi::FunctionReference errorFactory;
};

}  // namespace dmm_tuntap
