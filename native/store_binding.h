// The JS face of EmbeddingStore: argument checks, then one call into the store.
#pragma once

#include <napi.h>

#include <memory>

#include "arguments.h"
#include "embedding_store.h"

namespace mixdim {

class StoreBinding : public Napi::ObjectWrap<StoreBinding> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit StoreBinding(const Napi::CallbackInfo& info);
  ~StoreBinding() override;

 private:
  EmbeddingStore& store(const char* method);
  const int32_t* checked_ids(const KernelArray& ids, const char* name);

  Napi::Value lookup(const Napi::CallbackInfo& info);
  Napi::Value sparse_gradient(const Napi::CallbackInfo& info);
  Napi::Value step(const Napi::CallbackInfo& info);
  Napi::Value add_rows(const Napi::CallbackInfo& info);
  Napi::Value resize(const Napi::CallbackInfo& info);
  Napi::Value read_rows(const Napi::CallbackInfo& info);
  Napi::Value write_rows(const Napi::CallbackInfo& info);
  Napi::Value row_sizes(const Napi::CallbackInfo& info);
  Napi::Value bytes(const Napi::CallbackInfo& info);
  Napi::Value compact(const Napi::CallbackInfo& info);
  Napi::Value set_learning_rate(const Napi::CallbackInfo& info);
  Napi::Value set_optimizer(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value get_num_rows(const Napi::CallbackInfo& info);
  Napi::Value get_step_count(const Napi::CallbackInfo& info);
  void set_step_count(const Napi::CallbackInfo& info, const Napi::Value& value);

  void report_memory(Napi::Env env);

  std::unique_ptr<EmbeddingStore> store_;
  int device_ = -1;
  // The host bytes last reported to V8 (AdjustExternalMemory).
  int64_t reported_bytes_ = 0;
};

}  // namespace mixdim
