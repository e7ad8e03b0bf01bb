// QLinearMul (com.microsoft, version 1; also the QDQ fusion's form of DQ -> Mul -> Q):
//   C = saturate(round_half_even((A_scale * (A - A_zp) * B_scale * (B - B_zp)) / C_scale) + C_zp)
// for uint8/int8 A and B of one type with numpy broadcasting (qlinear_binary.h).
#include "runtime/graph_fusion.h"
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/qlinear_binary.h"

namespace edge::rt {
namespace {

class QLinearMulKernel : public OpKernel {
 public:
  explicit QLinearMulKernel(const KernelInit& init) : act_(QActivation::parse(init)) {}
  std::string algorithm() const override { return "table" + act_.suffix(); }
  void compute(KernelContext& ctx) override {
    qlinear_binary(ctx, act_, [](double a, double b) { return a * b; });
  }

 private:
  QActivation act_;
};

}  // namespace

void register_QLinearMul(KernelRegistry& r) {
  r.add({"com.microsoft", "QLinearMul", 1, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearMulKernel>()});
  r.add({kFusedDomain, "QLinearMul", 1, kOpsetMax, {DType::kUint8, DType::kInt8}, factory_of<QLinearMulKernel>()});
}

}  // namespace edge::rt
