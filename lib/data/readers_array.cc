// Array readers: .npy, .npz and idx(.gz). Each sample is read from its file offset on demand.
#include <algorithm>
#include <cstring>

#include "data/byte_source.h"
#include "data/checked_size.h"
#include "data/error_text.h"
#include "data/npy.h"
#include "data/readers.h"

namespace edge::data {
namespace fs = std::filesystem;

bool is_gzip_path(const fs::path& path) { return path.extension() == ".gz"; }

namespace {

// Largest gzip payload that a shuffled pass loads into memory.
constexpr uint64_t kMaxGzipInMemory = uint64_t{1} << 30;

struct Array {
  SampleInfo info;
  std::shared_ptr<ByteSource> src;
  uint64_t data_offset = 0;
  uint64_t sample_bytes = 0;
  bool big_endian = false;
};

class ArrayDataset : public Dataset {
 public:
  ArrayDataset(const fs::path& path, const DataOptions& o, std::string format, std::vector<Array> arrays, int64_t n)
      : Dataset(path.string(), o), format_(std::move(format)), arrays_(std::move(arrays)), n_(n) {
    for (const auto& a : arrays_) infos_.push_back(a.info);
  }
  int64_t size() const override { return n_; }
  const std::vector<SampleInfo>& inputs() const override { return infos_; }
  std::string format() const override { return format_; }

  std::vector<Tensor> read(int64_t index) override {
    if (index < 0 || index >= n_) fail(source() + ": sample " + std::to_string(index) + " out of range");
    return naming_file(source(), [&] {
      std::vector<Tensor> out;
      for (const auto& a : arrays_) {
        Tensor t(a.info.dtype, a.info.shape);
        a.src->read(a.data_offset + static_cast<uint64_t>(index) * a.sample_bytes, t.raw(), a.sample_bytes);
        if (a.big_endian) swap_bytes(t);
        out.push_back(std::move(t));
      }
      return out;
    });
  }

 protected:
  void prepare_random_access() override {
    for (auto& a : arrays_) {
      if (a.src->sequential_only()) a.src = load_into_memory(*a.src, kMaxGzipInMemory);
    }
  }

 private:
  static void swap_bytes(Tensor& t) {
    size_t w = dtype_size(t.dtype());
    auto* p = static_cast<uint8_t*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) std::reverse(p + i * w, p + (i + 1) * w);
  }

  std::string format_;
  std::vector<Array> arrays_;
  std::vector<SampleInfo> infos_;
  int64_t n_;
};

// Reads the .npy header at `offset` of src and describes the array (first dim = samples).
Array npy_array(std::shared_ptr<ByteSource> src, uint64_t offset, const std::string& what, int64_t* n) {
  if (offset > src->size()) fail(what + ": truncated (the .npy data would start past the end)");
  std::string head = src->read_string(offset, static_cast<size_t>(std::min<uint64_t>(12, src->size() - offset)));
  size_t end = npy_header_end(head, what);
  if (end > kMaxNpyHeaderBytes) fail(what + ": .npy header of " + std::to_string(end) + " bytes is too large");
  NpyHeader h = parse_npy_header(src->read_string(offset, end), what);
  if (h.shape.empty()) fail(what + ": a scalar .npy holds no samples (expected the first dim to count samples)");
  uint64_t available = src->size() - offset - std::min<uint64_t>(h.data_offset, src->size() - offset);
  if (h.data_bytes > available) {
    fail(what + ": truncated .npy data (shape " + shape_str(h.shape) + " of " + dtype_name(h.dtype) + " needs " +
         std::to_string(h.data_bytes) + " bytes, " + std::to_string(available) + " present)");
  }
  Array a;
  a.info.dtype = h.dtype;
  a.info.shape.assign(h.shape.begin() + 1, h.shape.end());
  a.src = std::move(src);
  a.data_offset = offset + h.data_offset;
  a.sample_bytes = checked_nbytes(a.info.shape, h.dtype, what);
  check_tensor_cap(a.sample_bytes, a.info.shape, h.dtype, what + " (one sample)");
  *n = h.shape[0];
  return a;
}

// Parses the idx header (magic 0 0 type rank, then rank big-endian uint32 dims).
Array idx_array(std::shared_ptr<ByteSource> src, const std::string& what, int64_t* n) {
  std::string magic = src->read_string(0, 4);
  if (magic[0] != 0 || magic[1] != 0) fail(what + ": not an idx file (bad magic)");
  DType dt;
  switch (static_cast<uint8_t>(magic[2])) {
    case 0x08: dt = DType::kUint8; break;
    case 0x09: dt = DType::kInt8; break;
    case 0x0B: dt = DType::kInt16; break;
    case 0x0C: dt = DType::kInt32; break;
    case 0x0D: dt = DType::kFloat; break;
    case 0x0E: dt = DType::kDouble; break;
    default: fail(what + ": not an idx file (unknown type code " + std::to_string(static_cast<uint8_t>(magic[2])) + ")");
  }
  int rank = static_cast<uint8_t>(magic[3]);
  if (rank < 1) fail(what + ": idx file of rank 0 holds no samples");
  std::string dims = src->read_string(4, static_cast<size_t>(4 * rank));
  Shape shape;
  for (int i = 0; i < rank; ++i) {
    uint64_t d = 0;
    for (int b = 0; b < 4; ++b) d = d << 8 | static_cast<uint8_t>(dims[static_cast<size_t>(4 * i + b)]);
    shape.push_back(static_cast<int64_t>(d));
  }
  Array a;
  a.info.dtype = dt;
  a.info.shape.assign(shape.begin() + 1, shape.end());
  a.data_offset = 4 + 4 * static_cast<uint64_t>(rank);
  uint64_t data_bytes = checked_nbytes(shape, dt, what);
  a.sample_bytes = checked_nbytes(a.info.shape, dt, what);
  check_tensor_cap(a.sample_bytes, a.info.shape, dt, what + " (one sample)");
  a.big_endian = dtype_size(dt) > 1;
  if (src->size() != UINT64_MAX && src->size() - a.data_offset < data_bytes) {
    fail(what + ": truncated idx data (shape " + shape_str(shape) + " needs " + std::to_string(a.data_offset + data_bytes) +
         " bytes, file has " + std::to_string(src->size()) + ")");
  }
  a.src = std::move(src);
  *n = shape[0];
  return a;
}

std::shared_ptr<ByteSource> open_idx_source(const fs::path& path) {
  if (is_gzip_path(path)) return open_gzip_source(path);
  return open_file_source(path);
}

}  // namespace

