#include "store_binding.h"

#include <cmath>
#include <string>
#include <vector>

#include "../cuda/device_runtime.h"
#include "arguments.h"
#include "device_buffer.h"
#include "js_errors.h"

namespace mixdim {

namespace {

// The optimizer fields of an options object: optimizer (kind), learningRate, beta1, beta2, eps, weightDecay.
void read_optimizer(const Napi::Object& options, StoreOptions* result) {
  result->optimizer_kind = static_cast<int32_t>(integer_in_range(options.Get("optimizer"), "optimizer", 0, 2));
  result->learning_rate = static_cast<float>(finite_number(options.Get("learningRate"), "learningRate"));
  result->beta1 = static_cast<float>(finite_number(options.Get("beta1"), "beta1"));
  result->beta2 = static_cast<float>(finite_number(options.Get("beta2"), "beta2"));
  result->eps = static_cast<float>(finite_number(options.Get("eps"), "eps"));
  result->weight_decay = static_cast<float>(finite_number(options.Get("weightDecay"), "weightDecay"));
}

StoreOptions read_options(const Napi::Object& options) {
  StoreOptions result;
  const KernelArray candidates = host_int32(options.Get("candidates"), "candidates");
  if (candidates.length < 1 || candidates.length > kMaxSizeClasses) {
    throw std::range_error("candidates must hold 1 to " + std::to_string(kMaxSizeClasses) + " sizes, got " +
                           std::to_string(candidates.length));
  }
  const int32_t* sizes = static_cast<const int32_t*>(candidates.data);
  for (int64_t c = 0; c < candidates.length; ++c) {
    if (sizes[c] < 1 || sizes[c] > 65536 || (c > 0 && sizes[c] <= sizes[c - 1])) {
      throw std::range_error("candidates must be strictly increasing sizes in [1, 65536]; candidates[" +
                             std::to_string(c) + "] = " + std::to_string(sizes[c]));
    }
  }
  result.candidates.assign(sizes, sizes + candidates.length);
  read_optimizer(options, &result);
  result.seed = static_cast<uint64_t>(integer_in_range(options.Get("seed"), "seed", 0, int64_t(1) << 53));
  result.init_std = static_cast<float>(finite_number(options.Get("initStd"), "initStd"));
  return result;
}

void expect_candidate_sizes(const EmbeddingStore& store, const int32_t* sizes, int64_t n, const char* name) {
  for (int64_t i = 0; i < n; ++i) {
    if (store.class_of_size(sizes[i]) < 0) {
      std::string list;
      for (int32_t d : store.options().candidates) list += (list.empty() ? "" : ", ") + std::to_string(d);
      throw std::range_error(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(sizes[i]) +
                             " is not a candidate size {" + list + "}");
    }
  }
}

// Throws a RangeError naming the first non-finite value among the first size_of(i) values of each
// row i of `values` (n rows of `stride` floats in host memory); what lies past a row's size is unread.
template <typename SizeOf>
void expect_finite_rows(const float* values, int64_t n, int64_t stride, SizeOf size_of, const char* name) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < size_of(i); ++j) {
      if (!std::isfinite(values[i * stride + j])) {
        throw std::range_error(std::string(name) + "[" + std::to_string(i * stride + j) + "] is not finite");
      }
    }
  }
}

}  // namespace

Napi::Function StoreBinding::define(Napi::Env env) {
  return DefineClass(env, "EmbeddingStore",
                     {
                         InstanceMethod<&StoreBinding::lookup>("lookup"),
                         InstanceMethod<&StoreBinding::sparse_gradient>("sparseGradient"),
                         InstanceMethod<&StoreBinding::step>("step"),
                         InstanceMethod<&StoreBinding::add_rows>("addRows"),
                         InstanceMethod<&StoreBinding::resize>("resize"),
                         InstanceMethod<&StoreBinding::read_rows>("readRows"),
                         InstanceMethod<&StoreBinding::write_rows>("writeRows"),
                         InstanceMethod<&StoreBinding::row_sizes>("rowSizes"),
                         InstanceMethod<&StoreBinding::bytes>("bytes"),
                         InstanceMethod<&StoreBinding::compact>("compact"),
                         InstanceMethod<&StoreBinding::set_learning_rate>("setLearningRate"),
                         InstanceMethod<&StoreBinding::set_optimizer>("setOptimizer"),
                         InstanceMethod<&StoreBinding::dispose>("dispose"),
                         InstanceAccessor<&StoreBinding::get_num_rows>("numRows"),
                         InstanceAccessor<&StoreBinding::get_step_count, &StoreBinding::set_step_count>("stepCount"),
                     });
}

