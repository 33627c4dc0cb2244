// The sparse propagation op's JS functions. A CSR graph arrives as three arrays on the op's device,
// rowPtr (Int32, numRows + 1), colIdx (Int32, nnz) and values (Float32, nnz), plus numCols:
//   sparseCsrCheck(rowPtr, colIdx, values, numCols)                         full validation, or a RangeError
//   sparsePropagate(rowPtr, colIdx, values, numCols, x, dim, out, validated) out = Â·x
//   sparsePropagateStoreLayout(rowPtr, colIdx, values, classWeights, classDims, locations, maxDim,
//                              out, validated)                              out = Â·X, X in a store's layout
// `validated` (the TS SparseGraph validated it once) skips the O(nnz) check and keeps the O(1) one
// of rowPtr's ends; the kernels clamp every index anyway, so a graph changed since never reads
// out of bounds. sparsePropagateStoreLayout runs the fused store kernel on a layout given as plain
// arrays (one weight block per size class and a packed location per row): the test path of that
// kernel until the EmbeddingStore binding exposes its StoreView.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../cuda/device_runtime.h"
#include "../arguments.h"
#include "../binding_registry.h"
#include "../js_errors.h"
#include "../kernel_registry.h"
#include "sparse_propagation.h"

namespace mixdim {

namespace {

constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();

std::string float_text(float number) {
  if (std::isnan(number)) return "NaN";
  if (std::isinf(number)) return number > 0 ? "Infinity" : "-Infinity";
  return std::to_string(number);
}

// The three CSR arrays at info[first..first+2] on `device`, their lengths checked.
CsrView read_csr(const Napi::CallbackInfo& info, int first, int device, int64_t num_cols) {
  const KernelArray row_ptr = kernel_int32(info[first], "rowPtr", device);
  const KernelArray col_idx = kernel_int32(info[first + 1], "colIdx", device);
  const KernelArray values = kernel_float32(info[first + 2], "values", device);
  if (row_ptr.length < 1 || row_ptr.length - 1 > kMaxIndex) {
    throw std::range_error("rowPtr has length " + std::to_string(row_ptr.length) +
                           " but must have numRows + 1 entries, numRows in [0, 2^31 - 1]");
  }
  expect_length(values, col_idx.length, "values", "colIdx.length, one value per entry");
  return CsrView{static_cast<const int32_t*>(row_ptr.data), static_cast<const int32_t*>(col_idx.data),
                 static_cast<const float*>(values.data), row_ptr.length - 1, num_cols, col_idx.length};
}

// Runs the check kernel on `device` and turns its first issue into a RangeError naming the array.
void check_csr(const CsrView& a, bool full, int device) {
  CsrIssue issue;
  kernel<CsrCheckKernel>(kCsrCheck, device)(a, full, &issue);
  const std::string at = "[" + std::to_string(issue.index) + "] = ";
  switch (issue.kind) {
    case kCsrValid: return;
    case kRowPtrStart: throw std::range_error("rowPtr" + at + std::to_string(issue.value) + " but must be 0");
    case kRowPtrDecreasing:
      throw std::range_error("rowPtr" + at + std::to_string(issue.value) + " is less than rowPtr[" +
                             std::to_string(issue.index - 1) + "] = " + std::to_string(issue.previous) +
                             "; row pointers must be non-decreasing");
    case kRowPtrEnd:
      throw std::range_error("rowPtr" + at + std::to_string(issue.value) + " but must equal nnz = colIdx.length = " +
                             std::to_string(a.nnz));
    case kColumnOutOfRange:
      throw std::range_error("colIdx" + at + std::to_string(issue.value) + " is out of range [0, " +
                             std::to_string(a.num_cols) + ")");
    default: throw std::range_error("values" + at + float_text(issue.number) + " is not finite");
  }
}

int64_t num_cols_argument(const Napi::Value& value) { return integer_in_range(value, "numCols", 0, kMaxIndex); }

Napi::Value csr_check_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[0], "rowPtr");
    const CsrView a = read_csr(info, 0, device, num_cols_argument(info[3]));
    check_csr(a, true, device);
    return info.Env().Undefined();
  });
}

