// Helpers of the part-B gradient tests (test_train_grads_b*.cc).
#pragma once

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge::test {

inline Tensor ints(const Shape& shape, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(shape, v); }
inline Tensor ints1(const std::vector<int64_t>& v) { return ints({static_cast<int64_t>(v.size())}, v); }

inline void add_float_attr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

// Tensors whose elements are all distinct and at least 0.05 apart across every tensor
// returned (and 0.05 from 0), so that Max/Min/ReduceMax pick one element and central
// differences (step 1e-3) never cross a tie or the kink of |x|.
inline std::vector<Tensor> distinct_tensors(const std::vector<Shape>& shapes, uint64_t seed) {
  int64_t total = 0;
  for (const auto& s : shapes) total += Tensor(DType::kFloat, s).numel();
  std::vector<int64_t> order(static_cast<size_t>(total));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Tensor> out;
  size_t k = 0;
  for (const auto& s : shapes) {
    Tensor t(DType::kFloat, s);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 0.05f * static_cast<float>(order[k++]) - 1.025f;
    out.push_back(t);
  }
  return out;
}

}  // namespace edge::test
