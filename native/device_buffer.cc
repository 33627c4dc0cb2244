#include "device_buffer.h"

#include <string>

#include "../cuda/device_runtime.h"
#include "addon_data.h"
#include "arguments.h"
#include "js_errors.h"

namespace mixdim {

Napi::Function DeviceBuffer::define(Napi::Env env) {
  return DefineClass(env, "DeviceBuffer",
                     {
                         InstanceMethod<&DeviceBuffer::upload>("upload"),
                         InstanceMethod<&DeviceBuffer::download>("download"),
                         InstanceMethod<&DeviceBuffer::dispose>("dispose"),
                         InstanceAccessor<&DeviceBuffer::get_byte_length>("byteLength"),
                         InstanceAccessor<&DeviceBuffer::get_device>("device"),
                         InstanceAccessor<&DeviceBuffer::get_disposed>("disposed"),
                     });
}

// new DeviceBuffer(byteLength, device)
DeviceBuffer::DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
  const Napi::Env env = info.Env();
  const int64_t bytes = integer_in_range(info[0], "byteLength", 0, int64_t(1) << 48);
  device_ = static_cast<int>(integer_in_range(info[1], "device", 0, 1 << 20));
  with_js_errors(env, [&] {
    data_ = bytes > 0 ? cuda::allocate(device_, bytes) : nullptr;
    byte_length_ = bytes;
    return 0;
  });
}

DeviceBuffer::~DeviceBuffer() { release(); }

void DeviceBuffer::release() {
  if (data_ != nullptr) {
    cuda::release(device_, data_);
    data_ = nullptr;
  }
}

Napi::Object DeviceBuffer::create(Napi::Env env, int device, int64_t bytes) {
  return addon_data(env).device_buffer.New({Napi::Number::New(env, static_cast<double>(bytes)),
                                            Napi::Number::New(env, device)});
}

// upload(source: TypedArray): copies the array's bytes to the start of the buffer.
Napi::Value DeviceBuffer::upload(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (disposed()) throw Napi::Error::New(env, "upload: the tensor is disposed");
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "upload: source must be a typed array");
  Napi::TypedArray source = info[0].As<Napi::TypedArray>();
  const int64_t bytes = static_cast<int64_t>(source.ByteLength());
  if (bytes != byte_length_) {
    throw Napi::RangeError::New(env, "upload: source has " + std::to_string(bytes) + " bytes but the tensor has " +
                                         std::to_string(byte_length_));
  }
  const uint8_t* data = static_cast<const uint8_t*>(source.ArrayBuffer().Data()) + source.ByteOffset();
  with_js_errors(env, [&] {
    if (bytes > 0) cuda::copy_to_device(device_, data_, data, bytes);
    return 0;
  });
  return env.Undefined();
}

// download(target: TypedArray): copies the buffer into the array.
Napi::Value DeviceBuffer::download(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (disposed()) throw Napi::Error::New(env, "download: the tensor is disposed");
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "download: target must be a typed array");
  Napi::TypedArray target = info[0].As<Napi::TypedArray>();
  const int64_t bytes = static_cast<int64_t>(target.ByteLength());
  if (bytes != byte_length_) {
    throw Napi::RangeError::New(env, "download: target has " + std::to_string(bytes) + " bytes but the tensor has " +
                                         std::to_string(byte_length_));
  }
  uint8_t* data = static_cast<uint8_t*>(target.ArrayBuffer().Data()) + target.ByteOffset();
  with_js_errors(env, [&] {
    if (bytes > 0) cuda::copy_to_host(device_, data, data_, bytes);
    return 0;
  });
  return env.Undefined();
}

Napi::Value DeviceBuffer::dispose(const Napi::CallbackInfo& info) {
  release();
  disposed_ = true;
  return info.Env().Undefined();
}

Napi::Value DeviceBuffer::get_byte_length(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(byte_length_));
}
Napi::Value DeviceBuffer::get_device(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), device_); }
Napi::Value DeviceBuffer::get_disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), disposed());
}

}  // namespace mixdim
