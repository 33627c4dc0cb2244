// The emulated build's answer to cuda/nvidia_driver.h: there is no NVIDIA driver to ask (the build
// opens no libcuda), and the emulated devices need none, so nothing stands in the way.
#include "../../cuda/nvidia_driver.h"

namespace mixdim {
namespace cuda {

const std::string& nvidia_driver_problem() {
  static const std::string none;
  return none;
}

}  // namespace cuda
}  // namespace mixdim
