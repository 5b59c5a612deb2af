// Readiness of the queue fd through libuv (uv_poll_t, level-triggered epoll).
//
// One uv_poll_t per device, started for UV_READABLE and/or UV_WRITABLE while a
// JavaScript callback is registered. Each readiness event makes one callback
// (through napi_make_callback, so promise jobs and process.nextTick callbacks
// queued inside it run before the loop continues); the callback is expected to
// drain the queue with readBatch. No threads, no streams.
//
// A TAP/TUN fd is writable whenever the device is up (tun_chr_poll,
// tun_sock_writeable), so a writable callback fires on every loop iteration:
// register it only while frames wait for the kernel and remove it when they
// are gone. A device that is down is never writable.
//
// When the netdev is deleted, tun_chr_poll reports EPOLLERR; libuv then stops
// the handle and calls back with UV_EBADF, which we pass on as a DEVICE_GONE
// error to the readable (or else the writable) callback.
//
// While polling, the device object is pinned (a strong reference), so it is
// not collected while the kernel can still call us back. close() stops the
// handle before the fd is closed and frees it from uv_close's callback, so
// closing inside a callback is safe.
#include "device.h"

namespace dmm_tuntap {

namespace {

void FreeHandle(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

bool CallbackArg(const Napi::CallbackInfo& info) {
  return info.Length() >= 1 && info[0].IsFunction();
}

}  // namespace

void Device::StopPoll() {
  if (poll_ == nullptr) return;
  poll_->data = nullptr;
  uv_poll_stop(poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreeHandle);
  poll_ = nullptr;
  pollEvents_ = 0;
}

void Device::UpdatePoll(Napi::Env env) {
  int events = (readCb_.IsEmpty() ? 0 : UV_READABLE) | (writeCb_.IsEmpty() ? 0 : UV_WRITABLE);
  if (events == 0) {
    if (poll_ != nullptr) uv_poll_stop(poll_);
    pollEvents_ = 0;
    if (pinned_) {
      pinned_ = false;
      Unref();
    }
    return;
  }
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowCoded(env, kErrSystem, "cannot get the event loop", Napi::Object::New(env));
    }
    uv_poll_t* h = new uv_poll_t;
    int rc = uv_poll_init(loop, h, fd_);
    if (rc != 0) {
      delete h;
      Napi::Object d = Napi::Object::New(env);
      d.Set("uvError", uv_err_name(rc));
      d.Set("syscall", "uv_poll_init");
      ThrowCoded(env, kErrSystem, std::string("uv_poll_init: ") + uv_strerror(rc), d);
    }
    h->data = this;
    if (!loopRef_) uv_unref(reinterpret_cast<uv_handle_t*>(h));
    poll_ = h;
  }
  if (asyncCtx_ == nullptr) {
    napi_async_init(env, nullptr, Napi::String::New(env, "dmm.tuntap"), &asyncCtx_);
  }
  if (events != pollEvents_ || !uv_is_active(reinterpret_cast<uv_handle_t*>(poll_))) {
    int rc = uv_poll_start(poll_, events, OnPoll);
    if (rc != 0) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("uvError", uv_err_name(rc));
      d.Set("syscall", "uv_poll_start");
      ThrowCoded(env, kErrSystem, std::string("uv_poll_start: ") + uv_strerror(rc), d);
    }
    pollEvents_ = events;
  }
  if (!pinned_) {
    pinned_ = true;
    Ref();
  }
}

void Device::Invoke(Napi::Env env, Napi::FunctionReference& cb, napi_value arg) {
  Napi::Function fn = cb.Value();  // a local handle: the callback may reset `cb`
  napi_value result;
  napi_value argv[1] = {arg};
  size_t argc = arg == nullptr ? 0 : 1;
  inCallback_++;
  napi_status st = napi_make_callback(env, asyncCtx_, Value(), fn, argc, argv, &result);
  inCallback_--;
  if (inCallback_ == 0 && fd_ < 0 && asyncCtx_ != nullptr) {
    napi_async_destroy(env, asyncCtx_);  // closed inside the callback
    asyncCtx_ = nullptr;
  }
  if (st == napi_pending_exception) {
    // The callback threw: report it like any uncaught exception.
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

void Device::OnPoll(uv_poll_t* handle, int status, int events) {
  Device* self = static_cast<Device*>(handle->data);
  if (self == nullptr || self->poll_ != handle) return;
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  if (status < 0) {
    // libuv has stopped the handle (POLLERR): the device is gone.
    self->pollEvents_ = 0;
    Napi::Object d = Napi::Object::New(env);
    d.Set("uvError", uv_err_name(status));
    d.Set("ifname", self->openedName_);
    d.Set("syscall", "poll");
    napi_value err = MakeCodedError(env, kErrDeviceGone,
                                          "device " + self->openedName_ +
                                              " reported an error while polling (deleted?)",
                                          d);
    Napi::FunctionReference& cb = self->readCb_.IsEmpty() ? self->writeCb_ : self->readCb_;
    if (!cb.IsEmpty()) self->Invoke(env, cb, err);
    return;
  }
  if ((events & UV_READABLE) != 0 && !self->readCb_.IsEmpty()) {
    self->c_.pollReadable++;
    self->Invoke(env, self->readCb_, nullptr);
  }
  // The readable callback may have closed the device or removed callbacks.
  if (self->poll_ != handle) return;
  if ((events & UV_WRITABLE) != 0 && !self->writeCb_.IsEmpty()) {
    self->c_.pollWritable++;
    self->Invoke(env, self->writeCb_, nullptr);
  }
}

Napi::Value Device::OnReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "onReadable");
  if (!CallbackArg(info)) ThrowBadArgument(env, "onReadable: expected a function");
  readCb_ = Napi::Persistent(info[0].As<Napi::Function>());
  UpdatePoll(env);
  return env.Undefined();
}

Napi::Value Device::OffReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return env.Undefined();
  readCb_.Reset();
  UpdatePoll(env);
  return env.Undefined();
}

Napi::Value Device::OnWritable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "onWritable");
  if (!CallbackArg(info)) ThrowBadArgument(env, "onWritable: expected a function");
  writeCb_ = Napi::Persistent(info[0].As<Napi::Function>());
  UpdatePoll(env);
  return env.Undefined();
}

Napi::Value Device::OffWritable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) return env.Undefined();
  writeCb_.Reset();
  UpdatePoll(env);
  return env.Undefined();
}

// ref()/unref(): whether an active poll keeps the event loop alive
// (uv_ref/uv_unref, like net.Socket#unref).
Napi::Value Device::RefLoop(const Napi::CallbackInfo& info) {
  loopRef_ = true;
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value Device::UnrefLoop(const Napi::CallbackInfo& info) {
  loopRef_ = false;
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

}  // namespace dmm_tuntap
