// libFuzzer target: the pipeline parser and the YAML recipe parser. The first byte picks
// which one reads the rest of the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pass/pipeline.h"
#include "pass/recipe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    if (data[0] & 1) {
      (void)edge::pass::parse_recipe(text, "/nonexistent-fuzz-dir", "fuzz.yaml");
    } else {
      (void)edge::pass::canonical_pipeline(edge::pass::parse_pipeline(text));
    }
  } catch (const edge::Error&) {
  }
  return 0;
}
