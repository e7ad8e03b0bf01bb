#include "stage_data_flags.h"

#include "../common/app_util.h"
#include "calib/calibrate.h"

namespace edge::app {

void add_stage_data_flags(CLI::App* c, StageDataFlags& f, const StageDataHelp& help) {
  c->add_option("--calib-data", f.calib_data, help.calib_data);
  if (!help.calib_cache.empty()) {
    f.with_calib_cache = true;
    c->add_option("--calib-cache", f.calib_cache, help.calib_cache);
    c->add_flag("--no-calib-cache", f.no_calib_cache, "Neither read nor write a calibration cache");
  }
  c->add_option("--eval-data", f.eval_data, help.eval_data);
  c->add_option("--eval-labels", f.eval_labels, help.eval_labels);
  c->add_option("--train-data", f.train_data, help.train_data);
  c->add_option("--train-labels", f.train_labels, help.train_labels);
  c->add_option("--scale", f.pre.scale, "Preprocessing for all data: multiply (e.g. 1/255)");
  c->add_option("--mean", f.pre.mean, "Per-channel mean to subtract (after --scale)");
  c->add_option("--std", f.pre.std, "Per-channel std to divide by");
  c->add_option("--layout", f.pre.layout, "nchw or nhwc")->check(CLI::IsMember({"nchw", "nhwc"}));
  if (help.resize_and_batch) {
    c->add_option("--resize", f.pre.resize, "Image folders: resize to HxW");
    c->add_option("--batch", f.pre.batch, "Samples per run for models with a dynamic batch")
        ->check(CLI::Range(1, 1 << 20));
  }
  c->add_option("--limit", f.pre.limit, "Use at most N samples of each data set")->check(CLI::Range(0, 1 << 30));
}

namespace {

pass::DataSpec spec_from(const std::string& path, const std::string& labels, const DataFlags& pre) {
  pass::DataSpec s;
  s.path = path;
  s.labels = labels;
  s.options = data_options(pre);
  s.limit = pre.limit;
  s.batch = pre.batch;
  return s;
}

}  // namespace

void apply_stage_data_flags(const StageDataFlags& f, pass::DataSpec& calib, pass::DataSpec& eval, pass::DataSpec& train,
                            const CalibCacheTarget* cache) {
  if (!f.calib_data.empty()) calib = spec_from(f.calib_data, "", f.pre);
  if (f.with_calib_cache && cache) {
    // Calibration ranges are cached beside the output unless told otherwise.
    if (!f.calib_cache.empty() && f.no_calib_cache) fail("give either --calib-cache or --no-calib-cache, not both");
    if (!f.calib_cache.empty()) {
      if (same_file(f.calib_cache, cache->model)) {
        fail("--calib-cache " + f.calib_cache + " would overwrite the input model");
      }
      cache->path = f.calib_cache;
    } else if (!f.no_calib_cache && !cache->beside.empty()) {
      cache->path = calib::default_cache_path(cache->beside);
    }
  }
  if (!f.eval_data.empty()) eval = spec_from(f.eval_data, f.eval_labels, f.pre);
  if (f.eval_data.empty() && !f.eval_labels.empty()) fail("--eval-labels needs --eval-data");
  if (!f.train_data.empty()) train = spec_from(f.train_data, f.train_labels, f.pre);
}

}  // namespace edge::app
