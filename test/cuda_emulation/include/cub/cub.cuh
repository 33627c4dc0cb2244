// CUB for the emulated build: the device-wide algorithms mixdim calls, on the host.
#pragma once

#include "device/device_radix_sort.cuh"
#include "device/device_select.cuh"
