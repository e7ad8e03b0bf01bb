// Mod: C = A mod B with numpy broadcasting. fmod=0: the result takes the sign of the
// divisor (Python/numpy semantics); fmod=1: the sign of the dividend (C fmod). Integer
// modulo by zero is reported as an error.
#include <cmath>
#include <type_traits>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
class ModKernel : public OpKernel {
 public:
  explicit ModKernel(const KernelInit& init) {
    int64_t f = init.attrs.get_int("fmod", 0);
    if (f != 0 && f != 1) fail(init.where() + ": attribute fmod must be 0 or 1, got " + std::to_string(f));
    fmod_ = f == 1;
  }

  void compute(KernelContext& ctx) override {
    ew_check_type(ctx, ctx.input(0).dtype(), numeric_types());
    binary_numeric(ctx, [&](auto a, auto b) {
      using T = decltype(a);
      if constexpr (std::is_integral_v<T>) {
        if (b == T(0)) fail(ctx.where() + ": integer modulo by zero");
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return T(0);  // avoids INT_MIN % -1 overflow
          T r = static_cast<T>(a % b);
          if (!fmod_ && r != T(0) && ((r < T(0)) != (b < T(0)))) r = static_cast<T>(r + b);
          return r;
        } else {
          return static_cast<T>(a % b);
        }
      } else {
        T r = std::fmod(a, b);
        if (!fmod_ && r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
        return r;
      }
    });
  }

 private:
  bool fmod_ = false;
};
}  // namespace

void register_Mod(KernelRegistry& r) { r.add({"", "Mod", 10, kOpsetMax, numeric_types(), factory_of<ModKernel>()}); }

}  // namespace edge::rt
