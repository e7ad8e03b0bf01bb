// What the distill pass trains on: the training samples (held in memory as read, so every
// epoch re-batches them without touching the disk), optional labels, and the teacher's
// outputs and hint values per sample, computed once with an rt::Session (the teacher does
// not change).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/batcher.h"
#include "data/dataset.h"
#include "pass/context.h"
#include "runtime/session.h"

namespace edge::pass::distill {

// A data input of a model (a graph input that is not an initializer).
struct DataInput {
  std::string name;
  DType dtype = DType::kUndefined;
  std::vector<int64_t> dims;  // -1 where unknown or symbolic
};
std::vector<DataInput> data_inputs(const Model& m);

// Throws (invalid input) when the teacher's data inputs differ from the student's in name,
// element type or a known non-batch dim.
void check_same_inputs(const Model& teacher, const Model& student);

struct TrainingSet {
  std::vector<std::vector<Tensor>> samples;  // as Dataset::read returns them
  std::optional<data::Labels> labels;
  std::string source;
  int64_t size() const { return static_cast<int64_t>(samples.size()); }
};

// Reads every sample of ctx.train (its limit applied). Throws when there is none.
TrainingSet read_training_set(PassContext& ctx, const std::string& who);

// Rows of the teacher: one tensor per teacher output (float32 [N, row shape...]) and one
// per hint value (teacher side), row i = sample i.
struct TeacherRows {
  std::vector<std::string> output_names;
  std::vector<Tensor> outputs;
  std::vector<std::string> hint_names;
  std::vector<Tensor> hints;
  double seconds = 0;
};

// Runs the teacher over every sample in batches of `batch` (its own batch dim decides). With
// hints the teacher runs unfused so that the hint values exist.
TeacherRows run_teacher(const Model& teacher, const TrainingSet& set, const std::vector<std::string>& hints,
                        int64_t batch, PassContext& ctx);

// Gathers rows `idx` of `rows` ([N, ...]) into a [idx.size(), ...] tensor.
Tensor gather_rows(const Tensor& rows, const std::vector<int64_t>& idx);

// Feeds for the student: stacks the raw samples through a Batcher made for the student.
class StudentFeeds {
 public:
  StudentFeeds(const Model& student, const TrainingSet& set, int64_t batch, PassContext& ctx);
  // The student's fixed batch (samples per run), 0 when its batch dim is dynamic.
  int64_t run_rows() const { return run_rows_; }
  rt::NamedTensors feeds(const std::vector<int64_t>& idx) const;

 private:
  const TrainingSet& set_;
  std::unique_ptr<rt::Session> session_;  // the Batcher's bindings come from it
  std::unique_ptr<data::Batcher> batcher_;
  int64_t run_rows_ = 0;
};

}  // namespace edge::pass::distill
