# Cross-compiling for 64-bit ARM Linux (Debian 12 host):
#   apt-get install g++-aarch64-linux-gnu qemu-user-static
#   dpkg --add-architecture arm64 && apt-get update && apt-get install libprotobuf-dev:arm64 libzstd-dev:arm64
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DEDGE_RUNTIME_ONLY=ON
# Libraries come from Debian's multiarch folders (/usr/lib/aarch64-linux-gnu), programs (protoc)
# from the host. Tests run under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR); the arm64
# dynamic loader and libraries installed by multiarch let it run dynamically linked programs.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_AR aarch64-linux-gnu-ar CACHE FILEPATH "archiver")
set(CMAKE_STRIP aarch64-linux-gnu-strip CACHE FILEPATH "strip")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
find_program(EDGE_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(EDGE_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${EDGE_QEMU_AARCH64})
endif()
# pkg-config (libzstd): the arm64 .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
