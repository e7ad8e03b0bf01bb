#include "passes/quantize/channel_stats.h"

#include <algorithm>
#include <limits>

#include "data/batcher.h"

namespace edge::pass::quant {
namespace {

void add(ChannelStats& s, const Tensor& t, int axis, const std::string& name) {
  if (t.dtype() != DType::kFloat) fail_internal("channel statistics of '" + name + "': not float32");
  const int a = axis < 0 ? axis + t.rank() : axis;
  if (a < 0 || a >= t.rank()) fail_internal("channel statistics of '" + name + "': no axis " + std::to_string(axis));
  const int64_t channels = t.dim(a);
  int64_t inner = 1;
  for (int d = a + 1; d < t.rank(); ++d) inner *= t.dim(d);
  const int64_t outer = channels > 0 ? t.numel() / (channels * inner) : 0;
  if (s.max.empty()) {
    s.max.assign(static_cast<size_t>(channels), -std::numeric_limits<double>::infinity());
    s.sum.assign(static_cast<size_t>(channels), 0.0);
  }
  if (static_cast<int64_t>(s.max.size()) != channels) {
    fail_internal("channel statistics of '" + name + "': channel count changed between runs");
  }
  const float* p = t.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* q = p + (o * channels + c) * inner;
      double m = s.max[static_cast<size_t>(c)], sum = 0;
      for (int64_t i = 0; i < inner; ++i) {
        m = std::max(m, static_cast<double>(q[i]));
        sum += q[i];
      }
      s.max[static_cast<size_t>(c)] = m;
      s.sum[static_cast<size_t>(c)] += sum;
    }
  }
  s.per_channel += outer * inner;
}

}  // namespace

std::map<std::string, ChannelStats> channel_stats(rt::Session& session, data::Dataset& data,
                                                  const std::map<std::string, int>& axis_by_value, int64_t samples,
                                                  int64_t batch) {
  std::map<std::string, ChannelStats> out;
  session.set_observer([&](const rt::NodeEvent& e) {
    if (e.depth != 0) return;
    for (int k = 0; k < e.node.output_size(); ++k) {
      auto it = axis_by_value.find(e.node.output(k));
      if (it != axis_by_value.end() && e.outputs[static_cast<size_t>(k)].defined()) {
        add(out[it->first], e.outputs[static_cast<size_t>(k)], it->second, it->first);
      }
    }
  });
  data::Batcher batcher(session, data, batch);
  const int64_t left = data.count() - data.position();
  const int64_t total = samples > 0 ? std::min(samples, left) : left;
  int64_t done = 0;
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  try {
    while (done < total && batcher.next(data, &idx, &feeds)) {
      session.run(feeds);
      done += static_cast<int64_t>(idx.size());
    }
  } catch (...) {
    session.set_observer(nullptr);
    throw;
  }
  session.set_observer(nullptr);
  for (const auto& [name, axis] : axis_by_value) {
    if (!out.count(name)) fail_internal("channel statistics: '" + name + "' was never produced");
  }
  return out;
}

}  // namespace edge::pass::quant
