// BitShift: Z = X << Y or X >> Y (direction attribute) for unsigned integers, with
// numpy broadcasting; shifting by the bit width or more gives 0.
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
std::vector<DType> unsigned_types() { return {DType::kUint8, DType::kUint16, DType::kUint32, DType::kUint64}; }

class BitShiftKernel : public OpKernel {
 public:
  explicit BitShiftKernel(const KernelInit& init) {
    std::string d = init.attrs.get_string("direction", "");
    if (d != "LEFT" && d != "RIGHT") fail(init.where() + ": attribute direction must be LEFT or RIGHT");
    left_ = d == "LEFT";
  }

  void compute(KernelContext& ctx) override {
    ew_check_type(ctx, ctx.input(0).dtype(), unsigned_types());
    binary_numeric(ctx, [this](auto a, auto b) {
      using T = decltype(a);
      if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
        if (b >= sizeof(T) * 8) return T(0);
        using U = ew_wide_unsigned_t<T>;
        return static_cast<T>(left_ ? static_cast<U>(a) << b : static_cast<U>(a) >> b);
      } else {
        return a;
      }
    });
  }

 private:
  bool left_ = true;
};
}  // namespace

void register_BitShift(KernelRegistry& r) {
  r.add({"", "BitShift", 11, kOpsetMax, unsigned_types(), factory_of<BitShiftKernel>()});
}

}  // namespace edge::rt
