#include "data_flags.h"

#include "data/batcher.h"

namespace edge::app {

void add_data_flags(CLI::App* c, DataFlags& f, bool data_required) {
  auto* d = c->add_option("--data", f.data,
                          "Dataset: a folder of test_data_set_N dirs, a .npy/.npz, an idx/idx.gz, or an image folder");
  if (data_required) d->required();
  c->add_option("--labels", f.labels, "Integer labels: idx(.gz) or .npy, one per sample");
  c->add_option("--scale", f.scale, "Multiply raw values by this before mean/std (e.g. 1/255); default 1");
  c->add_option("--mean", f.mean, "Mean to subtract, one value or one per channel (comma list)");
  c->add_option("--std", f.std, "Std to divide by, one value or one per channel (comma list)");
  c->add_option("--layout", f.layout, "Channel position of a sample: nchw (default) or nhwc");
  c->add_option("--resize", f.resize, "Resize images to HxW (bilinear); default: the model's input size");
  c->add_option("--batch", f.batch, "Samples a run when the model's batch dim is dynamic (default 1)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  c->add_option("--limit", f.limit, "Use only the first N samples (default: all)")
      ->check(CLI::Range(int64_t{0}, INT64_MAX));
}

data::DataOptions data_options(const DataFlags& f) {
  data::DataOptions o;
  if (!f.scale.empty()) o.pre.scale = data::parse_scale(f.scale, "--scale");
  if (!f.mean.empty()) o.pre.mean = data::parse_float_list(f.mean, "--mean");
  if (!f.std.empty()) o.pre.std = data::parse_float_list(f.std, "--std");
  o.pre.layout = data::parse_layout(f.layout, "--layout");
  if (!f.resize.empty()) {
    auto [h, w] = data::parse_resize(f.resize, "--resize");
    o.pre.resize_h = h;
    o.pre.resize_w = w;
  }
  return o;
}

OpenedData open_data(const DataFlags& f, const rt::Session& model) {
  OpenedData out;
  data::DataOptions o = data::options_for_model(f.data, data_options(f), model);
  out.dataset = data::open_dataset(f.data, o);
  if (!f.labels.empty()) {
    out.labels = data::open_labels(f.labels);
    data::check_labels(*out.dataset, *out.labels);
  }
  return out;
}

}  // namespace edge::app
