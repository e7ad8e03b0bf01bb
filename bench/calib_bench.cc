// calib_bench: time and quality of the calibration methods on one model (not a ctest).
//
//   calib_bench MODEL CALIB_DATA [--samples N] [--methods minmax,percentile,entropy,mse]
//               [--threads T] [--batch B] [--percentile P] [--bits B]
//               [--eval EVAL_DATA [--eval-samples N] [--labels Y.npy]]
//
// Data is scaled by 1/255 (the fixture contract). For each method it prints the calibration
// wall time and, with --eval, the quality of the ranges on held-out data:
//   logits SQNR  the model with QuantizeLinear -> DequantizeLinear (u8, affine) after every
//                calibrated activation (weights stay float, so only the ranges differ) against
//                the float model: 10 log10(sum y^2 / sum (y - y_q)^2) over the first output;
//   agree/top-1  argmax agreement with the float model, and accuracy against --labels;
//   tensor SQNR  mean over the node outputs of each one's own fake-quantization SQNR, on the
//                float model (graph inputs left out: 8-bit image pixels / 255 are exact on
//                the minmax grid, which would swamp the mean).
// Peak memory: run it under /usr/bin/time -v (docs/calibration.md has the numbers).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "calib/calibrate.h"
#include "data/batcher.h"
#include "ir/graph_edit.h"
#include "ir/graph_index.h"

using namespace edge;

namespace {

struct Args {
  std::string model, calib, eval, labels;
  int64_t samples = 1000, eval_samples = 1000, batch = 1;
  int threads = 1, bits = 8;
  bool verbose = false;
  double percentile = 99.99;
  std::vector<calib::Method> methods = {calib::Method::kMinMax, calib::Method::kPercentile, calib::Method::kEntropy,
                                        calib::Method::kMse};
};

Args parse(int argc, char** argv) {
  Args a;
  std::vector<std::string> pos;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(s + " needs a value");
      return argv[++i];
    };
    if (s == "--samples")
      a.samples = std::stoll(value());
    else if (s == "--eval-samples")
      a.eval_samples = std::stoll(value());
    else if (s == "--batch")
      a.batch = std::stoll(value());
    else if (s == "--threads")
      a.threads = std::stoi(value());
    else if (s == "--bits")
      a.bits = std::stoi(value());
    else if (s == "--percentile")
      a.percentile = std::stod(value());
    else if (s == "--eval")
      a.eval = value();
    else if (s == "--verbose")
      a.verbose = true;
    else if (s == "--labels")
      a.labels = value();
    else if (s == "--methods") {
      a.methods.clear();
      std::stringstream list(value());
      for (std::string m; std::getline(list, m, ',');) a.methods.push_back(calib::parse_method(m));
    } else if (!s.empty() && s[0] == '-') {
      fail("unknown option " + s);
    } else {
      pos.push_back(s);
    }
  }
  if (pos.size() != 2) fail("usage: calib_bench MODEL CALIB_DATA [options] (see the source's header)");
  a.model = pos[0];
  a.calib = pos[1];
  return a;
}

std::unique_ptr<data::Dataset> open_scaled(const std::string& path) {
  data::DataOptions o;
  o.pre.scale = 1.0 / 255;
  return data::open_dataset(path, o);
}

// Affine u8 parameters of a range that contains 0.
std::pair<float, uint8_t> u8_params(const calib::TensorRange& r, int bits) {
  const double levels = std::ldexp(1.0, bits) - 1;
  double scale = (static_cast<double>(r.max) - r.min) / levels;
  if (!(scale > 0)) return {1.f, 0};
  double zp = std::clamp(std::round(-r.min / scale), 0.0, levels);
  return {static_cast<float>(scale), static_cast<uint8_t>(zp)};
}

// The model with Q -> DQ after every tensor in `ranges`.
Model fake_quantized(const Model& float_model, const calib::Ranges& ranges, int bits) {
  Model m = float_model;
  onnx::GraphProto& g = m.graph();
  std::set<std::string> taken = all_names(g), outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());
  for (const auto& [name, r] : ranges) {
    auto [scale, zp] = u8_params(r, bits);
    std::string s = fresh_name(taken, name + "_scale"), z = fresh_name(taken, name + "_zp");
    add_initializer(m, Tensor::scalar<float>(scale), s);
    add_initializer(m, Tensor::scalar<uint8_t>(zp), z);
    std::string q = fresh_name(taken, name + "_q"), dq = fresh_name(taken, name + "_dq"), src = name;
    if (outputs.count(name)) {  // the producer writes a float copy; DQ writes the output
      src = fresh_name(taken, name + "_float");
      for (auto& n : *g.mutable_node()) {
        for (auto& o : *n.mutable_output()) {
          if (o == name) o = src;
        }
      }
      dq = name;
    } else {
      replace_uses(g, name, dq);
    }
    auto* qn = g.add_node();
    qn->set_op_type("QuantizeLinear");
    for (const auto& in : {src, s, z}) qn->add_input(in);
    qn->add_output(q);
    auto* dn = g.add_node();
    dn->set_op_type("DequantizeLinear");
    for (const auto& in : {q, s, z}) dn->add_input(in);
    dn->add_output(dq);
  }
  return m;
}

struct Quality {
  double sqnr_db = 0, tensor_sqnr_db = 0, agree = 0, top1 = 0;
  bool has_labels = false;
};