// new EmbeddingStore(options, sizes: Int32Array, device: -1 (cpu) | CUDA ordinal)
StoreBinding::StoreBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StoreBinding>(info) {
  const Napi::Env env = info.Env();
  with_js_errors(env, [&] {
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
    const StoreOptions options = read_options(info[0].As<Napi::Object>());
    const KernelArray sizes = host_int32(info[1], "sizes");
    device_ = static_cast<int>(integer_in_range(info[2], "device", kHostDevice, 1 << 20));
    auto backend = device_ == kHostDevice ? make_cpu_store_backend() : cuda::make_store_backend(device_);
    store_ = std::make_unique<EmbeddingStore>(options, std::move(backend));
    const int32_t* size_data = static_cast<const int32_t*>(sizes.data);
    expect_candidate_sizes(*store_, size_data, sizes.length, "sizes");
    store_->add_rows(size_data, sizes.length);
    report_memory(env);
    return 0;
  });
}

StoreBinding::~StoreBinding() {
  if (reported_bytes_ != 0) Napi::MemoryManagement::AdjustExternalMemory(Env(), -reported_bytes_);
}

// V8 learns of the store's host memory, so that the garbage collector weighs it: otherwise a
// process that builds model after model (a benchmark, a sweep) keeps every dropped store until a
// major collection that nothing in its small JS heap calls for (test/store_memory.test.ts: 40
// dropped 31 MB stores grew RSS by 1.2 GB, now ~180 MB). The finalizer that frees a store runs
// when the event loop turns. Device stores report nothing: their memory is not the host's.
void StoreBinding::report_memory(Napi::Env env) {
  const int64_t bytes = store_ && device_ == kHostDevice ? store_->bytes().total() : 0;
  if (bytes != reported_bytes_) Napi::MemoryManagement::AdjustExternalMemory(env, bytes - reported_bytes_);
  reported_bytes_ = bytes;
}

EmbeddingStore& StoreBinding::store(const char* method) {
  if (!store_) throw std::runtime_error(std::string(method) + ": the store is disposed");
  return *store_;
}

const int32_t* StoreBinding::checked_ids(const KernelArray& ids, const char* name) {
  int32_t value = 0;
  const int32_t* data = static_cast<const int32_t*>(ids.data);
  const int64_t bad = store_->backend().find_invalid_id(data, ids.length, store_->num_rows(), &value);
  if (bad >= 0) {
    throw std::range_error(std::string(name) + "[" + std::to_string(bad) + "] = " + std::to_string(value) +
                           " is out of range [0, " + std::to_string(store_->num_rows()) + ")");
  }
  return data;
}

// lookup(ids, out): out[b, :] = row ids[b] padded with zeros to maxDim.
Napi::Value StoreBinding::lookup(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("lookup");
    const KernelArray ids = kernel_int32(info[0], "ids", device_);
    const KernelArray out = kernel_float32(info[1], "out", device_);
    expect_length(out, ids.length * s.max_dim(), "out", "ids.length × maxDim");
    const int32_t* id_data = checked_ids(ids, "ids");
    s.backend().lookup(s.view(), id_data, ids.length, static_cast<float*>(out.data));
    return info.Env().Undefined();
  });
}

// sparseGradient(ids, gradOut) → { ids, values }: unique rows (increasing) and their summed gradients.
Napi::Value StoreBinding::sparse_gradient(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return with_js_errors(env, [&]() -> Napi::Value {
    EmbeddingStore& s = store("sparseGradient");
    const KernelArray ids = kernel_int32(info[0], "ids", device_);
    const KernelArray grad = kernel_float32(info[1], "gradOut", device_);
    expect_length(grad, ids.length * s.max_dim(), "gradOut", "ids.length × maxDim");
    const int32_t* id_data = checked_ids(ids, "ids");
    Napi::Object result = Napi::Object::New(env);
    const int64_t max_dim = s.max_dim();
    const int device = device_;
    s.backend().sparse_gradient(s.view(), id_data, ids.length, static_cast<const float*>(grad.data),
                                [&](int64_t unique, int32_t** unique_ids, float** values) {
                                  if (device == kHostDevice) {
                                    Napi::Int32Array id_array = Napi::Int32Array::New(env, unique);
                                    Napi::Float32Array value_array = Napi::Float32Array::New(env, unique * max_dim);
                                    *unique_ids = id_array.Data();
                                    *values = value_array.Data();
                                    result.Set("ids", id_array);
                                    result.Set("values", value_array);
                                  } else {
                                    Napi::Object id_buffer = DeviceBuffer::create(env, device, unique * 4);
                                    Napi::Object value_buffer = DeviceBuffer::create(env, device, unique * max_dim * 4);
                                    *unique_ids = static_cast<int32_t*>(DeviceBuffer::Unwrap(id_buffer)->data());
                                    *values = static_cast<float*>(DeviceBuffer::Unwrap(value_buffer)->data());
                                    result.Set("ids", id_buffer);
                                    result.Set("values", value_buffer);
                                  }
                                });
    return result;
  });
}

