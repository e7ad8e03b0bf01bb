// Runtime groundwork: GEMM (blocked, packed, AVX2 vs portable), thread pool, kernel
// registry precedence, memory planner, planned runs, observers and replaceable weights.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <stdexcept>

#include "ir/text_format.h"
#include "runtime/kernel_registry.h"
#include "runtime/linalg/gemm.h"
#include "runtime/memory_plan.h"
#include "runtime/session.h"
#include "runtime/thread_pool.h"

using namespace edge;

namespace {

std::vector<float> random_vec(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// C = op(A) op(B) in double, the oracle.
std::vector<double> gemm_oracle(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const std::vector<float>& A,
                                const std::vector<float>& B) {
  std::vector<double> C(static_cast<size_t>(M * N), 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A[static_cast<size_t>(k * M + i)] : A[static_cast<size_t>(i * K + k)];
        const double b = tb ? B[static_cast<size_t>(j * K + k)] : B[static_cast<size_t>(k * N + j)];
        s += a * b;
      }
      C[static_cast<size_t>(i * N + j)] = s;
    }
  return C;
}

double max_err(const std::vector<float>& got, const std::vector<double>& want) {
  double e = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (std::isnan(d)) return INFINITY;
    e = std::max(e, d);
  }
  return e;
}

}  // namespace

TEST_CASE("sgemm matches a double-precision oracle on awkward shapes") {
  struct Case {
    int64_t M, N, K;
  };
  const Case cases[] = {{1, 1, 1},   {1, 37, 300}, {37, 1, 300}, {5, 7, 3},      {13, 129, 257},
                        {200, 9, 513}, {64, 300, 17}, {3, 1000, 2}, {7, 33, 1024}};
  rt::ThreadPool pool(2);
  for (bool generic : {false, true}) {
    rt::linalg::sgemm_force_generic(generic);
    for (const auto& c : cases) {
      for (int t = 0; t < 4; ++t) {
        const bool ta = t & 1, tb = t & 2;
        auto A = random_vec(static_cast<size_t>(c.M * c.K), 1);
        auto B = random_vec(static_cast<size_t>(c.K * c.N), 2);
        auto want = gemm_oracle(ta, tb, c.M, c.N, c.K, A, B);
        std::vector<float> C(static_cast<size_t>(c.M * c.N), 123.f), C2 = C;
        rt::linalg::sgemm(ta, tb, c.M, c.N, c.K, 1.f, A.data(), ta ? c.M : c.K, B.data(), tb ? c.K : c.N, 0.f,
                          C.data(), c.N, nullptr);
        INFO("M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << ta << " tb=" << tb << " generic=" << generic);
        REQUIRE(max_err(C, want) < 1e-4 * std::sqrt(static_cast<double>(c.K)) + 1e-5);
        // Threads never change the result, not even in the last bit.
        rt::linalg::sgemm(ta, tb, c.M, c.N, c.K, 1.f, A.data(), ta ? c.M : c.K, B.data(), tb ? c.K : c.N, 0.f,
                          C2.data(), c.N, &pool);
        REQUIRE(C == C2);
      }
    }
  }
  rt::linalg::sgemm_force_generic(false);
}

TEST_CASE("packed sgemm equals unpacked sgemm and honours beta") {
  for (bool generic : {false, true}) {
    rt::linalg::sgemm_force_generic(generic);
    const int64_t M = 29, N = 70, K = 300;
    auto A = random_vec(static_cast<size_t>(M * K), 3);
    auto B = random_vec(static_cast<size_t>(K * N), 4);
    std::vector<float> base = random_vec(static_cast<size_t>(M * N), 5);
    std::vector<float> C1 = base, C2 = base;
    rt::linalg::sgemm(false, false, M, N, K, 0.5f, A.data(), K, B.data(), N, 1.f, C1.data(), N, nullptr);
    rt::linalg::PackedA pa(false, M, K, A.data(), K);
    rt::linalg::sgemm_packed(pa, false, N, 0.5f, B.data(), N, 1.f, C2.data(), N, nullptr);
    REQUIRE(C1 == C2);
    auto want = gemm_oracle(false, false, M, N, K, A, B);
    for (size_t i = 0; i < want.size(); ++i) want[i] = 0.5 * want[i] + base[i];
    REQUIRE(max_err(C2, want) < 1e-3);
  }
  rt::linalg::sgemm_force_generic(false);
}

TEST_CASE("thread pool covers the range and reports exceptions after all chunks finish") {
  rt::ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  pool.parallel_for(1000, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
  });
  REQUIRE(std::count(hits.begin(), hits.end(), 1) == 1000);

  for (int thrower = 0; thrower < 3; ++thrower) {
    std::atomic<int> finished{0};
    auto body = [&](int64_t b, int64_t e) {
      (void)e;
      if (b == thrower * 10) throw std::runtime_error("chunk " + std::to_string(thrower));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++finished;
    };
    REQUIRE_THROWS_WITH(pool.parallel_for(30, body), "chunk " + std::to_string(thrower));
    REQUIRE(finished == 2);  // the other chunks ran to the end before the call returned
  }
  // Several chunks throw: the lowest chunk's exception wins; the pool stays usable.
  REQUIRE_THROWS_WITH(pool.parallel_for(30, [](int64_t b, int64_t) { throw std::runtime_error(std::to_string(b)); }),
                      "0");
  int64_t sum = 0;
  std::mutex mu;
  pool.parallel_for(100, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> l(mu);
    for (int64_t i = b; i < e; ++i) sum += i;
  });
  REQUIRE(sum == 4950);
  // Nested calls run serially inside the chunk instead of deadlocking.
  std::atomic<int64_t> nested{0};
  pool.parallel_for(3, [&](int64_t, int64_t) { pool.parallel_for(10, [&](int64_t b, int64_t e) { nested += e - b; }); });
  REQUIRE(nested == 30);
}

