#include "ir/text_format.h"

#include "onnx/defs/parser.h"

namespace edge {

Model parse_model_text(const std::string& text, const LoadOptions& opts) {
  onnx::ModelProto proto;
  auto status = onnx::OnnxParser::Parse(proto, text.c_str());
  if (!status.IsOK()) fail("ONNX text syntax error: " + status.ErrorMessage());
  std::string bytes;
  proto.SerializeToString(&bytes);
  return load_model_from_bytes(bytes, "<text model>", opts);
}

}  // namespace edge
