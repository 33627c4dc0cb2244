// Turns C++ exceptions from native code into the JS errors the API promises:
// std::range_error → RangeError, anything else → Error, with the message kept.
#pragma once

#include <napi.h>

#include <new>
#include <stdexcept>

namespace mixdim {

template <typename Body>
auto with_js_errors(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::range_error& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

}  // namespace mixdim
