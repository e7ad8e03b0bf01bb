#include "passes/quantize/quant_error.h"

#include <algorithm>

#include "data/batcher.h"

namespace edge::pass::quant {
namespace {

// Copies the outputs named in `wanted` of every node run into `seen`.
rt::RunObserver capture(const std::map<std::string, std::string>& wanted, std::map<std::string, Tensor>& seen) {
  return [&wanted, &seen](const rt::NodeEvent& e) {
    if (e.depth != 0) return;
    for (int k = 0; k < e.node.output_size(); ++k) {
      auto it = wanted.find(e.node.output(k));
      if (it != wanted.end() && e.outputs[static_cast<size_t>(k)].defined()) {
        seen[it->second] = e.outputs[static_cast<size_t>(k)].clone();
      }
    }
  };
}

std::vector<float> dequantize(const Tensor& q, const QParams& p) {
  std::vector<float> out(static_cast<size_t>(q.numel()));
  for (int64_t i = 0; i < q.numel(); ++i) {
    out[static_cast<size_t>(i)] = p.scale * static_cast<float>(q.get_int64(i) - p.zero_point);
  }
  return out;
}

}  // namespace

std::map<std::string, ErrorStats> measure_errors(const Model& float_model, const Model& quantized, data::Dataset& data,
                                                 const std::map<std::string, ErrorProbe>& probes,
                                                 const ErrorOptions& o) {
  rt::SessionOptions so = o.session;
  so.fuse = false;  // every value as written, no fused-away intermediates
  auto fs = rt::Session::create(float_model, so);
  auto qs = rt::Session::create(quantized, so);
  std::map<std::string, std::string> float_names, q_names;  // graph value -> probe key
  for (const auto& [name, p] : probes) {
    float_names[name] = name;
    q_names[p.quantized] = name;
  }
  // Graph inputs are not node outputs: their probes read the fed tensor.
  std::map<std::string, Tensor> f_seen, q_seen;
  fs->set_observer(capture(float_names, f_seen));
  qs->set_observer(capture(q_names, q_seen));

  std::map<std::string, ErrorStats> out;
  data::Batcher batcher(*fs, data, o.batch);
  const int64_t total = std::min<int64_t>(o.samples, data.count() - data.position());
  int64_t done = 0;
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  while (done < total && batcher.next(data, &idx, &feeds)) {
    f_seen.clear();
    q_seen.clear();
    fs->run(feeds);
    qs->run(feeds);
    for (const auto& [name, p] : probes) {
      auto f = f_seen.find(name);
      if (f == f_seen.end()) {
        for (const auto& [in, t] : feeds) {
          if (in == name) f = f_seen.emplace(name, t).first;
        }
      }
      auto q = q_seen.find(name);
      if (f == f_seen.end() || q == q_seen.end() || f->second.numel() != q->second.numel()) {
        fail_internal("quantize: error probe '" + name + "' was not produced by both models");
      }
      const std::vector<float> deq = dequantize(q->second, p.params);
      out[name].add(f->second.data<float>(), deq.data(), f->second.numel());
    }
    done += static_cast<int64_t>(idx.size());
    if (o.progress) o.progress(std::min(done, total), total);
  }
  return out;
}

}  // namespace edge::pass::quant
