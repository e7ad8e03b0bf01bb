# -DEDGE_RUNTIME_ONLY=ON: the lean build of what a robot links. lib/ir's loading and
# validation, lib/runtime, the C API (libedge_run.so and .a), edge-run (run, check, bench,
# info), the install package, examples/robot-loop and the tests that apply to them.
# No libonnx (ONNX checker, shape inference, text parser), no full libprotobuf (the ONNX
# classes are generated for protobuf-lite, EdgeOnnxProtoLite.cmake), no compressor, passes,
# calibration, training, report, yaml-cpp, spdlog, zlib or stb. See docs/deploy.md.
if(EDGE_FUZZ OR EDGE_SANITIZE)
  message(FATAL_ERROR "EDGE_RUNTIME_ONLY does not combine with EDGE_FUZZ or EDGE_SANITIZE")
endif()
include(EdgeOnnxProtoLite)
add_subdirectory(lib)

# edge-run over the runtime only: .npy inputs and outputs come from lib/data/npy.cc alone.
add_library(edge_app_common STATIC apps/common/app_util.cc apps/common/cli_suggest.cc
                                   apps/common/input_specs.cc lib/data/npy.cc)
target_link_libraries(edge_app_common PUBLIC edge_runtime CLI11::CLI11 nlohmann_json::nlohmann_json)
target_compile_definitions(edge_app_common PUBLIC EDGE_VERSION="${PROJECT_VERSION}" EDGE_RUNTIME_ONLY=1)
add_executable(edge-run ${EDGE_RUN_APP_SOURCES})
target_link_libraries(edge-run PRIVATE edge_app_common)
edge_apply_kernel_selection(edge-run)
install(TARGETS edge-run RUNTIME DESTINATION bin)

include(EdgeRunInstall)
add_subdirectory(examples/robot-loop)
if(EDGE_BUILD_TESTS)
  enable_testing()
  add_subdirectory(tests/lean)
endif()
