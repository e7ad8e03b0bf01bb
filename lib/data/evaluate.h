// Scores a model on a dataset: accuracy against labels, agreement with a reference model,
// and throughput. A library function (no printing) used by `compressor eval` and by the
// compressor's accuracy gates. JSON field names: docs/eval-schema.md.
#pragma once

#include <functional>

#include <cstdint>
#include <string>

#include "data/dataset.h"
#include "runtime/session.h"

namespace edge::data {

struct EvalOptions {
  int64_t batch = 1;   // samples a run when the model's batch dim is dynamic
  int64_t limit = 0;   // evaluate the first N samples of the pass (0 = all)
  std::string output;  // the scored output ("" = the model's first output)
  // Called after each batch with (samples done, samples in the pass); may be empty.
  std::function<void(int64_t, int64_t)> progress;
};

struct EvalResult {
  int64_t samples = 0;
  int64_t batch = 1;        // samples per model run
  std::string output;       // scored output name
  int64_t classes = 0;      // values per row of the scored output (a classifier's class count)
  int64_t positions = 1;    // rows per sample: 1, or P for a [N, ..., P, K] output (per-position
                            // scores, e.g. a detector's anchors); agreement is then per row
  bool has_labels = false;
  double top1 = 0;          // fraction in [0, 1]
  bool has_top5 = false;    // when classes >= 5
  double top5 = 0;
  bool has_reference = false;
  double agreement_top1 = 0;  // fraction of rows (samples, or sample positions) whose argmax
                              // equals the reference's
  double cosine = 0;          // mean over samples of the cosine similarity of the outputs
  double max_abs_error = 0;   // over every value of the scored output
  double mean_abs_error = 0;
  double model_seconds = 0;   // time inside model.run
  double wall_seconds = 0;    // the whole evaluation (reading, preprocessing, reference)
  double throughput = 0;      // samples / model_seconds
};

// Runs `model` over the dataset's pass (its order: shuffled or not; `opts.limit` samples at
// most). `labels` may be null: the dataset's embedded labels (image sub-folders) are used
// then, if any. `reference` may be null. Throws Error on a label/sample count mismatch,
// labels outside the model's classes, or a reference whose outputs do not match in size.
EvalResult evaluate(rt::Session& model, Dataset& data, const Labels* labels, rt::Session* reference,
                    const EvalOptions& opts = {});

}  // namespace edge::data
