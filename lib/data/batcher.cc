#include "data/batcher.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "data/readers.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {

Shape squeeze_ones(const Shape& s) {
  Shape out;
  for (auto d : s) {
    if (d != 1) out.push_back(d);
  }
  return out;
}

// The declared per-sample shape `want` (-1 = dynamic) resolved against the sample `have`;
// false when they do not fit.
bool fit_shape(const Shape& have, const Shape& want, Shape* out) {
  if (have.size() == want.size()) {
    for (size_t i = 0; i < want.size(); ++i) {
      if (want[i] >= 0 && want[i] != have[i]) return false;
    }
    *out = have;
    return true;
  }
  Shape h = squeeze_ones(have);
  Shape w;
  for (auto d : want) {
    if (d != 1) w.push_back(d);
  }
  if (h.size() != w.size()) return false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] >= 0 && w[i] != h[i]) return false;
  }
  out->clear();
  size_t k = 0;
  for (auto d : want) out->push_back(d == 1 ? 1 : h[k++]);
  return true;
}

// [d0, ..., dn-2, C] -> [C, d0, ..., dn-2]
Shape channels_first(const Shape& s) {
  Shape out{s.back()};
  out.insert(out.end(), s.begin(), s.end() - 1);
  return out;
}

// Moves the last axis of a contiguous [rest..., C] buffer to the front: [C, rest...].
template <class T>
void move_channels_first(const T* in, T* out, int64_t positions, int64_t channels) {
  for (int64_t p = 0; p < positions; ++p) {
    for (int64_t c = 0; c < channels; ++c) out[c * positions + p] = in[p * channels + c];
  }
}

bool is_float(DType t) { return t == DType::kFloat || t == DType::kDouble || t == DType::kFloat16; }

std::string sample_desc(const SampleInfo& s) { return dtype_name(s.dtype) + "[" + shape_str(s.shape) + "]"; }

}  // namespace

