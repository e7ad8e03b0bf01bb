// Image-folder reader: ROOT/<class>/<...>/image.png gives class labels in sorted sub-folder
// order (as torchvision's ImageFolder); images directly in ROOT (no sub-folders) are unlabelled.
// Every image is decoded, resized (bilinear) to one size and laid out as CHW or HWC uint8.
#include <algorithm>

#include "data/checked_size.h"
#include "data/error_text.h"
#include "data/image.h"
#include "data/readers.h"

namespace edge::data {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> images_under(const fs::path& dir, bool recursive) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file() && is_image_file(it->path())) out.push_back(it->path());
    }
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.is_regular_file() && is_image_file(e.path())) out.push_back(e.path());
    }
  }
  if (ec) fail(dir.string() + ": cannot list the directory (" + ec.message() + ")");
  std::sort(out.begin(), out.end());
  return out;
}

class ImageDataset : public Dataset {
 public:
  ImageDataset(const fs::path& root, const DataOptions& o) : Dataset(root.string(), o) {
    std::vector<fs::path> classes;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
      if (e.is_directory()) classes.push_back(e.path());
    }
    if (ec) fail(root.string() + ": cannot list the directory (" + ec.message() + ")");
    std::sort(classes.begin(), classes.end());
    std::vector<int64_t> labels;
    for (const auto& c : classes) {
      auto files = images_under(c, true);
      if (files.empty()) continue;
      for (auto& f : files) {
        files_.push_back(std::move(f));
        labels.push_back(static_cast<int64_t>(class_names_.size()));
      }
      class_names_.push_back(c.filename().string());
    }
    if (files_.empty()) files_ = images_under(root, false);
    else labels_ = Labels(std::move(labels), root.string() + " (sub-folder names)");
    if (files_.empty()) fail(root.string() + ": no images (.png, .jpg, ...) and no test_data_set_N directories");

    Image first = probe_image(files_.front());
    channels_ = o.channels ? o.channels : (first.channels <= 2 ? 1 : 3);
    if (channels_ != 1 && channels_ != 3) fail(root.string() + ": images can be read with 1 or 3 channels, not " + std::to_string(channels_));
    const Preprocess& p = o.pre;
    resize_ = p.resize_h > 0 && p.resize_w > 0;
    height_ = resize_ ? static_cast<int>(p.resize_h) : first.height;
    width_ = resize_ ? static_cast<int>(p.resize_w) : first.width;
    SampleInfo info;
    info.dtype = DType::kUint8;
    info.shape = p.layout == Layout::kNCHW ? Shape{channels_, height_, width_} : Shape{height_, width_, channels_};
    check_tensor_cap(checked_nbytes(info.shape, info.dtype, root.string()), info.shape, info.dtype, root.string() + " (one image)");
    infos_.push_back(info);
  }

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  const std::vector<SampleInfo>& inputs() const override { return infos_; }
  std::string format() const override { return "images"; }
  const Labels* embedded_labels() const override { return labels_.size() ? &labels_ : nullptr; }
  std::vector<std::string> class_names() const override { return class_names_; }

  std::vector<Tensor> read(int64_t index) override {
    if (index < 0 || index >= size()) fail(source() + ": sample " + std::to_string(index) + " out of range");
    const fs::path& file = files_[static_cast<size_t>(index)];
    return naming_file(file.string(), [&] { return read_image(file); });
  }

 private:
  std::vector<Tensor> read_image(const fs::path& file) {
    Image im = load_image(file, channels_);
    if (im.width != width_ || im.height != height_) {
      if (!resize_) {
        fail(file.string() + ": image is " + std::to_string(im.height) + "x" + std::to_string(im.width) + " (HxW), the first is " +
             std::to_string(height_) + "x" + std::to_string(width_) + " (use --resize HxW)");
      }
      im = resize_bilinear(im, width_, height_);
    }
    Tensor t(DType::kUint8, infos_[0].shape);
    uint8_t* dst = t.data<uint8_t>();
    size_t plane = static_cast<size_t>(width_) * static_cast<size_t>(height_);
    if (options().pre.layout == Layout::kNHWC || channels_ == 1) {
      std::copy(im.pixels.begin(), im.pixels.end(), dst);
    } else {
      for (size_t i = 0; i < plane; ++i) {
        for (size_t c = 0; c < static_cast<size_t>(channels_); ++c) dst[c * plane + i] = im.pixels[i * static_cast<size_t>(channels_) + c];
      }
    }
    return {t};
  }

  std::vector<fs::path> files_;
  std::vector<std::string> class_names_;
  Labels labels_;
  std::vector<SampleInfo> infos_;
  int channels_ = 3, width_ = 0, height_ = 0;
  bool resize_ = false;
};

}  // namespace

std::unique_ptr<Dataset> open_image_dataset(const fs::path& path, const DataOptions& o) {
  return std::make_unique<ImageDataset>(path, o);
}

}  // namespace edge::data
