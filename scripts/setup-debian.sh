#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages. Run it as root (a fresh
# container has no sudo) or as a user who may sudo: it calls sudo itself only when not root.
set -euo pipefail
# sudo resets the environment, so DEBIAN_FRONTEND goes on apt-get's command line.
APT=(env DEBIAN_FRONTEND=noninteractive apt-get)
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "setup-debian: not root and sudo is not installed: run this as root" >&2
    exit 1
  fi
  APT=(sudo "${APT[@]}")
fi
"${APT[@]}" update -qq
# chromium: the headless rendering check of the HTML report (ctest cli.test_report_html);
# zstd (the command): cli.test_sparse_storage makes and unpacks .onnx.zst files with it.
# python3-torch + python3-torchvision: scripts/export_torchvision.py (cli.test_torchvision_export,
# bench/vs_ort_torchvision.sh) exports torchvision models with PyTorch's own exporter.
"${APT[@]}" install -y -qq --no-install-recommends \
  build-essential cmake ninja-build ccache pkg-config git ca-certificates \
  libonnx-dev libprotobuf-dev protobuf-compiler libcli11-dev libspdlog-dev catch2 \
  libyaml-cpp-dev nlohmann-json3-dev libstb-dev zlib1g-dev libzstd-dev zstd libonnx-testdata \
  python3 python3-onnx python3-numpy python3-torch python3-torchvision make clang-14 libclang-rt-14-dev chromium >/dev/null
# Node.js + npm for the ONNX Runtime cross-check; keep an existing installation (e.g. a newer
# Node.js package that bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  "${APT[@]}" install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# ONNX Runtime for the cross-check test (ctest -L ort, scripts/ort/crosscheck.sh), from npm at
# the version pinned in scripts/ort/package-lock.json. --ignore-scripts: the package's postinstall
# only downloads the CUDA/TensorRT providers, which are not used (the CPU runtime is bundled).
# Installed as the user running this script (or, under `sudo bash ...`, as the user who ran
# sudo), so that node_modules is not owned by root. In CI a failure
# stops the setup; elsewhere the test is then skipped.
ORT_DIR="$(cd "$(dirname "$0")" && pwd)/ort"
AS_USER=()
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != root ]; then AS_USER=(sudo -H -u "$SUDO_USER"); fi
if ! (cd "$ORT_DIR" && "${AS_USER[@]}" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null); then
  if [ "${CI:-}" = true ]; then echo "setup-debian: npm ci in $ORT_DIR failed" >&2; exit 1; fi
  echo "setup-debian: warning: npm ci in $ORT_DIR failed; the ort.crosscheck test will be skipped" >&2
fi
echo "setup-debian: dependencies installed"