Batcher::Batcher(const rt::Session& session, const Dataset& data, int64_t batch)
    : source_(data.source()), pre_(data.options().pre) {
  if (batch < 1) fail("--batch must be at least 1");
  const auto& arrays = data.inputs();
  const auto& inputs = session.inputs();
  bool by_name = true;
  for (const auto& in : inputs) {
    bool found = false;
    for (const auto& a : arrays) found = found || a.name == in.name;
    by_name = by_name && found;
  }
  if (!by_name && arrays.size() != inputs.size()) {
    std::string names;
    for (const auto& a : arrays) names += (names.empty() ? "" : ", ") + (a.name.empty() ? "<unnamed>" : a.name);
    std::string want;
    for (const auto& in : inputs) want += (want.empty() ? "" : ", ") + in.name;
    fail(source_ + ": holds " + std::to_string(arrays.size()) + " input array(s) (" + names + ") but the model has " +
         std::to_string(inputs.size()) + " input(s) (" + want + ")");
  }
  bool have_batch = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const rt::ValueDesc& in = inputs[i];
    InputBinding b;
    b.name = in.name;
    b.data_index = i;
    if (by_name) {
      for (size_t k = 0; k < arrays.size(); ++k) {
        if (arrays[k].name == in.name) b.data_index = k;
      }
    }
    const SampleInfo& s = arrays[b.data_index];
    b.dtype = in.dtype == DType::kUndefined ? DType::kFloat : in.dtype;
    int64_t this_batch = 1;
    bool this_fixed = true;
    if (!in.has_shape) {
      b.sample_shape = s.shape;
    } else {
      Shape rest(in.shape.begin() + (in.shape.empty() ? 0 : 1), in.shape.end());
      if (!in.shape.empty() && fit_shape(s.shape, rest, &b.sample_shape)) {
        this_fixed = in.shape[0] >= 0;
        this_batch = this_fixed ? in.shape[0] : batch;
      } else if (fit_shape(s.shape, in.shape, &b.sample_shape)) {
        b.batched = false;
      } else if (pre_.layout == Layout::kNHWC && s.shape.size() >= 3 && !in.shape.empty() &&
                 fit_shape(channels_first(s.shape), rest, &b.sample_shape) &&
                 b.sample_shape.size() == s.shape.size()) {
        // --layout nhwc: a channels-last sample fed to a channels-first model input.
        b.channels_last_to_first = true;
        this_fixed = in.shape[0] >= 0;
        this_batch = this_fixed ? in.shape[0] : batch;
      } else {
        std::string declared;
        for (size_t k = 0; k < in.shape.size(); ++k) {
          declared += (k ? "x" : "") + (in.shape[k] < 0 ? std::string("?") : std::to_string(in.shape[k]));
        }
        Shape unused;
        const bool hint = pre_.layout == Layout::kNCHW && s.shape.size() >= 3 && !in.shape.empty() &&
                          fit_shape(channels_first(s.shape), rest, &unused);
        fail(source_ + ": sample " + (s.name.empty() ? "" : "'" + s.name + "' ") + "of " + sample_desc(s) +
             " does not fit model input '" + in.name + "' of shape " + declared +
             (hint ? " (the samples look channels-last: pass --layout nhwc to transpose them)" : ""));
      }
    }
    if (b.batched && (!have_batch || (this_fixed && !fixed_batch_))) {
      batch_ = this_batch;
      fixed_batch_ = this_fixed;
      have_batch = true;
    }
    if (this_batch < 1) fail("model input '" + in.name + "' has a batch dim of 0");
    int rank = static_cast<int>(b.sample_shape.size());
    if (b.channels_last_to_first) {
      b.channel_axis = rank - 1;  // of the stored sample, where preprocessing happens
      b.channels = b.sample_shape[0];
    } else if (rank >= 3) {
      b.channel_axis = pre_.layout == Layout::kNCHW ? 0 : rank - 1;
      b.channels = b.sample_shape[static_cast<size_t>(b.channel_axis)];
    }
    if (is_float(b.dtype)) {
      for (const auto* v : {&pre_.mean, &pre_.std}) {
        if (v->size() > 1 && static_cast<int64_t>(v->size()) != b.channels) {
          fail(std::string(v == &pre_.mean ? "--mean" : "--std") + " has " + std::to_string(v->size()) +
               " values but model input '" + in.name + "' has " + std::to_string(b.channels) + " channel(s) (sample " +
               shape_str(b.sample_shape) + ", layout " + (pre_.layout == Layout::kNCHW ? "nchw" : "nhwc") + ")");
        }
      }
      for (float sd : pre_.std) {
        if (sd == 0) fail("--std: values must be non-zero");
      }
    } else {
      if (!pre_.is_identity()) {
        fail("--scale/--mean/--std apply to float inputs; model input '" + in.name + "' is " + dtype_name(b.dtype));
      }
      if (is_float(s.dtype)) {
        fail(source_ + ": holds " + dtype_name(s.dtype) + " data but model input '" + in.name + "' is " + dtype_name(b.dtype));
      }
    }
    bindings_.push_back(std::move(b));
  }
  for (const auto& b : bindings_) {
    if (b.batched) continue;
    if (batch_ != 1) fail("model input '" + b.name + "' has no batch dim while others take batches of " + std::to_string(batch_));
  }
}

