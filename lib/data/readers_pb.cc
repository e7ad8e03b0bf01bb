// ONNX test-data reader: a folder of test_data_set_N directories (or one of them), each
// holding input_K.pb (serialized TensorProto). One directory is one sample.
#include "data/readers.h"
#include "ir/tensor_proto.h"
#include "runtime/test_data_set.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {

bool has_input0(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "input_0.pb", ec);
}

class PbDataset : public Dataset {
 public:
  PbDataset(const fs::path& path, const DataOptions& o, std::vector<fs::path> sets)
      : Dataset(path.string(), o), sets_(std::move(sets)) {
    const fs::path& first = sets_.front();
    for (size_t k = 0;; ++k) {
      fs::path p = first / ("input_" + std::to_string(k) + ".pb");
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) break;
      std::string name;
      Tensor t = read_tensor_pb(p, &name);
      infos_.push_back({name, t.dtype(), t.shape()});
    }
  }
  int64_t size() const override { return static_cast<int64_t>(sets_.size()); }
  const std::vector<SampleInfo>& inputs() const override { return infos_; }
  std::string format() const override { return "pb"; }

  std::vector<Tensor> read(int64_t index) override {
    if (index < 0 || index >= size()) fail(source() + ": sample " + std::to_string(index) + " out of range");
    const fs::path& dir = sets_[static_cast<size_t>(index)];
    std::vector<Tensor> out;
    for (size_t k = 0; k < infos_.size(); ++k) {
      fs::path p = dir / ("input_" + std::to_string(k) + ".pb");
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) fail(p.string() + ": missing (the first set has " + std::to_string(infos_.size()) + " inputs)");
      Tensor t = read_tensor_pb(p);
      if (t.dtype() != infos_[k].dtype || t.shape() != infos_[k].shape) {
        fail(p.string() + ": " + t.describe() + " differs from the first set's " + dtype_name(infos_[k].dtype) + "[" +
             shape_str(infos_[k].shape) + "]");
      }
      out.push_back(std::move(t));
    }
    return out;
  }

 private:
  std::vector<fs::path> sets_;
  std::vector<SampleInfo> infos_;
};

}  // namespace

bool is_pb_dataset_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  if (has_input0(dir)) return true;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set", 0) == 0 && has_input0(e.path())) return true;
  }
  return false;
}

std::unique_ptr<Dataset> open_pb_dataset(const fs::path& path, const DataOptions& o) {
  std::vector<fs::path> sets = rt::find_test_data_sets(path);  // the runtime's order and rules
  if (sets.empty()) fail(path.string() + ": no input_0.pb and no test_data_set_N directories");
  return std::make_unique<PbDataset>(path, o, std::move(sets));
}

}  // namespace edge::data
