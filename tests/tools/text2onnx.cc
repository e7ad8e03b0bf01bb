// text2onnx: writes an .onnx file from ONNX text syntax on stdin (test fixtures).
//   text2onnx out.onnx < model.txt        (parse + check + shape inference)
//   text2onnx --raw out.onnx < model.txt  (parse only: for deliberately broken models)
#include <iostream>
#include <iterator>
#include <string>

#include "ir/model.h"
#include "ir/text_format.h"
#include "onnx/defs/parser.h"

int main(int argc, char** argv) {
  bool raw = argc == 3 && std::string(argv[1]) == "--raw";
  if (argc != 2 && !raw) {
    std::cerr << "usage: text2onnx [--raw] out.onnx < model.txt\n";
    return 2;
  }
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  try {
    if (raw) {
      onnx::ModelProto p;
      auto st = onnx::OnnxParser::Parse(p, text.c_str());
      if (!st.IsOK()) throw edge::Error(edge::ErrorCode::kInvalidInput, st.ErrorMessage());
      edge::save_model(edge::Model(std::move(p)), argv[2]);
    } else {
      edge::save_model(edge::parse_model_text(text), argv[1]);
    }
  } catch (const std::exception& e) {
    std::cerr << "text2onnx: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
