// distill's augment=K (lib/passes/distill/distill_augment.h): K variants per training sample,
// appended with their labels; shifts move pixels with zero fill on the H and W axes of the
// layout; flips mirror W; mixup (unlabelled sets only) mixes two samples; validation samples
// are left alone; the same seed gives the same variants.
#include <catch2/catch.hpp>

#include "passes/distill/distill_augment.h"

using namespace edge;
using pass::distill::augment_training_set;
using pass::distill::AugmentOptions;
using pass::distill::TrainingSet;

namespace {

// n samples of one uint8 [8, 8] image: a single bright pixel at (3 + i % 2, 4).
TrainingSet dots(int n, bool labelled) {
  TrainingSet set;
  std::vector<int64_t> labels;
  for (int i = 0; i < n; ++i) {
    Tensor t(DType::kUint8, {8, 8});
    t.data<uint8_t>()[(3 + i % 2) * 8 + 4] = 200;
    set.samples.push_back({t});
    labels.push_back(i % 3);
  }
  if (labelled) set.labels = data::Labels(labels, "labels.npy");
  return set;
}

int bright_pixels(const Tensor& t) {
  int n = 0;
  for (int64_t i = 0; i < t.numel(); ++i) n += t.data<uint8_t>()[i] != 0;
  return n;
}

}  // namespace

TEST_CASE("augment appends K variants of the training samples only, with their labels") {
  TrainingSet set = dots(10, true);
  std::vector<int64_t> train = {0, 1, 2, 3, 4, 5, 6, 7};  // 8 and 9 are validation
  AugmentOptions o;
  o.copies = 3;
  const int64_t added = augment_training_set(set, train, o, 7);
  CHECK(added == 24);
  REQUIRE(set.size() == 34);
  REQUIRE(train.size() == 32);
  REQUIRE(set.labels->size() == 34);
  for (int64_t k = 10; k < 34; ++k) {
    CHECK(std::find(train.begin(), train.end(), k) != train.end());
    // Labelled: no mixup, so each variant is one shifted dot (or none when shifted off the
    // 8x8 image: shifts are at most 2, the dot is at least 3 from every border).
    CHECK(bright_pixels(set.samples[static_cast<size_t>(k)][0]) == 1);
  }
  // The label of variant j of sample i is sample i's label.
  for (int copy = 0; copy < 3; ++copy) {
    for (int i = 0; i < 8; ++i) CHECK(set.labels->at(10 + copy * 8 + i) == i % 3);
  }
  CHECK(augment_training_set(set, train, AugmentOptions{}, 7) == 0);  // copies = 0
}

TEST_CASE("augment shifts by at most `shift` pixels, flips mirror W, and a seed repeats") {
  TrainingSet a = dots(4, true), b = dots(4, true);
  std::vector<int64_t> ta = {0, 1, 2, 3}, tb = ta;
  AugmentOptions o;
  o.copies = 20;
  o.shift = 1;
  augment_training_set(a, ta, o, 3);
  augment_training_set(b, tb, o, 3);
  bool moved = false;
  for (int64_t k = 4; k < a.size(); ++k) {
    const auto& t = a.samples[static_cast<size_t>(k)][0];
    REQUIRE(bright_pixels(t) == 1);
    int64_t at = 0;
    while (t.data<uint8_t>()[at] == 0) ++at;
    const int64_t y = at / 8, x = at % 8, y0 = 3 + (k - 4) % 4 % 2;
    CHECK(std::abs(y - y0) <= 1);
    CHECK(std::abs(x - 4) <= 1);
    moved = moved || y != y0 || x != 4;
    CHECK(std::memcmp(t.raw(), b.samples[static_cast<size_t>(k)][0].raw(), 64) == 0);
  }
  CHECK(moved);

  TrainingSet f = dots(1, true);
  std::vector<int64_t> tf = {0};
  o.shift = 0;
  o.flip = true;
  augment_training_set(f, tf, o, 5);
  bool mirrored = false;
  for (int64_t k = 1; k < f.size(); ++k) {
    const auto* d = f.samples[static_cast<size_t>(k)][0].data<uint8_t>();
    CHECK((d[3 * 8 + 4] == 200 || d[3 * 8 + 3] == 200));  // x = 4 or its mirror 8 - 1 - 4
    mirrored = mirrored || d[3 * 8 + 3] == 200;
  }
  CHECK(mirrored);
}

TEST_CASE("augment mixes every other variant of unlabelled data; NHWC shifts H and W") {
  TrainingSet set = dots(6, false);
  std::vector<int64_t> train = {0, 1, 2, 3, 4, 5};
  AugmentOptions o;
  o.copies = 2;
  o.shift = 0;
  augment_training_set(set, train, o, 11);
  REQUIRE(set.size() == 18);
  CHECK(!set.labels);
  int mixed = 0;
  for (int64_t k = 12; k < 18; ++k) {  // the second variant of each sample: mixed
    const auto* d = set.samples[static_cast<size_t>(k)][0].data<uint8_t>();
    mixed += (d[3 * 8 + 4] != 0 && d[3 * 8 + 4] != 200) || (d[4 * 8 + 4] != 0 && d[4 * 8 + 4] != 200);
  }
  CHECK(mixed > 0);
  for (int64_t k = 6; k < 12; ++k) CHECK(bright_pixels(set.samples[static_cast<size_t>(k)][0]) == 1);

  // Channels last, [8, 8, 3]: a shift moves whole pixels (all three channels together).
  TrainingSet rgb;
  Tensor t(DType::kFloat, {8, 8, 3});
  for (int c = 0; c < 3; ++c) t.data<float>()[(4 * 8 + 4) * 3 + c] = static_cast<float>(c + 1);
  rgb.samples.push_back({t});
  std::vector<int64_t> tr = {0};
  AugmentOptions n;
  n.copies = 10;
  n.layout = data::Layout::kNHWC;
  n.mixup = false;
  augment_training_set(rgb, tr, n, 2);
  for (int64_t k = 1; k < rgb.size(); ++k) {
    const float* d = rgb.samples[static_cast<size_t>(k)][0].data<float>();
    int64_t at = 0;
    while (d[at] == 0) ++at;
    CHECK(at % 3 == 0);
    CHECK(d[at] == 1.f);
    CHECK(d[at + 1] == 2.f);
    CHECK(d[at + 2] == 3.f);
  }
}
