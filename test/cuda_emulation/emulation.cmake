# The emulated CUDA build (test infrastructure, never shipped; issue 11): cuda/ compiled by g++ as
# C++ against test/cuda_emulation/include, its kernels run on the CPU as fibers. Included from
# CMakeLists.txt when MIXDIM_CUDA_EMULATION is ON; npm run build:cuda-emulated builds it into
# build-emulated/ with AddressSanitizer and UBSan.
if(MIXDIM_WITH_CUDA AND CMAKE_CUDA_COMPILER)
  message(FATAL_ERROR "MIXDIM_CUDA_EMULATION needs MIXDIM_WITH_CUDA=OFF: one build cannot hold both the real and the emulated kernels")
endif()
find_program(MIXDIM_NODE node REQUIRED)

set(MIXDIM_EMULATION_DIR ${CMAKE_CURRENT_SOURCE_DIR}/test/cuda_emulation)
set(MIXDIM_REWRITTEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/rewritten/cuda)
file(GLOB MIXDIM_CUDA_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cuh)
# The driver check opens libcuda, which the emulated devices do not need: nvidia_driver.cc stands in.
list(FILTER MIXDIM_CUDA_FILES EXCLUDE REGEX "/nvidia_driver\\.cu$")
set(MIXDIM_REWRITTEN_SOURCES)
set(MIXDIM_REWRITTEN_FILES)
foreach(file ${MIXDIM_CUDA_FILES})
  get_filename_component(name ${file} NAME)
  if(name MATCHES "\\.cu$")
    list(APPEND MIXDIM_REWRITTEN_SOURCES ${MIXDIM_REWRITTEN_DIR}/${name}.cc)
    list(APPEND MIXDIM_REWRITTEN_FILES ${MIXDIM_REWRITTEN_DIR}/${name}.cc)
  else()
    list(APPEND MIXDIM_REWRITTEN_FILES ${MIXDIM_REWRITTEN_DIR}/${name})
  endif()
endforeach()
# One of test/cuda_emulation/planted_bugs.mjs, planted in the copies (check_planted_bugs.sh); none by default.
set(MIXDIM_EMULATION_PLANTED_BUG "" CACHE STRING "A bug to plant in the emulated build's copy of cuda/")
add_custom_command(
  OUTPUT ${MIXDIM_REWRITTEN_FILES}
  COMMAND ${MIXDIM_NODE} ${MIXDIM_EMULATION_DIR}/rewrite_launches.mjs --plant=${MIXDIM_EMULATION_PLANTED_BUG}
          ${MIXDIM_REWRITTEN_DIR} ${MIXDIM_CUDA_FILES}
  DEPENDS ${MIXDIM_CUDA_FILES} ${MIXDIM_EMULATION_DIR}/rewrite_launches.mjs ${MIXDIM_EMULATION_DIR}/planted_bugs.mjs
  COMMENT "mixdim: rewriting CUDA launches for the emulated build"
  VERBATIM)

target_sources(${PROJECT_NAME} PRIVATE ${MIXDIM_REWRITTEN_SOURCES} ${MIXDIM_EMULATION_DIR}/execution.cc ${MIXDIM_EMULATION_DIR}/runtime.cc
               ${MIXDIM_EMULATION_DIR}/nvidia_driver.cc)
# The emulated kernels replace the build's "CUDA not compiled in" stubs.
get_target_property(MIXDIM_ALL_SOURCES ${PROJECT_NAME} SOURCES)
list(FILTER MIXDIM_ALL_SOURCES EXCLUDE REGEX "no_cuda_runtime\\.cc$")
set_property(TARGET ${PROJECT_NAME} PROPERTY SOURCES ${MIXDIM_ALL_SOURCES})
# Our cuda_runtime.h and cub/ ahead of CUDA's; cuda/ for the headers the rewritten copies include
# by relative name (the copies' own folder holds the rewritten .cuh files, found first).
target_include_directories(${PROJECT_NAME} BEFORE PRIVATE ${MIXDIM_EMULATION_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
target_compile_definitions(${PROJECT_NAME} PRIVATE MIXDIM_CUDA_EMULATION)
# GNU C++17: the shuffle macros drop the comma before an absent width with `, ##__VA_ARGS__`, which
# ISO mode (the shipped build's) keeps.
set_property(TARGET ${PROJECT_NAME} PROPERTY CXX_EXTENSIONS ON)
message(STATUS "mixdim: building the emulated CUDA kernels (test/cuda_emulation)")

# The harness's own checks (harness_checks.cu, run by test/cuda_emulation/harness.test.ts).
set(MIXDIM_CHECKS_COPY ${CMAKE_CURRENT_BINARY_DIR}/rewritten/checks/harness_checks.cu.cc)
add_custom_command(
  OUTPUT ${MIXDIM_CHECKS_COPY}
  COMMAND ${MIXDIM_NODE} ${MIXDIM_EMULATION_DIR}/rewrite_launches.mjs ${CMAKE_CURRENT_BINARY_DIR}/rewritten/checks
          ${MIXDIM_EMULATION_DIR}/harness_checks.cu
  DEPENDS ${MIXDIM_EMULATION_DIR}/harness_checks.cu ${MIXDIM_EMULATION_DIR}/rewrite_launches.mjs
  VERBATIM)
add_executable(emulation_checks ${MIXDIM_CHECKS_COPY} ${MIXDIM_EMULATION_DIR}/execution.cc ${MIXDIM_EMULATION_DIR}/runtime.cc)
target_include_directories(emulation_checks BEFORE PRIVATE ${MIXDIM_EMULATION_DIR}/include)
target_compile_options(emulation_checks PRIVATE -fexceptions -ffp-contract=off)
if(MIXDIM_SANITIZE)
  target_compile_options(emulation_checks PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1 -g)
  target_link_options(emulation_checks PRIVATE -fsanitize=address,undefined)
endif()
