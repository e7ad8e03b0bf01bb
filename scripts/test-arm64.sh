#!/usr/bin/env bash
# aarch64 in CI: installs Debian's cross compiler, qemu-user-static and the multiarch arm64
# libraries the runtime-only build links (protobuf, zstd), cross-builds it
# (scripts/build-lean.sh --arm64) and runs its whole ctest suite under qemu-aarch64: ONNX
# conformance, C API bad input and mnist-8, the installed-package consumers and robot-loop,
# no allocation in steady state, fuzz replays, the hostile corpus. Correctness only: timing
# under qemu means nothing. Run as root or with sudo (docs/deploy.md, "Cross-building").
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
APT=(env DEBIAN_FRONTEND=noninteractive apt-get)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then "${SUDO[@]}" dpkg --add-architecture arm64; fi
"${SUDO[@]}" "${APT[@]}" update -qq
"${SUDO[@]}" "${APT[@]}" install -y -qq --no-install-recommends g++-aarch64-linux-gnu qemu-user-static \
  libprotobuf-dev:arm64 libzstd-dev:arm64 >/dev/null
echo "test-arm64: cross toolchain and arm64 libraries installed"
bash scripts/build-lean.sh --arm64 --test
