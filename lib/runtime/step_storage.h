// StepStorage: the RunStorage a GraphRunner gives its kernels: a running step's outputs come
// from the runner's ValueMemory (planned arena or persistent buffers), and scratch space is
// one reused buffer that only grows.
#pragma once

#include <vector>

#include "runtime/kernel.h"
#include "runtime/value_memory.h"

namespace edge::rt {

class StepStorage : public RunStorage {
 public:
  explicit StepStorage(ValueMemory& memory) : memory_(memory) {}
  // The value ids of the running step's outputs (-1 where omitted).
  void begin(const std::vector<int>& output_values) { outputs_ = &output_values; }

  Buffer output_buffer(int index, size_t bytes) override {
    const int v = outputs_ && index >= 0 && static_cast<size_t>(index) < outputs_->size()
                      ? (*outputs_)[static_cast<size_t>(index)]
                      : -1;
    if (v < 0) return Tensor::allocate(bytes, false);  // an output nobody named: dropped after the step
    return memory_.acquire(v, bytes);
  }

  void* scratch(size_t bytes) override {
    if (bytes > scratch_bytes_ || !scratch_) {
      scratch_ = Tensor::allocate(bytes, false);
      scratch_bytes_ = bytes;
    }
    return scratch_.get();
  }

 private:
  ValueMemory& memory_;
  const std::vector<int>* outputs_ = nullptr;
  Buffer scratch_;
  size_t scratch_bytes_ = 0;
};

}  // namespace edge::rt
