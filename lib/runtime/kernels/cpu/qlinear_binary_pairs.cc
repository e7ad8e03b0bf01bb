// cpu backend: QLinearAdd and QLinearMul (com.microsoft, and the QDQ fusion's form) with constant
// scales and zero points: the reference formula (qlinear_binary.h) evaluated once at preparation
// for every pair of operand codes into a 64 KiB table, so each element is one lookup,
// bit-identical to the reference. Same-shape operands and a scalar operand run as plain loops;
// other broadcasts through the reference's broadcasting loop.
#include <memory>
#include <vector>

#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/qlinear_binary.h"

namespace edge::rt {
namespace {

bool pairs_accepts(const KernelInit& init) {
  const DType a = init.input_type(0).dtype;
  if (!q_is_8bit(a)) return false;
  for (int i : {1, 4, 6}) {
    if (!init.constant(i)) return false;
  }
  for (int i : {2, 5, 7}) {
    if (init.has_input(i) && !init.constant(i)) return false;
  }
  return true;
}

class CpuQLinearPairsKernel : public OpKernel {
 public:
  CpuQLinearPairsKernel(const KernelInit& init, bool mul) : act_(QActivation::parse(init)) {
    type_ = init.input_type(0).dtype;
    auto opt = [&](int i) { return init.has_input(i) ? init.constant(i) : nullptr; };
    const QBinaryFormula q(init.where(), type_, *init.constant(1), opt(2), *init.constant(4), opt(5), *init.constant(6),
                           opt(7), act_);
    table_.resize(256 * 256);
    for (int32_t x = 0; x < 256; ++x) {
      for (int32_t y = 0; y < 256; ++y) {
        const int32_t c = mul ? q.eval(x + q.base, y + q.base, [](double a, double b) { return a * b; })
                              : q.eval(x + q.base, y + q.base, [](double a, double b) { return a + b; });
        table_[static_cast<size_t>(x * 256 + y)] = static_cast<uint8_t>(c);  // the code's byte
      }
    }
  }

  std::string algorithm() const override { return "pair-table" + act_.suffix(); }

  void compute(KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(3);
    if (a.dtype() != type_ || b.dtype() != type_) {
      fail(ctx.where() + ": A " + a.describe() + " and B " + b.describe() + " must both be " + dtype_name(type_));
    }
    Tensor& c = ctx.alloc_output(0, type_, broadcast_shapes({a.shape(), b.shape()}, ctx.where()));
    // Operands as bytes: the table is indexed by the codes' bytes (int8 codes offset by 128).
    const uint8_t off = type_ == DType::kInt8 ? 0x80 : 0;
    const auto* pa = static_cast<const uint8_t*>(a.raw());
    const auto* pb = static_cast<const uint8_t*>(b.raw());
    auto* pc = static_cast<uint8_t*>(c.raw());
    const uint8_t* t = table_.data();
    const int64_t n = c.numel();
    if (a.numel() == n && b.numel() == n) {
      for (int64_t i = 0; i < n; ++i) pc[i] = t[(pa[i] ^ off) * 256 + (pb[i] ^ off)];
    } else if (b.numel() == 1 && a.numel() == n) {
      const int32_t y = pb[0] ^ off;
      for (int64_t i = 0; i < n; ++i) pc[i] = t[(pa[i] ^ off) * 256 + y];
    } else if (a.numel() == 1 && b.numel() == n) {
      const uint8_t* row = t + (pa[0] ^ off) * 256;
      for (int64_t i = 0; i < n; ++i) pc[i] = row[pb[i] ^ off];
    } else {
      auto run = [&](auto tag) {
        using T = decltype(tag);
        binary_broadcast<T, T, T>(a, b, c, [&](T x, T y) {
          return static_cast<T>(t[(static_cast<uint8_t>(x) ^ off) * 256 + (static_cast<uint8_t>(y) ^ off)]);
        });
      };
      if (type_ == DType::kUint8) {
        run(uint8_t{});
      } else {
        run(int8_t{});
      }
    }
  }

 private:
  QActivation act_;
  DType type_ = DType::kUint8;
  std::vector<uint8_t> table_;  // [a code byte ^ off][b code byte ^ off] -> c code byte
};

}  // namespace

void register_cpu_QLinearBinaryPairs(KernelRegistry& r) {
  for (const char* domain : {"com.microsoft", kFusedDomain}) {
    r.add({domain,
           "QLinearAdd",
           1,
           kOpsetMax,
           {DType::kUint8, DType::kInt8},
           [](const KernelInit& init) { return std::make_unique<CpuQLinearPairsKernel>(init, false); },
           "cpu",
           10,
           0,
           pairs_accepts});
    r.add({domain,
           "QLinearMul",
           1,
           kOpsetMax,
           {DType::kUint8, DType::kInt8},
           [](const KernelInit& init) { return std::make_unique<CpuQLinearPairsKernel>(init, true); },
           "cpu",
           10,
           0,
           pairs_accepts});
  }
}

}  // namespace edge::rt
