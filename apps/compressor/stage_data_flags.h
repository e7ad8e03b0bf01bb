// The data flags `compressor compress` and `compressor search` share, and their parsing into
// the pass framework's data specs:
//   --calib-data P [--calib-cache F --no-calib-cache]  --eval-data P --eval-labels P
//   --train-data P --train-labels P
//   --scale S --mean M --std S --layout nchw|nhwc [--resize HxW --batch N] --limit N
// The preprocessing flags apply to every data set. Each command says in its own words what it
// does with each data set (StageDataHelp); the bracketed flags are compress's only.
// The gate flags stay with each command: their set, order and defaults differ.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "../common/data_flags.h"
#include "pass/context.h"

namespace edge::app {

struct StageDataFlags {
  std::string calib_data, calib_cache, eval_data, eval_labels, train_data, train_labels;
  bool no_calib_cache = false;
  bool with_calib_cache = false;  // --calib-cache / --no-calib-cache were added
  DataFlags pre;                  // --scale, --mean, ...: for every data set (pre.data/labels unused)
};

struct StageDataHelp {
  std::string calib_data;
  std::string calib_cache;  // empty: no --calib-cache / --no-calib-cache
  std::string eval_data, eval_labels, train_data, train_labels;
  bool resize_and_batch = true;  // add --resize and --batch
};

// Adds the flags, in the order above.
void add_stage_data_flags(CLI::App* c, StageDataFlags& f, const StageDataHelp& help);

// Where --calib-cache / --no-calib-cache go (compress).
struct CalibCacheTarget {
  std::filesystem::path& path;
  std::string model;   // the input model: a cache must not overwrite it
  std::string beside;  // the output model ("" when nothing is written): the default cache is
                       // OUTPUT.calib.json unless --no-calib-cache
};

// Parses the flags: a data set given on the command line replaces the one in calib/eval/train
// (a recipe's); the others are left as they are. Throws Error naming the flag (bad
// preprocessing values, --eval-labels without --eval-data, conflicting cache flags, a cache
// that is the model).
void apply_stage_data_flags(const StageDataFlags& f, pass::DataSpec& calib, pass::DataSpec& eval, pass::DataSpec& train,
                            const CalibCacheTarget* cache = nullptr);

}  // namespace edge::app
