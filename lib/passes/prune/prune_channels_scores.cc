#include "passes/prune/prune_channels_scores.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <set>

#include "data/batcher.h"
#include "ir/graph_edit.h"
#include "ir/graph_index.h"

namespace edge::pass::prune {

namespace {

const onnx::TensorProto* find_initializer(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

// Entries of `t` along `axis` in unit `u` (units of `inner` entries): calls f(flat index).
template <class F>
void for_unit(const Tensor& t, int axis, int64_t u, int64_t inner, F f) {
  const Shape& s = t.shape();
  int64_t outer = 1, after = 1;
  for (int d = 0; d < axis; ++d) outer *= s[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) after *= s[d];
  const int64_t dim = s[static_cast<size_t>(axis)];
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = u * inner; k < (u + 1) * inner; ++k) {
      for (int64_t i = 0; i < after; ++i) f((o * dim + k) * after + i);
    }
  }
}

// Offset (in channels) of `group`'s segment in `l`, or -1.
int64_t segment_offset(const ChannelLayout& l, int group) {
  int64_t off = 0;
  for (const auto& s : l.segments) {
    if (s.group == group) return off;
    off += s.length;
  }
  return -1;
}

}  // namespace

std::vector<double> norm_scores(const Model& model, const ChannelAnalysis& analysis, int group, bool l2) {
  const auto& grp = analysis.groups[static_cast<size_t>(group)];
  std::vector<double> total(static_cast<size_t>(grp.channels), 0.0);
  for (const auto& e : analysis.inputs) {
    if (e.terminal || e.input != 1 || !std::count(grp.producers.begin(), grp.producers.end(), e.node)) continue;
    const auto& node = model.graph().node(e.node);
    const auto* p = find_initializer(model.graph(), node.input(e.input));
    if (!p) continue;
    const Tensor w = read_initializer(model, *p);
    for (int64_t c = 0; c < grp.channels; ++c) {
      double acc = 0;
      for_unit(w, e.axis, c, 1, [&](int64_t i) {
        const double v = w.get_double(i);
        acc += l2 ? v * v : std::abs(v);
      });
      total[static_cast<size_t>(c)] += l2 ? std::sqrt(acc) : acc;
    }
  }
  return total;
}

std::vector<int64_t> channels_to_keep(const std::vector<double>& scores, int64_t remove) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    const double sa = scores[static_cast<size_t>(a)], sb = scores[static_cast<size_t>(b)];
    return sa != sb ? sa < sb : a > b;
  });
  std::vector<int64_t> keep(order.begin() + std::min<int64_t>(remove, static_cast<int64_t>(order.size())), order.end());
  std::sort(keep.begin(), keep.end());
  return keep;
}

std::map<int, std::vector<double>> sensitivity_scores(const Model& model, const ChannelAnalysis& analysis,
                                                      const std::vector<int>& groups, int64_t samples,
                                                      PassContext& ctx) {
  // A copy where every consumer weight to zero is read by that slot only (set_weight changes
  // every reader of a name).
  Model probe = model;
  auto& g = probe.graph();
  std::set<std::string> taken = all_names(g);
  std::map<std::string, int> readers;
  for (const auto& n : g.node()) {
    for (const auto& in : n.input()) ++readers[in];
  }
  struct Slot {
    std::string name;
    int axis;
    int64_t inner, offset;
    Tensor original;
  };
  std::map<int, std::vector<Slot>> slots;  // group -> the weights its channels reach
  for (const auto& e : analysis.inputs) {
    if (!e.terminal) continue;
    for (int grp : groups) {
      const int64_t off = segment_offset(e.layout, grp);
      if (off < 0) continue;
      auto& node = *g.mutable_node(e.node);
      std::string name = node.input(e.input);
      const auto* p = find_initializer(g, name);
      if (!p) fail_internal("prune-channels: '" + name + "' is not an initializer");
      Tensor t = read_initializer(probe, *p);
      if (readers[name] > 1) {
        --readers[name];
        name = fresh_name(taken, name + "_probe");
        add_initializer(probe, t, name);
        node.set_input(e.input, name);
        readers[name] = 1;
      }
      slots[grp].push_back({name, e.axis, e.layout.inner, off, t});
    }
  }
  rt::SessionOptions so = ctx.session_options;
  so.fuse = false;  // weights stay under their names (set_weight)
  auto session = rt::Session::create(probe, so);
  auto data = ctx.open(ctx.calib);
  if (!data || data->count() == 0) fail(ctx.calib.path.string() + ": calibration data holds no samples");
  data::Batcher batcher(*session, *data, ctx.calib.batch);
  std::vector<rt::NamedTensors> batches;
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  int64_t read = 0;
  while (read < samples && batcher.next(*data, &idx, &feeds)) {
    batches.push_back(feeds);
    read += static_cast<int64_t>(idx.size());
  }
  std::vector<rt::NamedTensors> base;
  for (const auto& b : batches) base.push_back(session->run(b));
  auto change = [&]() {
    double sum = 0;
    int64_t count = 0;
    for (size_t k = 0; k < batches.size(); ++k) {
      const rt::NamedTensors out = session->run(batches[k]);
      for (size_t o = 0; o < out.size(); ++o) {
        const Tensor& a = out[o].second;
        const Tensor& b = base[k][o].second;
        if (a.dtype() != DType::kFloat) continue;
        for (int64_t i = 0; i < a.numel(); ++i) {
          const double d = static_cast<double>(a.data<float>()[i]) - b.data<float>()[i];
          sum += d * d;
        }
        count += a.numel();
      }
    }
    return count ? sum / static_cast<double>(count) : 0.0;
  };
  std::map<int, std::vector<double>> scores;
  int64_t total = 0, done = 0;
  for (int grp : groups) total += analysis.groups[static_cast<size_t>(grp)].channels;
  for (int grp : groups) {
    auto& s = scores[grp];
    const int64_t channels = analysis.groups[static_cast<size_t>(grp)].channels;
    for (int64_t c = 0; c < channels; ++c) {
      for (auto& slot : slots[grp]) {
        Tensor z = slot.original.clone();
        for_unit(z, slot.axis, slot.offset + c, slot.inner, [&](int64_t i) {
          std::memset(static_cast<uint8_t*>(z.raw()) + i * static_cast<int64_t>(dtype_size(z.dtype())), 0,
                      dtype_size(z.dtype()));
        });
        session->set_weight(slot.name, z);
      }
      s.push_back(change());
      for (auto& slot : slots[grp]) session->set_weight(slot.name, slot.original);
      if (ctx.progress) ctx.progress("channel sensitivity", ++done, total);
    }
  }
  return scores;
}

}  // namespace edge::pass::prune