size_t argmax(const float* v, int64_t n) {
  size_t best = 0;
  for (int64_t i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = static_cast<size_t>(i);
  }
  return best;
}

Quality measure(const Model& float_model, const calib::Ranges& ranges, const Args& a) {
  auto data = open_scaled(a.eval);
  data->set_limit(a.eval_samples);
  data::Labels labels;
  if (!a.labels.empty()) labels = data::open_labels(a.labels);
  rt::SessionOptions so;
  so.threads = a.threads;
  so.fuse = false;
  auto ref = rt::Session::create(float_model, so);
  auto quant = rt::Session::create(fake_quantized(float_model, ranges, a.bits), so);
  // Per-tensor fake-quantization error, observed on the float model.
  std::map<std::string, std::pair<double, double>> tensor_err;  // name -> (signal, noise)
  auto fq = [&](const std::string& name, const Tensor& t) {
    auto it = ranges.find(name);
    if (it == ranges.end() || t.dtype() != DType::kFloat) return;
    auto [scale, zp] = u8_params(it->second, a.bits);
    const double levels = std::ldexp(1.0, a.bits) - 1;
    auto& [sig, noise] = tensor_err[name];
    for (int64_t i = 0; i < t.numel(); ++i) {
      double x = t.data<float>()[i];
      double q = std::clamp(std::nearbyint(x / scale) + zp, 0.0, levels);
      double y = (q - zp) * scale;
      sig += x * x;
      noise += (x - y) * (x - y);
    }
  };
  ref->set_observer([&](const rt::NodeEvent& e) {
    for (int i = 0; i < e.node.output_size(); ++i) fq(e.node.output(i), e.outputs[static_cast<size_t>(i)]);
  });
  // (Graph inputs go through the Q/DQ pairs of the quantized model but not into this mean.)
  data::Batcher bref(*ref, *data, a.batch);
  double sig = 0, noise = 0;
  int64_t n = 0, agree = 0, correct = 0;
  std::vector<int64_t> idx;
  rt::NamedTensors feeds;
  while (bref.next(*data, &idx, &feeds)) {
    Tensor y = ref->run(feeds).at(0).second, yq = quant->run(feeds).at(0).second;
    const int64_t per = y.numel() / bref.rows_for(static_cast<int64_t>(idx.size()));
    for (size_t r = 0; r < idx.size(); ++r) {
      const float* a_row = y.data<float>() + r * static_cast<size_t>(per);
      const float* q_row = yq.data<float>() + r * static_cast<size_t>(per);
      for (int64_t k = 0; k < per; ++k) {
        sig += static_cast<double>(a_row[k]) * a_row[k];
        noise += (static_cast<double>(a_row[k]) - q_row[k]) * (static_cast<double>(a_row[k]) - q_row[k]);
      }
      size_t top = argmax(q_row, per);
      agree += top == argmax(a_row, per);
      if (labels.size()) correct += static_cast<int64_t>(top) == labels.at(idx[r]);
      ++n;
    }
  }
  Quality q;
  q.sqnr_db = 10 * std::log10(sig / std::max(noise, 1e-300));
  for (const auto& [name, e] : tensor_err) {
    double db = 10 * std::log10(e.first / std::max(e.second, 1e-300));
    q.tensor_sqnr_db += db;
    if (a.verbose) {
      const calib::TensorRange& r = ranges.at(name);
      std::printf("    %-28s [%10.4f, %10.4f] of [%10.4f, %10.4f] clipped %.2e  SQNR %7.2f dB\n", name.c_str(), r.min,
                  r.max, r.observed_min, r.observed_max, r.clipped_fraction, db);
    }
  }
  q.tensor_sqnr_db /= static_cast<double>(std::max<size_t>(tensor_err.size(), 1));
  q.agree = static_cast<double>(agree) / static_cast<double>(n);
  q.has_labels = labels.size() > 0;
  q.top1 = static_cast<double>(correct) / static_cast<double>(n);
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    Model model = load_model(a.model);
    std::printf("model %s, calibration data %s (%lld samples, batch %lld, %d thread(s))\n", a.model.c_str(),
                a.calib.c_str(), static_cast<long long>(a.samples), static_cast<long long>(a.batch), a.threads);
    std::printf("%-11s %9s %8s %12s %12s %8s %8s\n", "method", "calib_s", "tensors", "logits_SQNR", "tensor_SQNR",
                "agree", "top1");
    for (calib::Method m : a.methods) {
      auto data = open_scaled(a.calib);
      calib::CalibRequest req;
      req.options.method = m;
      req.options.samples = a.samples;
      req.options.batch = a.batch;
      req.options.percentile = a.percentile;
      req.options.bits = a.bits;
      req.session.threads = a.threads;
      auto t0 = std::chrono::steady_clock::now();
      calib::Ranges ranges = calib::calibrate(model, *data, req);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("%-11s %9.3f %8zu", calib::method_name(m), secs, ranges.size());
      if (!a.eval.empty()) {
        Quality q = measure(model, ranges, a);
        std::printf(" %10.2fdB %10.2fdB %8.4f", q.sqnr_db, q.tensor_sqnr_db, q.agree);
        if (q.has_labels) std::printf(" %8.4f", q.top1);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "calib_bench: error: %s\n", e.what());
    return 2;
  }
}
