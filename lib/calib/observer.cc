#include "calib/observer.h"

#include <set>

#include "calib/range_methods.h"
#include "ir/graph_edit.h"
#include "ir/graph_index.h"

namespace edge::calib {

namespace {

bool is_floating(DType t) { return t == DType::kFloat || t == DType::kFloat16 || t == DType::kDouble; }

bool is_constant_node(const onnx::NodeProto& n) { return is_onnx_op(n) && n.op_type() == "Constant"; }

}  // namespace

TensorObserver::TensorObserver(const Model& model, const std::vector<std::string>& names, int bins)
    : model_name_(model.name()), bins_(bins), explicit_names_(!names.empty()) {
  Histogram probe(bins);  // checks the bin count once, before any run
  const onnx::GraphProto& g = model.graph();
  GraphIndex index(g);
  // Every value a run computes or is fed, in graph order: runtime inputs, then node outputs.
  std::vector<std::string> candidates;
  std::set<std::string> constants;
  for (const auto* in : index.runtime_inputs()) candidates.push_back(in->name());
  for (const auto& n : g.node()) {
    for (const auto& out : n.output()) {
      if (out.empty()) continue;
      if (is_constant_node(n))
        constants.insert(out);
      else
        candidates.push_back(out);
    }
  }
  auto add_slot = [&](const std::string& name, bool requested) {
    if (by_name_.count(name)) return;
    by_name_.emplace(name, slots_.size());
    slots_.push_back(Slot{name, std::nullopt, requested});
  };
  if (!explicit_names_) {
    for (const auto& c : candidates) add_slot(c, false);
    return;
  }
  std::set<std::string> known(candidates.begin(), candidates.end());
  for (const auto& name : names) {
    if (known.count(name)) {
      add_slot(name, true);
    } else if (index.initializer(name)) {
      fail(model_name_ + ": tensor '" + name +
           "' is an initializer; weights are quantized from their values, not calibrated");
    } else if (constants.count(name)) {
      fail(model_name_ + ": tensor '" + name + "' is the output of a Constant node; it is not calibrated");
    } else {
      fail(model_name_ + ": unknown tensor '" + name +
           "': no node of the main graph produces it and it is not a graph input");
    }
  }
}

void TensorObserver::attach(rt::Session& session) {
  session.set_observer([this](const rt::NodeEvent& e) {
    if (e.depth != 0) return;
    for (int i = 0; i < e.node.output_size() && i < static_cast<int>(e.outputs.size()); ++i) {
      const Tensor& t = e.outputs[static_cast<size_t>(i)];
      if (t.defined()) observe(e.node.output(i), t);
    }
  });
}

void TensorObserver::begin_batch(const rt::NamedTensors& feeds, int64_t kept, int64_t rows) {
  kept_ = kept;
  rows_ = rows;
  for (const auto& [name, t] : feeds) observe(name, t);
}

void TensorObserver::end_batch() {
  if (!bad_type_.empty()) {
    fail(model_name_ + ": tensor " + bad_type_ + " is not a floating-point tensor; calibration observes float tensors");
  }
}

void TensorObserver::observe(const std::string& name, const Tensor& t) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return;
  Slot& slot = slots_[it->second];
  if (!is_floating(t.dtype())) {
    if (slot.requested && bad_type_.empty()) bad_type_ = "'" + name + "' (" + t.describe() + ")";
    return;
  }
  int64_t n = t.numel();
  // Rows that only pad a short last batch are left out where the batch is the first dim.
  if (rows_ > kept_ && kept_ > 0 && t.rank() >= 1 && t.dim(0) == rows_) n = n / rows_ * kept_;
  if (!slot.hist) slot.hist.emplace(bins_);
  if (t.dtype() == DType::kFloat) {
    slot.hist->add(t.data<float>(), n);
    return;
  }
  convert_.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) convert_[static_cast<size_t>(i)] = static_cast<float>(t.get_double(i));
  slot.hist->add(convert_.data(), n);
}

std::map<std::string, const Histogram*> TensorObserver::histograms() const {
  std::map<std::string, const Histogram*> out;
  for (const auto& s : slots_) {
    if (s.hist) out.emplace(s.name, &*s.hist);
  }
  return out;
}

void TensorObserver::check_all_seen() const {
  for (const auto& s : slots_) {
    if (s.requested && !s.hist) {
      fail(model_name_ + ": tensor '" + s.name + "' was never computed in the calibration runs");
    }
  }
}

Ranges TensorObserver::ranges(const CalibOptions& options) const {
  Ranges out;
  for (const auto& [name, h] : histograms()) out.emplace(name, choose_range(*h, options));
  return out;
}

size_t TensorObserver::memory_bytes() const {
  size_t bytes = sizeof(*this) + slots_.capacity() * sizeof(Slot) + convert_.capacity() * sizeof(float);
  for (const auto& s : slots_) {
    bytes += s.name.capacity();
    if (s.hist) bytes += s.hist->memory_bytes() - sizeof(Histogram);
  }
  bytes += by_name_.size() * (sizeof(std::string) + sizeof(size_t) + 2 * sizeof(void*));
  return bytes;
}

}  // namespace edge::calib
