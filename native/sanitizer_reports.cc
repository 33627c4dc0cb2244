// sanitizerReports() → how many AddressSanitizer reports this process has seen (0 in other builds).
//
// CI's sanitizer build recovers from address errors (-fsanitize-recover=address with
// halt_on_error=0), and ASan's quarantine keeps freed memory as it was, so a read of freed memory
// is reported and the run goes on. Tests read this count after each step they take: the property
// test of the store (test/store_model.test.ts) then fails at the command that made the report, and
// fast-check shrinks the sequence, where an abort would have ended the process with no sequence.
#include <atomic>

#include "binding_registry.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace mixdim {

namespace {

std::atomic<int64_t> address_reports{0};

#if defined(__SANITIZE_ADDRESS__)
void count_report(const char*) { address_reports.fetch_add(1); }

[[maybe_unused]] const bool installed = [] {
  __asan_set_error_report_callback(count_report);
  return true;
}();
#endif

Napi::Value sanitizer_reports(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(address_reports.load()));
}

const BindingRegistration registration("sanitizerReports", sanitizer_reports);

}  // namespace

}  // namespace mixdim