// step(ids, gradOut, checkFinite): the backward pass fused with the store's optimizer.
Napi::Value StoreBinding::step(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("step");
    const KernelArray ids = kernel_int32(info[0], "ids", device_);
    const KernelArray grad = kernel_float32(info[1], "gradOut", device_);
    expect_length(grad, ids.length * s.max_dim(), "gradOut", "ids.length × maxDim");
    const int32_t* id_data = checked_ids(ids, "ids");
    const float* grad_data = static_cast<const float*>(grad.data);
    if (info[2].ToBoolean().Value() && !s.backend().gradients_finite(s.view(), id_data, ids.length, grad_data)) {
      throw std::range_error("gradOut holds NaN or Infinity; the step was not taken");
    }
    s.fused_step(id_data, ids.length, grad_data);
    report_memory(info.Env());
    return info.Env().Undefined();
  });
}

// addRows(sizes: Int32Array) → the first new id; new rows get seeded N(0, initStd²) values.
Napi::Value StoreBinding::add_rows(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("addRows");
    const KernelArray sizes = host_int32(info[0], "sizes");
    const int32_t* size_data = static_cast<const int32_t*>(sizes.data);
    expect_candidate_sizes(s, size_data, sizes.length, "sizes");
    const int64_t first = s.add_rows(size_data, sizes.length);
    report_memory(info.Env());
    return Napi::Number::New(info.Env(), static_cast<double>(first));
  });
}

// resize(ids: Int32Array, sizes: Int32Array, init: Float32Array | DeviceBuffer | null)
Napi::Value StoreBinding::resize(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("resize");
    const KernelArray ids = host_int32(info[0], "ids");
    const KernelArray sizes = host_int32(info[1], "sizes");
    expect_length(sizes, ids.length, "sizes", "one size per id");
    const int32_t* id_data = static_cast<const int32_t*>(ids.data);
    const int32_t* size_data = static_cast<const int32_t*>(sizes.data);
    expect_ids_in_range(id_data, ids.length, s.num_rows(), "ids");
    expect_unique_ids(id_data, ids.length, "ids");
    expect_candidate_sizes(s, size_data, sizes.length, "sizes");
    const float* init = nullptr;
    if (!info[2].IsNull() && !info[2].IsUndefined()) {
      const KernelArray values = kernel_float32(info[2], "init", device_);
      expect_length(values, ids.length * s.max_dim(), "init", "ids.length × maxDim");
      init = static_cast<const float*>(values.data);
      // A device init is checked on a host copy: a resize is rare next to lookups and steps, and
      // the check must be the CPU's, or NaN would pass into a CUDA table that the CPU refuses.
      std::vector<float> host_copy;
      const float* host_init = init;
      if (device_ != kHostDevice) {
        host_copy.resize(static_cast<size_t>(values.length));
        cuda::copy_to_host(device_, host_copy.data(), init, values.length * 4);
        host_init = host_copy.data();
      }
      expect_finite_rows(host_init, ids.length, s.max_dim(), [&](int64_t i) { return size_data[i]; }, "init");
    }
    s.resize_rows(id_data, size_data, ids.length, init);
    report_memory(info.Env());
    return info.Env().Undefined();
  });
}

