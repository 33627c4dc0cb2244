#include "arguments.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "addon_data.h"
#include "device_buffer.h"

namespace mixdim {

std::string device_name(int device) {
  return device == kHostDevice ? std::string("cpu") : "cuda:" + std::to_string(device);
}

namespace {

std::string type_name(const Napi::Value& value) {
  if (value.IsTypedArray()) {
    switch (value.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "an Int8Array";
      case napi_uint8_array: return "a Uint8Array";
      case napi_uint8_clamped_array: return "a Uint8ClampedArray";
      case napi_int16_array: return "an Int16Array";
      case napi_uint16_array: return "a Uint16Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint32_array: return "a Uint32Array";
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      case napi_bigint64_array: return "a BigInt64Array";
      case napi_biguint64_array: return "a BigUint64Array";
      default: return "a typed array";
    }
  }
  if (value.IsArray()) return "an Array";
  if (value.IsNull()) return "null";
  if (value.IsUndefined()) return "undefined";
  if (value.IsNumber()) return "a number";
  if (value.IsString()) return "a string";
  return "an object";
}

KernelArray host_typed(const Napi::Value& value, const char* name, napi_typedarray_type type,
                       const char* type_label) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be " + type_label + ", got " +
                                                type_name(value));
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  // Subarrays share their buffer: the data starts byteOffset bytes in.
  uint8_t* base = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return KernelArray{base, static_cast<int64_t>(array.ElementLength()), kHostDevice};
}

KernelArray kernel_typed(const Napi::Value& value, const char* name, int device, napi_typedarray_type type,
                         const char* type_label) {
  const Napi::Env env = value.Env();
  if (value.IsObject() && !value.IsTypedArray() &&
      value.As<Napi::Object>().InstanceOf(addon_data(env).device_buffer.Value())) {
    DeviceBuffer* buffer = DeviceBuffer::Unwrap(value.As<Napi::Object>());
    if (buffer->disposed()) throw Napi::Error::New(env, std::string(name) + " is a disposed tensor");
    if (buffer->device() != device) {
      throw Napi::TypeError::New(env, std::string(name) + " is on " + device_name(buffer->device()) +
                                          " but the operation runs on " + device_name(device));
    }
    return KernelArray{buffer->data(), buffer->byte_length() / 4, device};
  }
  if (device != kHostDevice) {
    if (value.IsTypedArray()) {
      throw Napi::TypeError::New(env, std::string(name) + " is on cpu but the operation runs on " +
                                          device_name(device));
    }
    throw Napi::TypeError::New(env, std::string(name) + " must be a device tensor on " + device_name(device) +
                                        ", got " + type_name(value));
  }
  return host_typed(value, name, type, type_label);
}

}  // namespace

KernelArray host_int32(const Napi::Value& value, const char* name) {
  return host_typed(value, name, napi_int32_array, "an Int32Array");
}
KernelArray host_float32(const Napi::Value& value, const char* name) {
  return host_typed(value, name, napi_float32_array, "a Float32Array");
}
KernelArray kernel_int32(const Napi::Value& value, const char* name, int device) {
  return kernel_typed(value, name, device, napi_int32_array, "an Int32Array");
}
KernelArray kernel_float32(const Napi::Value& value, const char* name, int device) {
  return kernel_typed(value, name, device, napi_float32_array, "a Float32Array");
}

void expect_length(const KernelArray& array, int64_t length, const char* name, const std::string& why) {
  if (array.length != length) {
    throw std::range_error(std::string(name) + " has length " + std::to_string(array.length) + " but must have " +
                           std::to_string(length) + " (" + why + ")");
  }
}

float* float32_argument(const Napi::Value& value, const char* name, int device, int64_t length, const std::string& why) {
  const KernelArray array = kernel_float32(value, name, device);
  expect_length(array, length, name, why);
  return static_cast<float*>(array.data);
}

float* optional_float32(const Napi::Value& value, const char* name, int device, int64_t length, const std::string& why) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  return float32_argument(value, name, device, length, why);
}

bool boolean_argument(const Napi::Value& value, const char* name) {
  if (!value.IsBoolean()) throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

double finite_number(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a number, got " + type_name(value));
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number)) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be finite, got " + std::to_string(number));
  }
  return number;
}

int64_t integer_in_range(const Napi::Value& value, const char* name, int64_t low, int64_t high) {
  const double number = finite_number(value, name);
  if (number != std::floor(number) || number < static_cast<double>(low) || number > static_cast<double>(high)) {
    throw Napi::RangeError::New(value.Env(), std::string(name) + " must be an integer in [" + std::to_string(low) +
                                                 ", " + std::to_string(high) + "], got " + std::to_string(number));
  }
  return static_cast<int64_t>(number);
}

void expect_ids_in_range(const int32_t* ids, int64_t n, int64_t num_rows, const char* name) {
  for (int64_t b = 0; b < n; ++b) {
    if (ids[b] < 0 || ids[b] >= num_rows) {
      throw std::range_error(std::string(name) + "[" + std::to_string(b) + "] = " + std::to_string(ids[b]) +
                             " is out of range [0, " + std::to_string(num_rows) + ")");
    }
  }
}

void expect_unique_ids(const int32_t* ids, int64_t n, const char* name) {
  std::vector<int32_t> sorted(ids, ids + n);
  std::sort(sorted.begin(), sorted.end());
  const auto repeated = std::adjacent_find(sorted.begin(), sorted.end());
  if (repeated != sorted.end()) {
    throw std::range_error(std::string(name) + " lists id " + std::to_string(*repeated) +
                           " more than once; each id may appear once per call");
  }
}

}  // namespace mixdim

namespace mixdim {

int argument_device(const Napi::Value& value, const char* name) {
  const Napi::Env env = value.Env();
  if (value.IsTypedArray()) return kHostDevice;
  if (value.IsObject() && value.As<Napi::Object>().InstanceOf(addon_data(env).device_buffer.Value())) {
    return DeviceBuffer::Unwrap(value.As<Napi::Object>())->device();
  }
  throw Napi::TypeError::New(env, std::string(name) + " must be a typed array or a device tensor, got " +
                                      type_name(value));
}

}  // namespace mixdim