TEST_CASE("thread pool: spinning and sleeping handoffs both run every chunk exactly once") {
  // spin 0: always through the condition variables; the default: back-to-back calls caught
  // while spinning, and calls after a pause longer than the spin window wake sleeping workers.
  for (int spin_us : {0, rt::ThreadPool::kDefaultSpinUs, 5000}) {
    rt::ThreadPool pool(2, spin_us);
    INFO("spin_us " << spin_us);
    std::vector<std::atomic<int>> hits(97);
    for (int call = 0; call < 2000; ++call) {
      if (call % 500 == 499) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // past the spin window
      const int64_t n = 1 + call % 97;
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
      });
    }
    // Index i is covered by the calls with n > i.
    for (int64_t i = 0; i < 97; ++i) {
      int64_t want = 0;
      for (int call = 0; call < 2000; ++call) want += (1 + call % 97) > i;
      REQUIRE(hits[static_cast<size_t>(i)].load() == want);
    }
  }
}

TEST_CASE("memory planner packs by lifetime and never overlaps live buffers") {
  std::vector<rt::BufferRequest> reqs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {500, 3, 4}, {64, 0, 4}};
  auto plan = rt::plan_memory(reqs);
  REQUIRE(rt::plan_is_valid(reqs, plan));
  // 0 and 2 do not overlap in time: they can share; peak is two 1000-byte buffers + 64.
  REQUIRE(plan.arena_bytes <= 2048 + 64);
  std::mt19937 rng(9);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<rt::BufferRequest> r;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 30);
      r.push_back({static_cast<int64_t>(rng() % 5000), first, first + static_cast<int>(rng() % 10)});
    }
    auto p = rt::plan_memory(r);
    REQUIRE(rt::plan_is_valid(r, p));
    int64_t total = 0;
    for (const auto& q : r) total += (q.bytes + 63) / 64 * 64 + 64;
    REQUIRE(p.arena_bytes <= total);
  }
}

namespace {
rt::KernelDef test_def(const std::string& backend, int priority, float value) {
  rt::KernelDef d;
  d.op = "Relu";
  d.backend = backend;
  d.priority = priority;
  d.create = [value](const rt::KernelInit&) -> std::unique_ptr<rt::OpKernel> {
    struct K : rt::OpKernel {
      float v;
      explicit K(float x) : v(x) {}
      void compute(rt::KernelContext& ctx) override {
        ctx.alloc_output(0, DType::kFloat, ctx.input(0).shape());
        float* y = ctx.output(0).data<float>();
        for (int64_t i = 0; i < ctx.output(0).numel(); ++i) y[i] = v;
      }
    };
    return std::make_unique<K>(value);
  };
  return d;
}
const char* kRelu = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2] x) => (float[2] y) { y = Relu(x) }
)";
float run_relu(const rt::KernelRegistry& reg, std::vector<std::string> backends = {}) {
  rt::SessionOptions so;
  so.registry = &reg;
  so.backends = std::move(backends);
  auto s = rt::Session::create(parse_model_text(kRelu), so);
  return s->run({{"x", Tensor::from_vector<float>({2}, {1, 2})}})[0].second.data<float>()[0];
}
}  // namespace

TEST_CASE("registry picks the highest priority among enabled backends with the CPU's features") {
  rt::KernelRegistry reg;
  reg.add(test_def("reference", 0, 1.f));
  REQUIRE(run_relu(reg) == 1.f);
  reg.add(test_def("fast", 10, 2.f));
  reg.add(test_def("slow", 5, 3.f));  // added later but lower priority
  REQUIRE(run_relu(reg) == 2.f);
  REQUIRE(run_relu(reg, {"slow"}) == 3.f);
  REQUIRE(run_relu(reg, {"reference"}) == 1.f);
  auto needs = test_def("exotic", 100, 4.f);
  needs.cpu_features = 1u << 30;  // a feature no CPU reports
  reg.add(needs);
  REQUIRE(run_relu(reg) == 2.f);
  auto picky = test_def("picky", 50, 5.f);
  picky.accepts = [](const rt::KernelInit& init) { return init.input_type(0).is_static() && init.input_type(0).shape[0] == 3; };
  reg.add(picky);
  REQUIRE(run_relu(reg) == 2.f);  // input is [2]: the picky kernel declines
  rt::SessionOptions so;
  so.registry = &reg;
  so.backends = {"nonexistent"};
  REQUIRE_THROWS_WITH(rt::Session::create(parse_model_text(kRelu), so), Catch::Contains("unknown backend 'nonexistent'"));
}