Tensor Batcher::prepare(const InputBinding& b, const Tensor& raw) const {
  if (raw.numel() != shape_numel(b.sample_shape)) {
    fail(source_ + ": sample " + raw.describe() + " does not fit model input '" + b.name + "' (" + shape_str(b.sample_shape) + ")");
  }
  const int64_t positions = raw.numel() / std::max<int64_t>(b.channels, 1);
  if (!is_float(b.dtype)) {
    if (raw.dtype() == b.dtype && !b.channels_last_to_first) return raw.reshaped(b.sample_shape);
    Tensor out(b.dtype, b.sample_shape);
    dispatch_numeric(b.dtype, [&](auto tag) {
      using T = decltype(tag);
      T* d = out.data<T>();
      for (int64_t i = 0; i < raw.numel(); ++i) d[i] = static_cast<T>(raw.get_int64(i));
      if (b.channels_last_to_first) {
        std::unique_ptr<T[]> stored(new T[static_cast<size_t>(raw.numel())]);
        std::copy(d, d + raw.numel(), stored.get());
        move_channels_first(stored.get(), d, positions, b.channels);
      }
    });
    return out;
  }
  std::vector<float> v(static_cast<size_t>(raw.numel()));
  if (!dispatch_numeric(raw.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* s = raw.data<T>();
        for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(s[i]);
      })) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(raw.get_double(static_cast<int64_t>(i)));
  }
  if (!pre_.is_identity()) {
    // Channel index of element i: NCHW -> i / inner, NHWC -> i % channels.
    int64_t inner = 1;
    if (b.channel_axis == 0) inner = raw.numel() / std::max<int64_t>(b.channels, 1);
    const float scale = static_cast<float>(pre_.scale);
    for (size_t i = 0; i < v.size(); ++i) {
      size_t c = 0;
      if (b.channel_axis == 0) c = static_cast<size_t>(static_cast<int64_t>(i) / inner);
      else if (b.channel_axis > 0) c = i % static_cast<size_t>(b.channels);
      float m = pre_.mean.empty() ? 0.f : pre_.mean[pre_.mean.size() == 1 ? 0 : c];
      float sd = pre_.std.empty() ? 1.f : pre_.std[pre_.std.size() == 1 ? 0 : c];
      v[i] = (v[i] * scale - m) / sd;
    }
  }
  if (b.channels_last_to_first) {
    std::vector<float> stored = std::move(v);
    v.assign(stored.size(), 0.f);
    move_channels_first(stored.data(), v.data(), positions, b.channels);
  }
  Tensor out(b.dtype, b.sample_shape);
  if (b.dtype == DType::kFloat) {
    std::memcpy(out.raw(), v.data(), v.size() * sizeof(float));
  } else if (b.dtype == DType::kDouble) {
    for (size_t i = 0; i < v.size(); ++i) out.data<double>()[i] = v[i];
  } else {
    auto* h = static_cast<uint16_t*>(out.raw());
    for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
  }
  return out;
}

rt::NamedTensors Batcher::stack(const std::vector<std::vector<Tensor>>& samples) const {
  int64_t n = static_cast<int64_t>(samples.size());
  if (n < 1 || n > batch_) fail_internal("Batcher::stack: " + std::to_string(n) + " samples for a batch of " + std::to_string(batch_));
  int64_t rows = fixed_batch_ ? batch_ : n;
  rt::NamedTensors feeds;
  for (const auto& b : bindings_) {
    if (!b.batched) {
      feeds.emplace_back(b.name, prepare(b, samples[0][b.data_index]));
      continue;
    }
    Shape shape = b.sample_shape;
    shape.insert(shape.begin(), rows);
    Tensor t(b.dtype, shape);
    size_t row_bytes = t.nbytes() / static_cast<size_t>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      Tensor one = prepare(b, samples[static_cast<size_t>(std::min(r, n - 1))][b.data_index]);
      std::memcpy(static_cast<uint8_t*>(t.raw()) + static_cast<size_t>(r) * row_bytes, one.raw(), row_bytes);
    }
    feeds.emplace_back(b.name, std::move(t));
  }
  return feeds;
}

bool Batcher::next(Dataset& data, std::vector<int64_t>* indices, rt::NamedTensors* feeds) {
  std::vector<int64_t> idx = data.next_indices(batch_);
  if (idx.empty()) return false;
  std::vector<std::vector<Tensor>> samples;
  for (int64_t i : idx) samples.push_back(data.read(i));
  *feeds = stack(samples);
  if (indices) *indices = std::move(idx);
  return true;
}

DataOptions options_for_model(const fs::path& data, DataOptions o, const rt::Session& session) {
  std::error_code ec;
  if (!fs::is_directory(data, ec) || is_pb_dataset_dir(data)) return o;
  for (const auto& in : session.inputs()) {
    if (!in.has_shape || in.shape.size() != 4) continue;
    bool nchw = o.pre.layout == Layout::kNCHW;
    int64_t c = in.shape[nchw ? 1 : 3], h = in.shape[nchw ? 2 : 1], w = in.shape[nchw ? 3 : 2];
    if (o.channels == 0 && (c == 1 || c == 3)) o.channels = static_cast<int>(c);
    if (o.pre.resize_h == 0 && h > 0 && w > 0) {
      o.pre.resize_h = h;
      o.pre.resize_w = w;
    }
    break;
  }
  return o;
}

}  // namespace edge::data
