// Data augmentation for the distill pass: with a small unlabelled set (the 1,000 calibration
// images), the student sees the teacher's answers on only a thousand points and overfits them.
// `augment=K` adds K variants of every training sample before the teacher labels them: each
// shifted by up to `shift` pixels (zero fill; image-shaped samples only), mirrored left-right
// half of the time with `flip=1`, and, without labels, every other variant mixed with another
// training sample (x = l*a + (1-l)*b, l uniform in [0, 1]: the teacher labels the mix, so no
// label is needed). Validation samples are never augmented nor mixed into training samples.
#pragma once

#include <cstdint>
#include <vector>

#include "data/dataset.h"
#include "passes/distill/distill_data.h"

namespace edge::pass::distill {

struct AugmentOptions {
  int copies = 0;                             // variants per training sample (0: none)
  int shift = 2;                              // largest shift in pixels, each axis
  bool flip = false;                          // mirror left-right half of the time
  bool mixup = true;                          // every other variant mixed with another sample (unlabelled data only)
  data::Layout layout = data::Layout::kNCHW;  // where H and W are in a sample
};

// Appends opts.copies variants of each sample in `train` to `set` (labels too) and their indices
// to `train`. Deterministic for a seed. Returns the number of samples added.
int64_t augment_training_set(TrainingSet& set, std::vector<int64_t>& train, const AugmentOptions& opts, uint64_t seed);

}  // namespace edge::pass::distill
