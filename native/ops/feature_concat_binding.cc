// featureCopy(src, srcColumns, srcStart, dst, dstColumns, dstStart, rows, width): copies columns
// [srcStart, srcStart + width) of src [rows × srcColumns] into columns [dstStart, dstStart + width)
// of dst [rows × dstColumns]. Both float32, on one device, in separate memory.
#include <string>

#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "feature_concat.h"

namespace mixdim {

namespace {

constexpr int64_t kMaxExtent = int64_t{1} << 40;

void expect_matrix(const KernelArray& array, int64_t rows, int64_t columns, const char* name, const char* columns_name) {
  if (static_cast<double>(rows) * static_cast<double>(columns) != static_cast<double>(array.length)) {
    throw std::range_error(std::string(name) + " has length " + std::to_string(array.length) + " but must have rows × " +
                           columns_name + " = " + std::to_string(rows) + " × " + std::to_string(columns));
  }
}

void expect_block(int64_t start, int64_t width, int64_t columns, const char* start_name, const char* columns_name) {
  if (start + width > columns) {
    throw std::range_error(std::string(start_name) + " + width = " + std::to_string(start) + " + " +
                           std::to_string(width) + " exceeds " + columns_name + " = " + std::to_string(columns));
  }
}

Napi::Value feature_copy_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "src");
    const KernelArray src = kernel_float32(info[0], "src", device);
    const int64_t src_columns = integer_in_range(info[1], "srcColumns", 0, kMaxExtent);
    const int64_t src_start = integer_in_range(info[2], "srcStart", 0, kMaxExtent);
    const KernelArray dst = kernel_float32(info[3], "dst", device);
    const int64_t dst_columns = integer_in_range(info[4], "dstColumns", 0, kMaxExtent);
    const int64_t dst_start = integer_in_range(info[5], "dstStart", 0, kMaxExtent);
    const int64_t rows = integer_in_range(info[6], "rows", 0, kMaxExtent);
    const int64_t width = integer_in_range(info[7], "width", 0, kMaxExtent);
    expect_matrix(src, rows, src_columns, "src", "srcColumns");
    expect_matrix(dst, rows, dst_columns, "dst", "dstColumns");
    expect_block(src_start, width, src_columns, "srcStart", "srcColumns");
    expect_block(dst_start, width, dst_columns, "dstStart", "dstColumns");
    const char* s = static_cast<const char*>(src.data);
    const char* d = static_cast<const char*>(dst.data);
    if (src.length > 0 && dst.length > 0 && d < s + src.length * 4 && s < d + dst.length * 4) {
      throw std::range_error("dst overlaps src: the output must be separate memory");
    }
    if (rows == 0 || width == 0) return info.Env().Undefined();
    kernel<FeatureCopyKernel>(kFeatureCopy, device)(static_cast<const float*>(src.data) + src_start, src_columns,
                                                    static_cast<float*>(dst.data) + dst_start, dst_columns, rows,
                                                    width);
    return info.Env().Undefined();
  });
}

const BindingRegistration copy("featureCopy", &feature_copy_binding);

}  // namespace

}  // namespace mixdim
