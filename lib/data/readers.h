// Internal: the dataset readers behind open_dataset (dataset.cc).
#pragma once

#include <filesystem>
#include <memory>

#include "data/dataset.h"

namespace edge::data {

std::unique_ptr<Dataset> open_npy_dataset(const std::filesystem::path& path, const DataOptions& o);
std::unique_ptr<Dataset> open_npz_dataset(const std::filesystem::path& path, const DataOptions& o);
std::unique_ptr<Dataset> open_idx_dataset(const std::filesystem::path& path, const DataOptions& o);
std::unique_ptr<Dataset> open_pb_dataset(const std::filesystem::path& path, const DataOptions& o);
std::unique_ptr<Dataset> open_image_dataset(const std::filesystem::path& path, const DataOptions& o);

// True for a directory that holds input_0.pb or test_data_set_* sub-directories.
bool is_pb_dataset_dir(const std::filesystem::path& dir);
// Reads a whole idx(.gz) file (for labels).
Tensor read_idx_tensor(const std::filesystem::path& path);
// True for names ending in .gz.
bool is_gzip_path(const std::filesystem::path& path);

}  // namespace edge::data
