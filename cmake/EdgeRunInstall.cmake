# Install rules for edge-run as a library: `cmake --install build --prefix P` gives
#   P/include/edge_run.h               the C API
#   P/include/edge-run/{ir,runtime}/   the C++ headers (edge::rt::Session)
#   P/lib/libedge_run.so*              shared, exports edge_run_* only, links its deps itself
#   P/lib/libedge_run.a                static: C API + runtime + ir in one archive
#   P/lib/cmake/EdgeRun/               find_package(EdgeRun): EdgeRun::edge_run (shared),
#                                      EdgeRun::edge_run_static (static, C and C++ API)
#   P/lib/pkgconfig/edge-run.pc        pkg-config --cflags --libs edge-run
set(EDGE_RUN_STATIC_ARCHIVE ${CMAKE_BINARY_DIR}/lib/libedge_run.a)
# The runtime-only build (EdgeRuntimeOnly.cmake) adds its generated ONNX classes to the
# archive and links protobuf-lite instead of libonnx + full protobuf.
set(EDGE_RUN_ARCHIVE_PARTS edge_capi edge_runtime edge_ir)
if(EDGE_RUNTIME_ONLY)
  list(APPEND EDGE_RUN_ARCHIVE_PARTS edge_onnx_proto)
  set(EDGE_RUN_STATIC_DEPS "protobuf-lite;zstd;Threads::Threads")
  set(EDGE_RUN_STATIC_DEFS "EDGE_RUNTIME_ONLY=1")
  set(EDGE_RUN_PC_PRIVATE "-lprotobuf-lite -lzstd -lstdc++ -lpthread")
else()
  set(EDGE_RUN_STATIC_DEPS "onnx;onnx_proto;protobuf;zstd;Threads::Threads")
  set(EDGE_RUN_STATIC_DEFS "ONNX_NAMESPACE=onnx;ONNX_ML=1")
  set(EDGE_RUN_PC_PRIVATE "-lonnx -lonnx_proto -lprotobuf -lzstd -lstdc++ -lpthread")
endif()
set(_edge_mri "CREATE ${EDGE_RUN_STATIC_ARCHIVE}\n")
foreach(part ${EDGE_RUN_ARCHIVE_PARTS})
  string(APPEND _edge_mri "ADDLIB $<TARGET_FILE:${part}>\n")
endforeach()
string(APPEND _edge_mri "SAVE\nEND\n")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/lib/edge_run_static.mri CONTENT "${_edge_mri}")
unset(_edge_mri)
add_custom_command(OUTPUT ${EDGE_RUN_STATIC_ARCHIVE}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${EDGE_RUN_STATIC_ARCHIVE}
  COMMAND sh -c "${CMAKE_AR} -M < ${CMAKE_BINARY_DIR}/lib/edge_run_static.mri"
  DEPENDS ${EDGE_RUN_ARCHIVE_PARTS} ${CMAKE_BINARY_DIR}/lib/edge_run_static.mri
  COMMENT "Merging libedge_run.a (${EDGE_RUN_ARCHIVE_PARTS})" VERBATIM)
add_custom_target(edge_run_static ALL DEPENDS ${EDGE_RUN_STATIC_ARCHIVE})

install(TARGETS edge_run LIBRARY DESTINATION lib)
install(FILES ${EDGE_RUN_STATIC_ARCHIVE} DESTINATION lib)
install(FILES ${PROJECT_SOURCE_DIR}/lib/capi/edge_run.h DESTINATION include)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/ir ${PROJECT_SOURCE_DIR}/lib/runtime DESTINATION include/edge-run
  FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
if(EDGE_RUNTIME_ONLY)  # the C++ headers include "onnx/onnx_pb.h": the generated protobuf-lite classes
  install(FILES ${CMAKE_BINARY_DIR}/gen/onnx/onnx.pb.h ${CMAKE_BINARY_DIR}/gen/onnx/onnx_pb.h
          DESTINATION include/edge-run/onnx)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/EdgeRunConfig.cmake.in ${CMAKE_BINARY_DIR}/EdgeRunConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/EdgeRunConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/EdgeRunConfig.cmake ${CMAKE_BINARY_DIR}/EdgeRunConfigVersion.cmake
  DESTINATION lib/cmake/EdgeRun)
configure_file(${CMAKE_CURRENT_LIST_DIR}/edge-run.pc.in ${CMAKE_BINARY_DIR}/edge-run.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/edge-run.pc DESTINATION lib/pkgconfig)