Napi::Value propagate_binding(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    const int device = argument_device(info[4], "x");
    const CsrView a = read_csr(info, 0, device, num_cols_argument(info[3]));
    const KernelArray x = kernel_float32(info[4], "x", device);
    const int64_t dim = integer_in_range(info[5], "dim", 0, 1 << 24);
    const KernelArray out = kernel_float32(info[6], "out", device);
    expect_length(x, a.num_cols * dim, "x", "numCols × dim");
    expect_length(out, a.num_rows * dim, "out", "numRows × dim");
    check_csr(a, !info[7].ToBoolean().Value(), device);
    kernel<PropagateKernel>(kPropagate, device)(a, static_cast<const float*>(x.data), dim,
                                                static_cast<float*>(out.data));
    return info.Env().Undefined();
  });
}

// A host array copied to the device for one call (or used in place on the host).
class CallArray {
 public:
  CallArray(int device, const int32_t* host, int64_t n) : device_(device), data_(host) {
    if (device_ == kHostDevice || n == 0) return;
    owned_ = cuda::allocate(device_, n * 4);
    cuda::copy_to_device(device_, owned_, host, n * 4);
    data_ = static_cast<const int32_t*>(owned_);
  }
  ~CallArray() {
    if (owned_ != nullptr) cuda::release(device_, owned_);
  }
  CallArray(const CallArray&) = delete;
  CallArray& operator=(const CallArray&) = delete;
  const int32_t* data() const { return data_; }

 private:
  int device_;
  const int32_t* data_;
  void* owned_ = nullptr;
};

Napi::Value propagate_store_layout_binding(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return with_js_errors(env, [&] {
    const int device = argument_device(info[7], "out");
    if (!info[3].IsArray()) throw Napi::TypeError::New(env, "classWeights must be an Array of Float32Arrays");
    const Napi::Array weights = info[3].As<Napi::Array>();
    const KernelArray dims = host_int32(info[4], "classDims");
    const KernelArray locations = host_int32(info[5], "locations");
    const int64_t max_dim = integer_in_range(info[6], "maxDim", 1, 65536);
    const int64_t num_classes = dims.length;
    if (num_classes < 1 || num_classes > kMaxSizeClasses || weights.Length() != num_classes) {
      throw std::range_error("classDims and classWeights must both hold 1 to " + std::to_string(kMaxSizeClasses) +
                             " classes, got " + std::to_string(num_classes) + " and " +
                             std::to_string(weights.Length()));
    }
    StoreView store{};
    std::vector<int64_t> capacity(static_cast<size_t>(num_classes));
    const int32_t* dim_data = static_cast<const int32_t*>(dims.data);
    for (int64_t c = 0; c < num_classes; ++c) {
      const std::string name = "classWeights[" + std::to_string(c) + "]";
      const KernelArray block = kernel_float32(weights.Get(static_cast<uint32_t>(c)), name.c_str(), device);
      if (dim_data[c] < 1 || dim_data[c] > max_dim || block.length % dim_data[c] != 0) {
        throw std::range_error("classDims[" + std::to_string(c) + "] = " + std::to_string(dim_data[c]) +
                               " must be in [1, maxDim] and divide " + name + ".length = " +
                               std::to_string(block.length));
      }
      capacity[static_cast<size_t>(c)] = block.length / dim_data[c];
      store.classes[c] = SizeClassView{static_cast<float*>(block.data), nullptr, nullptr, nullptr, dim_data[c]};
    }
    const int32_t* location_data = static_cast<const int32_t*>(locations.data);
    for (int64_t i = 0; i < locations.length; ++i) {
      const int32_t location = location_data[i];
      const int32_t c = location_class(location);
      if (location < 0 || c >= num_classes || location_slot(location) >= capacity[static_cast<size_t>(c)]) {
        throw std::range_error("locations[" + std::to_string(i) + "] = " + std::to_string(location) +
                               " does not name a slot of a size class");
      }
    }
    const CsrView a = read_csr(info, 0, device, locations.length);
    const KernelArray out = kernel_float32(info[7], "out", device);
    expect_length(out, a.num_rows * max_dim, "out", "numRows × maxDim");
    check_csr(a, !info[8].ToBoolean().Value(), device);
    const CallArray kernel_locations(device, location_data, locations.length);
    store.locations = kernel_locations.data();
    store.num_classes = static_cast<int32_t>(num_classes);
    store.max_dim = static_cast<int32_t>(max_dim);
    store.num_rows = locations.length;
    kernel<PropagateStoreKernel>(kPropagateStore, device)(a, store, static_cast<float*>(out.data));
    return env.Undefined();
  });
}

const BindingRegistration check("sparseCsrCheck", &csr_check_binding);
const BindingRegistration dense("sparsePropagate", &propagate_binding);
const BindingRegistration layout("sparsePropagateStoreLayout", &propagate_store_layout_binding);

}  // namespace

}  // namespace mixdim
