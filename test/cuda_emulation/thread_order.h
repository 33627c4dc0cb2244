// The order a block's ready threads run in, from MIXDIM_EMULATED_THREAD_ORDER:
//   forward (the default), reverse, or random[:seed] (a fresh seeded shuffle on every pass).
// A kernel that computes the right answer in only one of these is missing a barrier.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace mixdim_emu {

class ThreadOrder {
 public:
  enum class Kind { forward, reverse, random };

  // Parses the variable once per process; *error says what is wrong with a bad value.
  static bool parse(const char* text, ThreadOrder* order, std::string* error) {
    const std::string value = text == nullptr ? "forward" : text;
    if (value == "forward" || value == "reverse" || value == "random") {
      *order = ThreadOrder(value == "forward" ? Kind::forward : value == "reverse" ? Kind::reverse : Kind::random, 1);
      return true;
    }
    if (value.rfind("random:", 0) == 0 && value.size() > 7 && value.find_first_not_of("0123456789", 7) == std::string::npos &&
        value.size() <= 7 + 19) {
      *order = ThreadOrder(Kind::random, std::stoull(value.substr(7)));
      return true;
    }
    *error = "MIXDIM_EMULATED_THREAD_ORDER=\"" + value + "\" is not forward, reverse, random or random:<seed>";
    return false;
  }

  ThreadOrder() = default;

  // The thread indices of one pass over a block of `threads`.
  const std::vector<int>& next_pass(int threads) {
    if (static_cast<int>(indices_.size()) != threads || kind_ == Kind::random) {
      indices_.resize(threads);
      std::iota(indices_.begin(), indices_.end(), 0);
      if (kind_ == Kind::reverse) std::reverse(indices_.begin(), indices_.end());
      if (kind_ == Kind::random) std::shuffle(indices_.begin(), indices_.end(), random_);
    }
    return indices_;
  }

 private:
  ThreadOrder(Kind kind, uint64_t seed) : kind_(kind), random_(seed) {}

  Kind kind_ = Kind::forward;
  std::mt19937_64 random_{1};
  std::vector<int> indices_;
};

}  // namespace mixdim_emu
