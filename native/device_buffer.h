// A block of CUDA device memory owned by a JS object: freed by dispose(), or by the finalizer
// when the object is collected, whichever comes first.
#pragma once

#include <napi.h>
#include <stdint.h>

namespace mixdim {

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit DeviceBuffer(const Napi::CallbackInfo& info);
  ~DeviceBuffer() override;

  void* data() const { return data_; }
  int64_t byte_length() const { return byte_length_; }
  int device() const { return device_; }
  bool disposed() const { return disposed_; }

  // Allocates a buffer of `bytes` on `device` from native code (for kernel outputs).
  static Napi::Object create(Napi::Env env, int device, int64_t bytes);

 private:
  Napi::Value upload(const Napi::CallbackInfo& info);
  Napi::Value download(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value get_byte_length(const Napi::CallbackInfo& info);
  Napi::Value get_device(const Napi::CallbackInfo& info);
  Napi::Value get_disposed(const Napi::CallbackInfo& info);
  void release();

  void* data_ = nullptr;
  int64_t byte_length_ = 0;
  int device_ = 0;
  bool disposed_ = false;
};

}  // namespace mixdim