// readRows(ids: Int32Array, out: Float32Array, field = 0): host copies of rows (or of a part of
// the optimizer state, see RowField), padded to maxDim.
Napi::Value StoreBinding::read_rows(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("readRows");
    const KernelArray ids = host_int32(info[0], "ids");
    const KernelArray out = host_float32(info[1], "out");
    const RowField field =
        info[2].IsUndefined() ? kWeightsField : static_cast<RowField>(integer_in_range(info[2], "field", 0, 3));
    expect_length(out, ids.length * s.max_dim(), "out", "ids.length × maxDim");
    const int32_t* id_data = static_cast<const int32_t*>(ids.data);
    expect_ids_in_range(id_data, ids.length, s.num_rows(), "ids");
    s.read_rows(id_data, ids.length, static_cast<float*>(out.data), field);
    return info.Env().Undefined();
  });
}

// writeRows(ids: Int32Array, values: Float32Array, field = 0): sets each row's first d_i values
// (of the weights, or of a part of the optimizer state).
Napi::Value StoreBinding::write_rows(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("writeRows");
    const KernelArray ids = host_int32(info[0], "ids");
    const KernelArray values = host_float32(info[1], "values");
    const RowField field =
        info[2].IsUndefined() ? kWeightsField : static_cast<RowField>(integer_in_range(info[2], "field", 0, 3));
    expect_length(values, ids.length * s.max_dim(), "values", "ids.length × maxDim");
    const int32_t* id_data = static_cast<const int32_t*>(ids.data);
    expect_ids_in_range(id_data, ids.length, s.num_rows(), "ids");
    expect_unique_ids(id_data, ids.length, "ids");
    const float* value_data = static_cast<const float*>(values.data);
    expect_finite_rows(value_data, ids.length, s.max_dim(), [&](int64_t i) { return s.field_size(field, id_data[i]); },
                       "values");
    s.write_rows(id_data, ids.length, value_data, field);
    return info.Env().Undefined();
  });
}

// rowSizes(out: Int32Array): every row's current size.
Napi::Value StoreBinding::row_sizes(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("rowSizes");
    const KernelArray out = host_int32(info[0], "out");
    expect_length(out, s.num_rows(), "out", "numRows");
    int32_t* data = static_cast<int32_t*>(out.data);
    for (int64_t id = 0; id < s.num_rows(); ++id) data[id] = s.row_size(id);
    return info.Env().Undefined();
  });
}

Napi::Value StoreBinding::bytes(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  return with_js_errors(env, [&] {
    const StoreBytes b = store("bytes").bytes();
    Napi::Object result = Napi::Object::New(env);
    result.Set("rows", Napi::Number::New(env, static_cast<double>(b.rows)));
    result.Set("weights", Napi::Number::New(env, static_cast<double>(b.weights)));
    result.Set("optimizerState", Napi::Number::New(env, static_cast<double>(b.optimizer_state)));
    result.Set("index", Napi::Number::New(env, static_cast<double>(b.index)));
    result.Set("total", Napi::Number::New(env, static_cast<double>(b.total())));
    return result;
  });
}

Napi::Value StoreBinding::compact(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    store("compact").compact();
    report_memory(info.Env());
    return info.Env().Undefined();
  });
}

Napi::Value StoreBinding::set_learning_rate(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    store("setLearningRate").set_learning_rate(static_cast<float>(finite_number(info[0], "learningRate")));
    return info.Env().Undefined();
  });
}

// setOptimizer({ optimizer, learningRate, beta1, beta2, eps, weightDecay })
Napi::Value StoreBinding::set_optimizer(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    EmbeddingStore& s = store("setOptimizer");
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "optimizer must be an object");
    StoreOptions optimizer;
    read_optimizer(info[0].As<Napi::Object>(), &optimizer);
    s.set_optimizer(optimizer);
    report_memory(info.Env());
    return info.Env().Undefined();
  });
}

Napi::Value StoreBinding::dispose(const Napi::CallbackInfo& info) {
  store_.reset();
  report_memory(info.Env());
  return info.Env().Undefined();
}

Napi::Value StoreBinding::get_num_rows(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    return Napi::Number::New(info.Env(), static_cast<double>(store("numRows").num_rows()));
  });
}

Napi::Value StoreBinding::get_step_count(const Napi::CallbackInfo& info) {
  return with_js_errors(info.Env(), [&] {
    return Napi::Number::New(info.Env(), static_cast<double>(store("stepCount").step_count()));
  });
}

void StoreBinding::set_step_count(const Napi::CallbackInfo& info, const Napi::Value& value) {
  with_js_errors(info.Env(), [&] {
    store("stepCount").set_step_count(integer_in_range(value, "stepCount", 0, int64_t(1) << 53));
    return 0;
  });
}

}  // namespace mixdim
