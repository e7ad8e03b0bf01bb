// Cast: converts X to the element type given by the `to` attribute (an enum from opset 6,
// a type name string in opset 1). String casts are not supported.
#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/ew_util.h"

namespace edge::rt {
namespace {
DType dtype_from_name(const std::string& s) {
  static const std::pair<const char*, DType> kNames[] = {
      {"FLOAT", DType::kFloat},   {"UINT8", DType::kUint8},   {"INT8", DType::kInt8},       {"UINT16", DType::kUint16},
      {"INT16", DType::kInt16},   {"INT32", DType::kInt32},   {"INT64", DType::kInt64},     {"STRING", DType::kString},
      {"BOOL", DType::kBool},     {"FLOAT16", DType::kFloat16}, {"DOUBLE", DType::kDouble}, {"UINT32", DType::kUint32},
      {"UINT64", DType::kUint64}};
  for (const auto& [name, t] : kNames) {
    if (s == name) return t;
  }
  return DType::kUndefined;
}

class CastKernel : public OpKernel {
 public:
  explicit CastKernel(const KernelInit& init) {
    const auto* a = init.attrs.find("to");
    if (!a) fail(init.where() + ": attribute 'to' is required");
    if (a->type() == onnx::AttributeProto::STRING) {
      to_ = dtype_from_name(a->s());
      if (to_ == DType::kUndefined) fail_unsupported(init.where() + ": unknown target type '" + a->s() + "'");
    } else {
      int64_t v = init.attrs.require_int("to");
      if (v <= 0 || v > 1000) fail(init.where() + ": invalid target type " + std::to_string(v));
      to_ = dtype_from_onnx(static_cast<int32_t>(v));
      if (to_ == DType::kUndefined) {
        const std::string newer = newer_onnx_type_name(static_cast<int32_t>(v));
        fail_unsupported(init.where() + ": cast to " + (newer.empty() ? "ONNX type " + std::to_string(v) : newer) +
                         " is not supported");
      }
    }
    if (!dtype_supported(to_) || to_ == DType::kString) {
      fail_unsupported(init.where() + ": cast to " + dtype_name(to_) + " is not supported");
    }
  }

  void compute(KernelContext& ctx) override { ctx.outputs[0] = ew_cast(ctx.input(0), to_, ctx.where()); }

 private:
  DType to_ = DType::kUndefined;
};
}  // namespace

void register_Cast(KernelRegistry& r) { r.add({"", "Cast", 1, kOpsetMax, all_types(), factory_of<CastKernel>()}); }

}  // namespace edge::rt
