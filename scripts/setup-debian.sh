#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages (run as root or with sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build ccache pkg-config git ca-certificates \
  libonnx-dev libprotobuf-dev protobuf-compiler libcli11-dev libspdlog-dev catch2 \
  libyaml-cpp-dev nlohmann-json3-dev libstb-dev zlib1g-dev libzstd-dev libonnx-testdata \
  python3 make clang-14 libclang-rt-14-dev >/dev/null
# Node.js + npm for the ONNX Runtime cross-check; keep an existing installation (e.g. a newer
# Node.js package that bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# ONNX Runtime for the cross-check test (ctest -L ort, scripts/ort/crosscheck.sh), from npm at
# the version pinned in scripts/ort/package-lock.json. --ignore-scripts: the package's postinstall
# only downloads the CUDA/TensorRT providers, which are not used (the CPU runtime is bundled).
# Installed as the user who ran sudo, so that node_modules is not owned by root. In CI a failure
# stops the setup; elsewhere the test is then skipped.
ORT_DIR="$(cd "$(dirname "$0")" && pwd)/ort"
AS_USER=()
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != root ]; then AS_USER=(sudo -H -u "$SUDO_USER"); fi
if ! (cd "$ORT_DIR" && "${AS_USER[@]}" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null); then
  if [ "${CI:-}" = true ]; then echo "setup-debian: npm ci in $ORT_DIR failed" >&2; exit 1; fi
  echo "setup-debian: warning: npm ci in $ORT_DIR failed; the ort.crosscheck test will be skipped" >&2
fi
echo "setup-debian: dependencies installed"
