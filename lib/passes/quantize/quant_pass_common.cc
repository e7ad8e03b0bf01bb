#include "passes/quantize/quant_pass_common.h"

namespace edge::pass::quant {

WeightOptions layer_weight_options(const LayerOptions& o) {
  WeightOptions w;
  w.per_channel = o.get_bool("per_channel");
  w.symmetric = o.get_bool("symmetric_weights");
  w.reduce_range = o.get_bool("reduce_range");
  return w;
}

calib::Ranges calibration_ranges(const Model& float_model, const std::vector<std::string>& tensors,
                                 const PassOptions& o, PassContext& ctx, const std::string& who) {
  auto data = ctx.open(ctx.calib);
  if (data->count() == 0) fail(ctx.calib.path.string() + ": calibration data holds no samples");
  calib::CalibRequest req;
  if (tensors.empty()) return {};  // nothing to quantize (an empty request means "everything")
  req.options.method = calib::parse_method(o.get_string("calibration"));
  req.options.percentile = o.get_float("percentile");
  req.options.samples = o.get_int("samples");
  req.options.batch = ctx.calib.batch;
  req.options.unsigned_grid = o.get_string("activations") == "u8";
  req.session = ctx.session_options;
  if (ctx.progress) req.progress = [&ctx](int64_t done, int64_t total) { ctx.progress("calibrate", done, total); };
  const std::string key = calib::cache_key(float_model, *data, req.options);
  calib::Ranges cached;
  if (!ctx.calib_cache.empty()) {
    if (auto c = calib::load_cache(ctx.calib_cache, key)) cached = std::move(*c);
  }
  for (const auto& t : tensors) {
    if (!cached.count(t)) req.tensors.push_back(t);
  }
  calib::Ranges out;
  if (req.tensors.empty()) {
    ctx.log().info("{}: {} ranges from the calibration cache {} (calibration skipped)", who, tensors.size(),
                   ctx.calib_cache.string());
    if (ctx.stage) ctx.stage->notes.push_back("calibration ranges loaded from the cache " + ctx.calib_cache.string());
  } else {
    calib::Ranges fresh = calib::calibrate(float_model, *data, req);
    for (auto& [name, r] : fresh) cached[name] = r;
    if (!ctx.calib_cache.empty()) {
      calib::save_cache(ctx.calib_cache, key, cached);
      ctx.log().info("{}: calibration ranges cached in {}", who, ctx.calib_cache.string());
    }
  }
  for (const auto& t : tensors) {
    if (auto it = cached.find(t); it != cached.end()) out[t] = it->second;
  }
  return out;
}

}  // namespace edge::pass::quant