std::unique_ptr<Dataset> open_npy_dataset(const fs::path& path, const DataOptions& o) {
  int64_t n = 0;
  std::shared_ptr<ByteSource> src = open_file_source(path);
  Array a = npy_array(src, 0, path.string(), &n);
  return std::make_unique<ArrayDataset>(path, o, "npy", std::vector<Array>{std::move(a)}, n);
}

std::unique_ptr<Dataset> open_npz_dataset(const fs::path& path, const DataOptions& o) {
  std::shared_ptr<ByteSource> zip = open_file_source(path);
  std::vector<Array> arrays;
  int64_t n = -1;
  std::string first;
  for (const auto& m : list_zip(*zip)) {
    if (m.name.size() < 4 || m.name.substr(m.name.size() - 4) != ".npy") continue;
    std::string what = path.string() + ":" + escaped(m.name);
    int64_t count = 0;
    Array a;
    if (m.method == 0) {
      a = npy_array(zip, zip_data_offset(*zip, m), what, &count);
    } else {  // compressed (np.savez_compressed): inflate this member only
      a = npy_array(memory_source(read_zip_member(*zip, m), what), 0, what, &count);
    }
    a.info.name = m.name.substr(0, m.name.size() - 4);
    if (n >= 0 && count != n) {
      fail(path.string() + ": member '" + escaped(a.info.name) + "' has " + std::to_string(count) + " samples, '" +
           escaped(first) + "' has " + std::to_string(n));
    }
    if (n < 0) first = a.info.name;
    n = count;
    arrays.push_back(std::move(a));
  }
  if (arrays.empty()) fail(path.string() + ": the .npz archive holds no .npy members");
  return std::make_unique<ArrayDataset>(path, o, "npz", std::move(arrays), n);
}

std::unique_ptr<Dataset> open_idx_dataset(const fs::path& path, const DataOptions& o) {
  int64_t n = 0;
  Array a = idx_array(open_idx_source(path), path.string(), &n);
  return std::make_unique<ArrayDataset>(path, o, "idx", std::vector<Array>{std::move(a)}, n);
}

// Whole-array reads for labels (small files). A gzip source is inflated first (as far as
// the header's size), so that a short file never causes the whole claimed size to be allocated.
Tensor read_idx_tensor(const fs::path& path) {
  const std::string what = path.string();
  int64_t n = 0;
  Array a = idx_array(open_idx_source(path), what, &n);
  Shape shape = a.info.shape;
  shape.insert(shape.begin(), n);
  uint64_t need = checked_nbytes(shape, a.info.dtype, what);
  check_tensor_cap(need, shape, a.info.dtype, what);
  if (a.src->size() == UINT64_MAX) {
    std::string bytes = read_prefix(*a.src, a.data_offset + need);
    if (bytes.size() < a.data_offset + need) {
      fail(what + ": truncated idx data (shape " + shape_str(shape) + " needs " + std::to_string(a.data_offset + need) +
           " bytes, the data ends at " + std::to_string(bytes.size()) + ")");
    }
    a.src = memory_source(std::move(bytes), what);
  }
  Tensor t = naming_file(what, [&] { return Tensor(a.info.dtype, shape); });
  a.src->read(a.data_offset, t.raw(), t.nbytes());
  if (a.big_endian) {
    size_t w = dtype_size(t.dtype());
    auto* p = static_cast<uint8_t*>(t.raw());
    for (int64_t i = 0; i < t.numel(); ++i) std::reverse(p + i * w, p + (i + 1) * w);
  }
  return t;
}

}  // namespace edge::data
