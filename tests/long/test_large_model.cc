// A model above protobuf's 2 GiB limit: its weights are streamed to an external data file,
// loaded, run, saved again (external data chosen automatically) and reloaded.
// Long test (writes ~4.4 GB, needs ~7 GB of memory): ctest -L long.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "ir/model.h"
#include "ir/text_format.h"
#include "runtime/session.h"

namespace fs = std::filesystem;
using namespace edge;

namespace {
constexpr int64_t kElems = (int64_t{2200} << 20) / 4;  // 2.2 GiB of float32

float pattern(int64_t i) { return static_cast<float>(i % 1000003); }

int check_model(const fs::path& path) {
  auto s = rt::Session::create(load_model(path));
  for (int64_t idx : {int64_t{0}, kElems / 2 + 17, kElems - 1}) {
    auto out = s->run({{"idx", Tensor::from_vector<int64_t>({1}, {idx})}});
    float got = out[0].second.data<float>()[0];
    if (got != pattern(idx)) {
      std::fprintf(stderr, "%s: element %lld is %g, expected %g\n", path.c_str(), static_cast<long long>(idx), got,
                   pattern(idx));
      return 1;
    }
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "edge-large-model-test";
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  try {
    Model m = parse_model_text(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (int64[1] idx) => (float[1] y) <float[1] w = {0.0}> { y = Gather(w, idx) })",
                               {false, false});
    // Stream the weights to disk in 64 MiB chunks; the proto only references them.
    {
      std::ofstream data(dir / "a" / "weights.bin", std::ios::binary);
      std::vector<float> chunk(16 << 20);
      for (int64_t base = 0; base < kElems; base += static_cast<int64_t>(chunk.size())) {
        int64_t n = std::min<int64_t>(static_cast<int64_t>(chunk.size()), kElems - base);
        for (int64_t i = 0; i < n; ++i) chunk[static_cast<size_t>(i)] = pattern(base + i);
        data.write(reinterpret_cast<const char*>(chunk.data()), n * 4);
      }
      if (!data) throw Error(ErrorCode::kInternal, "cannot write weights.bin");
    }
    auto* w = m.graph().mutable_initializer(0);
    w->clear_dims();
    w->add_dims(kElems);
    w->clear_float_data();
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* loc = w->add_external_data();
    loc->set_key("location");
    loc->set_value("weights.bin");
    save_model(m, dir / "a" / "model.onnx");
    if (check_model(dir / "a" / "model.onnx")) return 1;
    std::printf("loaded and ran a %lld-byte external-data model\n", static_cast<long long>(kElems * 4));

    save_model(load_model(dir / "a" / "model.onnx"), dir / "b" / "model.onnx");
    if (!fs::exists(dir / "b" / "model.onnx.data") || fs::file_size(dir / "b" / "model.onnx") > (1 << 20)) {
      std::fprintf(stderr, "re-save did not move the weights to external data\n");
      return 1;
    }
    if (check_model(dir / "b" / "model.onnx")) return 1;
    std::printf("re-saved with external data and reloaded: ok\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    fs::remove_all(dir);
    return 1;
  }
  fs::remove_all(dir);
  std::printf("1 passed, 0 failed\n");
  return 0;
}
