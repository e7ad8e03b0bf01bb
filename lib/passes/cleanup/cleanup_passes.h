// Cleanup passes: graph rewrites that keep outputs the same (within float tolerance).
// Each is implemented in its own file with a Before/After comment.
#pragma once

#include "pass/context.h"
#include "pass/pass.h"

namespace edge::pass {

#define EDGE_DECLARE_PASS(Class)                       \
  class Class : public Pass {                          \
   public:                                             \
    explicit Class(const PassOptions& o) : opts_(o) {} \
    static const char* summary();                      \
    static std::vector<OptionSpec> options();          \
    void run(Model& model, PassContext& ctx) override; \
                                                       \
   private:                                            \
    PassOptions opts_;                                 \
  };

EDGE_DECLARE_PASS(FoldConstants)       // fold_constants.cc
EDGE_DECLARE_PASS(FuseBatchNorm)       // fuse_batchnorm.cc
EDGE_DECLARE_PASS(RemoveIdentity)      // remove_identity.cc
EDGE_DECLARE_PASS(EliminateDead)       // eliminate_dead.cc
EDGE_DECLARE_PASS(DedupeInitializers)  // dedupe_initializers.cc
EDGE_DECLARE_PASS(SimplifyShapes)      // simplify_shapes.cc
EDGE_DECLARE_PASS(RemoveInitializerInputs)  // remove_initializer_inputs.cc

}  // namespace edge::pass
