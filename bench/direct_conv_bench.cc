// Single 2-D Conv layers on the cpu backend's kernels, one thread: the dense direct kernel
// (AVX-512 tile where the CPU has it, and the AVX2 tile), the 1x1 layers' packed GEMM and
// AVX-512 pointwise tile (written to the output: the direct and sparse columns stop at their
// wide buffer), and the sparse rows at shares of zero weights from 50 to 95 %. Median microseconds of `runs` runs.
// What the sparse thresholds (linalg::DirectConv2d::kSparseFrom*) are read from
// (docs/performance.md).
//   build/bench/direct_conv_bench [runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "runtime/linalg/conv2d_direct.h"
#include "runtime/linalg/gemm.h"
#include "runtime/linalg/pointwise_avx512.h"

namespace linalg = edge::rt::linalg;

namespace {

struct Layer {
  const char* name;
  int64_t C, M, K, H, stride;
};

double median_us(int runs, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < runs / 10 + 1; ++i) f();
  for (int i = 0; i < runs; ++i) {
    const auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
  }
  std::nth_element(t.begin(), t.begin() + runs / 2, t.end());
  return t[static_cast<size_t>(runs / 2)];
}

std::vector<float> weights(int64_t n, double zeros, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> w(static_cast<size_t>(n));
  for (auto& v : w) v = u(rng);
  std::vector<size_t> idx(w.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::shuffle(idx.begin(), idx.end(), rng);
  for (size_t i = 0; i < static_cast<size_t>(static_cast<double>(n) * zeros + 0.5); ++i) w[idx[i]] = 0.f;
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 3000;
  const Layer layers[] = {
      {"Conv 3x3 64->64, 4x4", 64, 64, 3, 4, 1},        {"Conv 3x3 32->32, 7x7", 32, 32, 3, 7, 1},
      {"Conv 3x3 16->16, 14x14", 16, 16, 3, 14, 1},     {"Conv 3x3 64->64, 14x14", 64, 64, 3, 14, 1},
      {"Conv 3x3 s2 32->64, 14x14", 32, 64, 3, 14, 2},  {"Conv 1x1 64->128, 7x7", 64, 128, 1, 7, 1},
      {"Conv 1x1 128->128, 4x4", 128, 128, 1, 4, 1},    {"Conv 1x1 32->64, 14x14", 32, 64, 1, 14, 1},
      {"Conv 1x1 128->256, 14x14", 128, 256, 1, 14, 1},
  };
  const double shares[] = {0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
  std::printf("%-28s %8s %8s %8s %8s", "layer (us)", "avx512", "avx2", "gemm", "pw512");
  for (double s : shares) std::printf(" %7.0f%%", s * 100);
  std::printf("\n");
  std::mt19937 rng(1);
  for (const Layer& l : layers) {
    const int64_t pad = l.K / 2, OH = (l.H + 2 * pad - l.K) / l.stride + 1;
    const linalg::Conv2dGeom g{l.C, l.H, l.H, l.K, l.K, l.stride, l.stride, 1, 1, pad, pad, OH, OH};
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> x(static_cast<size_t>(l.C * l.H * l.H));
    for (auto& v : x) v = u(rng);
    const auto dense_w = weights(l.M * l.C * l.K * l.K, 0.0, rng);
    auto time_direct = [&](const linalg::DirectConv2d& d) {
      std::vector<float> scratch(d.scratch_floats(g) + 16);
      float* s = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) / 64 * 64);
      return median_us(runs, [&] { d.run(x.data(), g, s, nullptr); });
    };
    const double fast = time_direct(linalg::DirectConv2d(l.M, l.C, l.K, l.K, dense_w.data()));
    linalg::c16::force_off(true);
    const double avx2 = time_direct(linalg::DirectConv2d(l.M, l.C, l.K, l.K, dense_w.data()));
    linalg::c16::force_off(false);
    double gemm = 0, pw = 0;
    if (l.K == 1 && l.stride == 1) {  // the pointwise paths: the input as it is
      const linalg::PackedA a(false, l.M, l.C, dense_w.data(), l.C);
      std::vector<float> y(static_cast<size_t>(l.M * OH * OH));
      gemm = median_us(runs, [&] {
        linalg::sgemm_packed(a, false, OH * OH, 1.f, x.data(), OH * OH, 0.f, y.data(), OH * OH, nullptr);
      });
      if (linalg::pw512::available()) {
        const auto p = linalg::pw512::pack(l.M, l.C, dense_w.data());
        pw = median_us(runs, [&] { linalg::pw512::run(p, x.data(), OH * OH, nullptr, nullptr, y.data(), nullptr); });
      }
    }
    std::printf("%-28s %8.2f %8.2f %8.2f %8.2f", l.name, fast, avx2, gemm, pw);
    for (double share : shares) {
      const auto w = weights(l.M * l.C * l.K * l.K, share, rng);
      std::printf(" %8.2f", time_direct(linalg::DirectConv2d(l.M, l.C, l.K, l.K, w.data(), true)));
    }
    std::printf("\n");
  }
  return 0;
}