namespace {
const char* kChain = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 8] x) => (float[N, 8] y, float[N, 2, 4] z)
<float[8] b = {1, 2, 3, 4, 5, 6, 7, 8}>
{
  c = Constant<value = float[8] {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}>()
  t1 = Add(x, b)
  t2 = Mul(t1, c)
  t3 = Relu(t2)
  s = Constant<value = int64[3] {0, 2, 4}>()
  z = Reshape(t3, s)
  t4 = Sigmoid(t3)
  y = Add(t4, t2)
}
)";
std::vector<float> expected_y(const std::vector<float>& x, float bias_scale) {
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const float t2 = (x[i] + bias_scale * static_cast<float>(i % 8 + 1)) * 0.5f;
    const float t3 = std::max(t2, 0.f);
    y[i] = 1.f / (1.f + std::exp(-t3)) + t2;
  }
  return y;
}
}  // namespace

TEST_CASE("planned runs reuse an arena, keep outputs the caller holds, and follow shape changes") {
  auto s = rt::Session::create(parse_model_text(kChain));
  std::vector<float> xv = random_vec(16, 11);
  Tensor x = Tensor::from_vector<float>({2, 8}, xv);
  auto first = s->run({{"x", x}});
  REQUIRE(s->arena_bytes() > 0);
  auto second = s->run({{"x", x}});
  auto third = s->run({{"x", Tensor::from_vector<float>({2, 8}, random_vec(16, 12))}});
  // Results held by the caller are not overwritten by later runs.
  REQUIRE(first[0].second.to_float_vector() == second[0].second.to_float_vector());
  REQUIRE_FALSE(first[0].second.shares_buffer_with(second[0].second));
  const auto want = expected_y(xv, 1.f);
  const auto got = second[0].second.to_float_vector();
  for (size_t i = 0; i < want.size(); ++i) REQUIRE(got[i] == Approx(want[i]).epsilon(1e-6));
  // z is a view (Reshape) of an intermediate: it must survive the run intact.
  REQUIRE(second[1].second.shape() == Shape{2, 2, 4});
  for (size_t i = 0; i < 16; ++i) REQUIRE(second[1].second.data<float>()[i] == std::max(0.f, (xv[i] + static_cast<float>(i % 8 + 1)) * 0.5f));
  // A larger batch grows the plan; a smaller one fits in it.
  for (int64_t n : {5, 1, 7}) {
    auto xs = random_vec(static_cast<size_t>(n * 8), static_cast<uint32_t>(n));
    auto out = s->run({{"x", Tensor::from_vector<float>({n, 8}, xs)}});
    const auto w = expected_y(xs, 1.f);
    const auto g = out[0].second.to_float_vector();
    REQUIRE(g.size() == w.size());
    for (size_t i = 0; i < w.size(); ++i) REQUIRE(g[i] == Approx(w[i]).epsilon(1e-6));
  }
}

TEST_CASE("observer sees every node's outputs; weights can be replaced between runs") {
  auto s = rt::Session::create(parse_model_text(kChain));
  std::vector<std::string> seen;
  std::vector<float> t3_values;
  s->set_observer([&](const rt::NodeEvent& e) {
    seen.push_back(e.node.output(0));
    if (e.node.output(0) == "t3") t3_values = e.outputs[0].to_float_vector();
  });
  std::vector<float> xv = random_vec(8, 3);
  Tensor x = Tensor::from_vector<float>({1, 8}, xv);
  s->run({{"x", x}});
  REQUIRE(seen == std::vector<std::string>{"t1", "t2", "t3", "z", "t4", "y"});  // Constant nodes were folded
  REQUIRE(t3_values.size() == 8);
  s->set_observer({});
  seen.clear();
  s->run({{"x", x}});
  REQUIRE(seen.empty());

  std::vector<float> b2(8);
  for (size_t i = 0; i < 8; ++i) b2[i] = 2.f * static_cast<float>(i + 1);
  s->set_weight("b", Tensor::from_vector<float>({8}, b2));
  const auto got = s->run({{"x", x}})[0].second.to_float_vector();
  const auto want = expected_y(xv, 2.f);
  for (size_t i = 0; i < 8; ++i) REQUIRE(got[i] == Approx(want[i]).epsilon(1e-6));
  REQUIRE_THROWS_WITH(s->set_weight("b", Tensor::from_vector<float>({2}, {1, 2})), Catch::Contains("cannot replace"));
  REQUIRE_THROWS_WITH(s->set_weight("nope", Tensor::from_vector<float>({2}, {1, 2})), Catch::Contains("no initializer"));
}
