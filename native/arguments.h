// Reading JS arguments at the addon's boundary. Every accessor names the argument in its
// error, throws TypeError for the wrong kind of value and RangeError for a wrong length or
// value, and runs before any kernel touches memory. Inner code trusts what passes here.
#pragma once

#include <napi.h>
#include <stdint.h>

#include <string>

namespace mixdim {

// Where a kernel argument lives: host memory (a typed array) or a CUDA device.
constexpr int kHostDevice = -1;

// A typed array or a DeviceBuffer seen as a flat array of 4-byte elements.
struct KernelArray {
  void* data;
  int64_t length;  // elements
  int device;      // kHostDevice or a CUDA ordinal
};

std::string device_name(int device);

// An Int32Array / Float32Array in host memory (byteOffset applied).
KernelArray host_int32(const Napi::Value& value, const char* name);
KernelArray host_float32(const Napi::Value& value, const char* name);
// An Int32Array / Float32Array on the CPU, or a DeviceBuffer, which must be on `device`.
KernelArray kernel_int32(const Napi::Value& value, const char* name, int device);
KernelArray kernel_float32(const Napi::Value& value, const char* name, int device);

void expect_length(const KernelArray& array, int64_t length, const char* name, const std::string& why);
// A float32 array of `length` elements on `device` (why: the rule the length follows, for the error).
float* float32_argument(const Napi::Value& value, const char* name, int device, int64_t length, const std::string& why);
// The same, or null when the argument is null or undefined.
float* optional_float32(const Napi::Value& value, const char* name, int device, int64_t length, const std::string& why);
bool boolean_argument(const Napi::Value& value, const char* name);
double finite_number(const Napi::Value& value, const char* name);
int64_t integer_in_range(const Napi::Value& value, const char* name, int64_t low, int64_t high);

// Throws unless every id lies in [0, num_rows); `name` is the argument's name (e.g. "ids").
void expect_ids_in_range(const int32_t* ids, int64_t n, int64_t num_rows, const char* name);
void expect_unique_ids(const int32_t* ids, int64_t n, const char* name);

}  // namespace mixdim

namespace mixdim {

// The device a kernel argument lives on: kHostDevice for a typed array, the ordinal of a DeviceBuffer.
// Throws TypeError for anything else.
int argument_device(const Napi::Value& value, const char* name);

}  // namespace mixdim
