#include "calib/calibrate.h"

#include <algorithm>

#include "calib/observer.h"
#include "calib/range_methods.h"
#include "data/batcher.h"

namespace edge::calib {

const char* method_name(Method m) {
  switch (m) {
    case Method::kMinMax:
      return "minmax";
    case Method::kPercentile:
      return "percentile";
    case Method::kEntropy:
      return "entropy";
    case Method::kMse:
      return "mse";
  }
  return "?";
}

Method parse_method(const std::string& name) {
  for (Method m : {Method::kMinMax, Method::kPercentile, Method::kEntropy, Method::kMse}) {
    if (name == method_name(m)) return m;
  }
  fail("unknown calibration method '" + name + "' (expected minmax, percentile, entropy or mse)");
}

Ranges calibrate(const Model& model, data::Dataset& data, const CalibRequest& request) {
  const CalibOptions& o = request.options;
  check_options(o);
  // Declared before the session: the session's observer points at it.
  TensorObserver observer(model, request.tensors, o.bins);
  rt::SessionOptions so = request.session;
  so.fuse = false;  // every tensor of the written graph must be computed and seen
  std::unique_ptr<rt::Session> session = rt::Session::create(model, so);
  data::Batcher batcher(*session, data, o.batch);
  observer.attach(*session);

  int64_t total = std::max<int64_t>(0, data.count() - data.position());
  if (o.samples > 0) total = std::min(total, o.samples);
  if (total == 0) fail(data.source() + ": no samples to calibrate with (empty dataset, or its pass already read)");
  rt::NamedTensors outputs;
  int64_t done = 0;
  while (done < total) {
    std::vector<int64_t> indices = data.next_indices(std::min(batcher.batch_size(), total - done));
    if (indices.empty()) break;
    std::vector<std::vector<Tensor>> samples;
    samples.reserve(indices.size());
    for (int64_t i : indices) samples.push_back(data.read(i));
    rt::NamedTensors feeds = batcher.stack(samples);
    const auto kept = static_cast<int64_t>(indices.size());
    observer.begin_batch(feeds, kept, batcher.rows_for(kept));
    session->run_into(feeds, outputs);
    observer.end_batch();
    done += kept;
    if (request.progress) request.progress(done, total);
  }
  observer.check_all_seen();
  return observer.ranges(o);
}

}  // namespace edge::calib
