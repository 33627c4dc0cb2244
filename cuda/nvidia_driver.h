// Whether the NVIDIA driver can run this build, asked of the driver before cudart is used.
#pragma once

#include <string>

namespace mixdim {
namespace cuda {

// Empty when the driver is installed, new enough for the CUDA runtime this addon was built with, and
// shows at least one device; otherwise what is wrong, in words a user can act on. Checked once per
// process.
const std::string& nvidia_driver_problem();

}  // namespace cuda
}  // namespace mixdim
