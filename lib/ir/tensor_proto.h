// Conversions between edge::Tensor and onnx::TensorProto, including external data.
#pragma once

#include <filesystem>
#include <string>

#include "ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace edge {

// Decodes a TensorProto (raw_data, typed fields, or external data resolved against
// `base_dir`, which must be non-empty for external tensors). Validates that the data size
// matches the dims. `what` names the tensor in error messages.
Tensor tensor_from_proto(const onnx::TensorProto& p, const std::filesystem::path& base_dir,
                         const std::string& what);

// Encodes as raw_data (little-endian).
onnx::TensorProto tensor_to_proto(const Tensor& t, const std::string& name);

// Resolves an external-data `location` against the model directory, refusing absolute paths,
// `..` components and symlinks that escape the directory.
std::filesystem::path resolve_external_path(const std::filesystem::path& base_dir,
                                            const std::string& location, const std::string& what);

// Reads a serialized TensorProto file (.pb).
Tensor read_tensor_pb(const std::filesystem::path& path, std::string* name = nullptr);
void write_tensor_pb(const std::filesystem::path& path, const Tensor& t, const std::string& name);

// Element count stored in a TensorProto's dims (validated, no data read).
int64_t proto_numel(const onnx::TensorProto& p, const std::string& what);

}  // namespace edge
