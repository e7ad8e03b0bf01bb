// What the cpu-backend tests (test_cpu_kernels*.cc) share: random models in the ONNX text
// syntax, random inputs, and the check of the cpu kernels against the reference kernels (the
// oracle) on the same model.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "ir/tensor.h"
#include "ir/tensor_compare.h"
#include "ir/text_format.h"
#include "runtime/session.h"

namespace edge::test {

// "0.12, -0.5, ...": n uniform floats in [-scale, scale], for a tensor literal.
inline std::string random_floats_text(int64_t n, std::mt19937& rng, float scale = 1.f) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::ostringstream s;
  for (int64_t i = 0; i < n; ++i) s << (i ? ", " : "") << u(rng);
  return s.str();
}

// "2,3,4": the dims of a shape as the text syntax writes them.
inline std::string dims_text(const Shape& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r;
}

// A float tensor of uniform values in [lo, hi].
inline Tensor random_tensor(const Shape& s, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  Tensor x(DType::kFloat, s);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(rng);
  return x;
}

struct CpuCheck {
  CpuCheck(double rtol_, double atol_, int threads_ = 1, std::string kernel_prefix_ = "")
      : rtol(rtol_), atol(atol_), threads(threads_), kernel_prefix(std::move(kernel_prefix_)) {}
  double rtol, atol;
  int threads;                // of the cpu session
  std::string kernel_prefix;  // when set: some node of the cpu session ran a kernel whose name starts with it
};

// Runs the model `text` on the reference kernels alone (unfused) and on the default backends
// (cpu first; fused, profiled, `c.threads`), twice each (the second run uses the planned
// arena), and requires the same outputs: as many, each of the reference's shape and within
// rtol/atol. Returns the cpu session for further checks of its profile.
inline std::unique_ptr<rt::Session> check_against_reference(const std::string& text, const rt::NamedTensors& feeds,
                                                            const CpuCheck& c) {
  INFO(text);
  rt::SessionOptions ref_opts;
  ref_opts.backends = {"reference"};
  ref_opts.fuse = false;
  auto ref = rt::Session::create(parse_model_text(text), ref_opts);
  rt::SessionOptions fast_opts;
  fast_opts.threads = c.threads;
  fast_opts.profile = true;
  auto fast = rt::Session::create(parse_model_text(text), fast_opts);
  for (int rep = 0; rep < 2; ++rep) {
    auto want = ref->run(feeds);
    auto got = fast->run(feeds);
    REQUIRE(got.size() == want.size());
    for (size_t k = 0; k < got.size(); ++k) {
      REQUIRE(got[k].second.shape() == want[k].second.shape());
      auto cmp = compare_tensors(got[k].second, want[k].second, c.rtol, c.atol);
      INFO("run " << rep << " output " << k << " max abs " << cmp.max_abs << " mismatches " << cmp.mismatches);
      REQUIRE(cmp.mismatches == 0);
    }
  }
  if (!c.kernel_prefix.empty()) {
    bool chosen = false;
    std::string kernels;
    for (const auto& p : fast->profile()) {
      chosen = chosen || p.kernel.rfind(c.kernel_prefix, 0) == 0;
      kernels += " " + p.kernel;
    }
    INFO("want " << c.kernel_prefix << "; kernels:" << kernels);
    REQUIRE(chosen);
  }
  return fast;
}

}  // namespace edge::test
