// thrust::counting_iterator for the emulated build: the sequence start, start + 1, ... read by index.
#pragma once

#include <stddef.h>

namespace thrust {

template <typename T>
class counting_iterator {
 public:
  explicit counting_iterator(T start) : start_(start) {}
  T operator*() const { return start_; }
  T operator[](ptrdiff_t i) const { return static_cast<T>(start_ + i); }
  counting_iterator operator+(ptrdiff_t i) const { return counting_iterator(static_cast<T>(start_ + i)); }

 private:
  T start_;
};

}  // namespace thrust
