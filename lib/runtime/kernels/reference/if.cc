// If: runs the then_branch or else_branch subgraph depending on a boolean scalar condition
// and returns that branch's outputs. Branches read outer-scope values through the scope.
#include <memory>
#include <vector>

#include "runtime/graph_runner.h"
#include "runtime/kernel_registry.h"

namespace edge::rt {
namespace {

class IfKernel : public OpKernel {
 public:
  explicit IfKernel(const KernelInit& init) {
    const onnx::GraphProto* tg = init.attrs.get_graph("then_branch");
    const onnx::GraphProto* eg = init.attrs.get_graph("else_branch");
    if (!tg || !eg) fail(init.where() + ": attributes then_branch and else_branch are required");
    then_ = init.compile_subgraph(*tg);
    else_ = init.compile_subgraph(*eg);
    check_branch(init, *then_, "then_branch");
    check_branch(init, *else_, "else_branch");
  }

  void compute(KernelContext& ctx) override {
    const Tensor& cond = ctx.input(0);
    if (cond.numel() != 1) fail(ctx.where() + ": cond must hold exactly one element, got " + cond.describe());
    const bool c = cond.dtype() == DType::kBool ? cond.data<bool>()[0] : cond.get_double(0) != 0;
    GraphRunner& branch = c ? *then_ : *else_;
    std::vector<Tensor> outs = branch.run({}, ctx.scope);
    if (static_cast<int>(outs.size()) != ctx.num_outputs()) {
      fail(ctx.where() + ": the " + (c ? "then" : "else") + " branch returned " + std::to_string(outs.size()) +
           " outputs, the node has " + std::to_string(ctx.num_outputs()));
    }
    for (int i = 0; i < ctx.num_outputs(); ++i) {
      if (ctx.has_output(i)) ctx.outputs[static_cast<size_t>(i)] = std::move(outs[static_cast<size_t>(i)]);
    }
  }

 private:
  static void check_branch(const KernelInit& init, const GraphRunner& g, const char* name) {
    if (!g.input_names().empty()) {
      fail(init.where() + ": " + name + " must not have inputs, it declares " +
           std::to_string(g.input_names().size()));
    }
    if (static_cast<int>(g.output_names().size()) != init.node.output_size()) {
      fail(init.where() + ": " + name + " has " + std::to_string(g.output_names().size()) +
           " outputs but the node has " + std::to_string(init.node.output_size()));
    }
  }

  std::unique_ptr<GraphRunner> then_, else_;
};

}  // namespace

void register_If(KernelRegistry& r) {
  r.add({"", "If", 1, kOpsetMax, {DType::kBool}, factory_of<IfKernel>()});
}

}  // namespace edge::rt
