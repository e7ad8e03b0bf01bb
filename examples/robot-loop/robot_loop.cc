// robot_loop_cxx: the C++ twin of robot_loop.c, on edge::rt::Session directly.
//
//   robot_loop_cxx MODEL.onnx [HZ=100] [ITERATIONS=500] [THREADS=1]
//
// Tensors are created before the loop; Session::run_into reuses the output
// tensors, so a steady-state iteration allocates nothing. Besides the heap
// count (test builds) it checks the runtime's own accounting:
// edge::live_tensor_bytes() must not grow inside the loop.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "loop_stats.h"
#include "runtime/session.h"

int main(int argc, char **argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr,
                 "usage: robot_loop_cxx MODEL.onnx [HZ=100] "
                 "[ITERATIONS=500] [THREADS=1]\n");
    return 2;
  }
  const double hz = argc > 2 ? std::atof(argv[2]) : 100.0;
  const int iters = argc > 3 ? std::atoi(argv[3]) : 500;
  edge::rt::SessionOptions opts;
  opts.threads = argc > 4 ? std::atoi(argv[4]) : 1;
  if (hz <= 0 || iters < 1) {
    std::fprintf(stderr, "robot_loop_cxx: HZ and ITERATIONS must be positive\n");
    return 2;
  }
  const double period_us = 1e6 / hz;
  auto model = edge::try_load_model(argv[1]);
  if (!model) {
    std::fprintf(stderr, "robot_loop_cxx: %s\n", model.status().message().c_str());
    return edge::exit_code_for(model.status().code());
  }
  auto session = edge::rt::Session::try_create(std::move(*model), opts);
  if (!session) {
    std::fprintf(stderr, "robot_loop_cxx: %s\n", session.status().message().c_str());
    return edge::exit_code_for(session.status().code());
  }
  edge::rt::Session &s = **session;
  if (s.inputs().size() != 1 || s.inputs()[0].dtype != edge::DType::kFloat) {
    std::fprintf(stderr, "robot_loop_cxx: expects one float input\n");
    return 2;
  }
  edge::Shape shape = s.inputs()[0].shape;
  for (auto &d : shape) d = d < 0 ? 1 : d;  // dynamic dims (batch) = 1
  edge::rt::NamedTensors feeds{{s.inputs()[0].name, edge::Tensor(edge::DType::kFloat, shape)}};
  edge::rt::NamedTensors outputs;
  float *x = feeds[0].second.data<float>();
  const int64_t n = feeds[0].second.numel();
  auto fill_frame = [&](int step) {  // a synthetic sensor frame: a moving wave in [0, 1)
    for (int64_t i = 0; i < n; ++i) x[i] = 0.5f + 0.49f * std::sin(0.05f * step + 0.01f * static_cast<float>(i));
  };
  std::vector<double> lat(static_cast<size_t>(iters));
  int misses = 0;
  double wake_late = 0;
  try {
    for (int k = 0; k < 4; ++k) s.run_into(feeds, outputs);  // warm-up: plans the arena
    const long allocs0 = robot_loop_heap_allocations ? robot_loop_heap_allocations() : 0;
    const uint64_t live0 = edge::live_tensor_bytes();
    uint64_t live_max = live0;
    const double t0 = loop_now_us() + period_us;
    for (int k = 0; k < iters; ++k) {
      const double slot = t0 + k * period_us;
      loop_sleep_until_us(slot);
      const double start = loop_now_us();
      if (start - slot > wake_late) wake_late = start - slot;
      fill_frame(k);
      s.run_into(feeds, outputs);
      const double end = loop_now_us();
      lat[static_cast<size_t>(k)] = end - start;
      if (end > slot + period_us) ++misses;
      if (edge::live_tensor_bytes() > live_max) live_max = edge::live_tensor_bytes();
    }
    const long allocs = robot_loop_heap_allocations ? robot_loop_heap_allocations() - allocs0 : -1;
    int rc = loop_report("robot_loop_cxx (C++ API)", lat.data(), iters, misses, wake_late, period_us, allocs);
    std::printf("tensor bytes live: %llu before the loop, at most %llu inside it\n",
                static_cast<unsigned long long>(live0), static_cast<unsigned long long>(live_max));
    std::printf("last output[0] = %g\n", static_cast<double>(outputs[0].second.data<float>()[0]));
    return live_max > live0 ? 1 : rc;
  } catch (const edge::Error &e) {
    std::fprintf(stderr, "robot_loop_cxx: %s\n", e.what());
    return edge::exit_code_for(e.code());
  }
}
