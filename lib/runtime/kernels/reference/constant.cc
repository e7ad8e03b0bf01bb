// Constant: outputs the tensor given by one attribute: value (a tensor), value_float(s)
// or value_int(s). value_string(s) and sparse_value are not supported.
#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {
class ConstantKernel : public OpKernel {
 public:
  explicit ConstantKernel(const KernelInit& init) {
    const NodeAttrs& a = init.attrs;
    int count = 0;
    for (const char* n : {"value", "value_float", "value_floats", "value_int", "value_ints", "value_string",
                          "value_strings", "sparse_value"}) {
      count += a.has(n) ? 1 : 0;
    }
    if (count != 1) fail(init.where() + ": exactly one value attribute is required");
    if (a.has("value")) {
      value_ = a.get_tensor("value");
    } else if (a.has("value_float")) {
      value_ = Tensor::scalar<float>(a.get_float("value_float", 0.f));
    } else if (a.has("value_floats")) {
      std::vector<float> v = a.get_floats("value_floats");
      value_ = Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
    } else if (a.has("value_int")) {
      value_ = Tensor::scalar<int64_t>(a.get_int("value_int", 0));
    } else if (a.has("value_ints")) {
      std::vector<int64_t> v = a.get_ints("value_ints");
      value_ = Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
    } else {
      fail_unsupported(init.where() + ": string and sparse constants are not supported");
    }
  }

  void compute(KernelContext& ctx) override { ctx.outputs[0] = value_.clone(); }

 private:
  Tensor value_;
};
}  // namespace

void register_Constant(KernelRegistry& r) {
  r.add({"", "Constant", 1, kOpsetMax, {}, factory_of<ConstantKernel>()});
}

}  // namespace edge::rt
