// The data flags every command that reads a dataset shares:
//   --data PATH  --labels PATH  --scale S  --mean M[,M..]  --std S[,S..]  --layout nchw|nhwc
//   --resize HxW  --batch N  --limit N
// and the step that turns them into an opened dataset fitted to a model's inputs.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "data/dataset.h"
#include "runtime/session.h"

namespace edge::app {

struct DataFlags {
  std::string data, labels;
  std::string scale, mean, std, layout = "nchw", resize;
  int64_t batch = 1;
  int64_t limit = 0;
};

// Adds the flags to a subcommand; `data_required` makes --data mandatory.
void add_data_flags(CLI::App* cmd, DataFlags& f, bool data_required = true);

// Parses the preprocessing flags (throws Error naming the flag on bad values).
data::DataOptions data_options(const DataFlags& f);

struct OpenedData {
  std::unique_ptr<data::Dataset> dataset;
  std::optional<data::Labels> labels;  // --labels, checked against the sample count
};

// Opens --data (image folders are fitted to the model's input size and channels unless
// --resize says otherwise) and --labels.
OpenedData open_data(const DataFlags& f, const rt::Session& model);

}  // namespace edge::app
