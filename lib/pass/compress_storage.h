// How the pipeline runner accounts for storage (docs/storage.md): the per-layer dense and
// stored bytes of weights, next to the stage's "sparsity" metric.
#pragma once

#include "ir/model.h"
#include "report/report.h"

namespace edge::pass {

// Every layer row of `stage` with a "sparsity" metric gets "dense_bytes" and "stored_bytes":
// the element bytes of its weight (the op's weight input, also behind a DequantizeLinear; for
// ops without one, every initializer it reads) stored dense and as written (`sparse`: sparse
// storage when it pays). Rows whose node or weight is not found are left as they are.
void add_storage_columns(const Model& m, report::StageRecord& stage, bool sparse);

}  // namespace edge::pass
