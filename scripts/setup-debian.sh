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
  python3 nodejs npm >/dev/null
echo "setup-debian: dependencies installed"
