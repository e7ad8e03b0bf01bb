#include "value_mutator.h"

#include <cmath>
#include <cstdint>
#include <iterator>

namespace edge::fuzz {

int64_t interesting_int(Rng& rng) {
  // 2^31, 2^32, 2^40, 2^48 and INT64_MAX - 1 beside the limits.
  // clang-format off
  static const int64_t kValues[] = {
      0, 1, 2, 3, 4, 7, 8, 16, 255, 256, -1, -2, -3, 65535, 65536, INT32_MAX, INT32_MIN, 2147483648LL,
      4294967296LL, 1099511627776LL, 281474976710656LL, INT64_MAX, INT64_MIN, 9223372036854775806LL};
  // clang-format on
  if (one_in(rng, 2)) return kValues[pick(rng, std::size(kValues))];
  return static_cast<int64_t>(pick(rng, 72)) - 8;
}

// Wrapping arithmetic: the mutator itself must not overflow (UBSan runs on it too).
int64_t tweak_int(Rng& rng, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v);
  switch (pick(rng, 5)) {
    case 0:
      return static_cast<int64_t>(u + 1);
    case 1:
      return static_cast<int64_t>(u - 1);
    case 2:
      return static_cast<int64_t>(0 - u);
    case 3:
      return static_cast<int64_t>(u * 2);
    default:
      return interesting_int(rng);
  }
}

float interesting_float(Rng& rng) {
  // clang-format off
  static const float kValues[] = {
      0.f, -0.f, 1.f, -1.f, 0.5f, 1e-45f, 1e-7f, 1e38f, -1e38f, 65504.f, 255.f, 2.f, 1e-5f, -0.5f,
      3.f, INFINITY, -INFINITY, NAN};
  // clang-format on
  if (one_in(rng, 3)) return std::uniform_real_distribution<float>(-10.f, 10.f)(rng);
  return kValues[pick(rng, std::size(kValues))];
}

int32_t random_elem_type(Rng& rng) { return static_cast<int32_t>(pick(rng, 25)) - (one_in(rng, 8) ? 1 : 0); }

std::string mutate_shape(onnx::ValueInfoProto& vi, Rng& rng) {
  auto* tt = vi.mutable_type()->mutable_tensor_type();
  if (one_in(rng, 5)) {
    tt->set_elem_type(random_elem_type(rng));
    return "elem_type of '" + vi.name() + "'";
  }
  auto* shape = tt->mutable_shape();
  switch (pick(rng, 6)) {
    case 0:
      shape->add_dim()->set_dim_value(interesting_int(rng));
      return "added a dim to '" + vi.name() + "'";
    case 1:
      if (shape->dim_size() > 0) shape->mutable_dim()->RemoveLast();
      return "removed a dim of '" + vi.name() + "'";
    case 2:
      tt->clear_shape();
      return "cleared the shape of '" + vi.name() + "'";
    case 3:
      if (shape->dim_size() > 0) shape->mutable_dim(static_cast<int>(pick(rng, shape->dim_size())))->set_dim_param("N");
      return "symbolic dim in '" + vi.name() + "'";
    default:
      if (shape->dim_size() == 0) shape->add_dim();
      auto* d = shape->mutable_dim(static_cast<int>(pick(rng, shape->dim_size())));
      d->set_dim_value(d->has_dim_value() ? tweak_int(rng, d->dim_value()) : interesting_int(rng));
      return "a dim of '" + vi.name() + "'";
  }
}

std::string mutate_tensor(onnx::TensorProto& t, Rng& rng, const ByteMutator& bytes) {
  switch (pick(rng, 6)) {
    case 0:
      if (t.dims_size() == 0 || one_in(rng, 4)) {
        t.add_dims(interesting_int(rng));
      } else {
        const int i = static_cast<int>(pick(rng, t.dims_size()));
        t.set_dims(i, tweak_int(rng, t.dims(i)));
      }
      return "dims of tensor '" + t.name() + "'";
    case 1:
      if (t.dims_size() > 0) t.mutable_dims()->RemoveLast();
      return "dropped a dim of tensor '" + t.name() + "'";
    case 2:
      t.set_data_type(random_elem_type(rng));
      return "data_type of tensor '" + t.name() + "'";
    case 3:
      if (t.float_data_size() > 0) {
        t.set_float_data(static_cast<int>(pick(rng, t.float_data_size())), interesting_float(rng));
      } else if (t.int64_data_size() > 0) {
        t.set_int64_data(static_cast<int>(pick(rng, t.int64_data_size())), interesting_int(rng));
      } else if (t.int32_data_size() > 0) {
        t.set_int32_data(static_cast<int>(pick(rng, t.int32_data_size())), static_cast<int32_t>(interesting_int(rng)));
      } else {
        t.add_float_data(interesting_float(rng));
      }
      return "a typed value of tensor '" + t.name() + "'";
    case 4:
      if (one_in(rng, 3)) {
        t.set_data_location(onnx::TensorProto::EXTERNAL);
        auto* e = t.add_external_data();
        e->set_key(one_in(rng, 4) ? "length" : "location");
        e->set_value(one_in(rng, 2) ? "missing.bin" : std::to_string(interesting_int(rng)));
        return "external data of tensor '" + t.name() + "'";
      }
      t.clear_raw_data();
      return "dropped the raw data of tensor '" + t.name() + "'";
    default: {
      std::string raw = t.raw_data();
      const size_t cap = raw.size() + 64;
      raw.resize(cap);
      raw.resize(bytes(reinterpret_cast<uint8_t*>(raw.data()), t.raw_data().size(), cap));
      t.set_raw_data(raw);
      return "raw bytes of tensor '" + t.name() + "'";
    }
  }
}

namespace {

// clang-format off
const char* const kAttrNames[] = {
    "axis", "axes", "perm", "pads", "strides", "kernel_shape", "dilations", "group", "to", "keepdims",
    "epsilon", "alpha", "beta", "transA", "transB", "mode", "auto_pad", "blocksize", "k", "largest",
    "direction", "hidden_size", "split", "ceil_mode", "value", "output_padding",
    "coordinate_transformation_mode", "batch_dims"};
// clang-format on

}  // namespace

std::string mutate_attribute(onnx::NodeProto& n, Rng& rng, const ByteMutator& bytes) {
  if (n.attribute_size() == 0 || one_in(rng, 5)) {
    auto* a = n.add_attribute();
    a->set_name(kAttrNames[pick(rng, std::size(kAttrNames))]);
    if (one_in(rng, 2)) {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(interesting_int(rng));
    } else {
      a->set_type(onnx::AttributeProto::INTS);
      for (size_t i = pick(rng, 6); i > 0; --i) a->add_ints(interesting_int(rng));
    }
    return "added attribute '" + a->name() + "' to node '" + n.name() + "'";
  }
  const int idx = static_cast<int>(pick(rng, n.attribute_size()));
  auto& a = *n.mutable_attribute(idx);
  const std::string what = "attribute '" + a.name() + "' of node '" + n.name() + "'";
  switch (pick(rng, 8)) {
    case 0:
      n.mutable_attribute()->DeleteSubrange(idx, 1);
      return "removed " + what;
    case 1:
      a.set_type(static_cast<onnx::AttributeProto::AttributeType>(pick(rng, 15)));
      return "type of " + what;
    case 2:
      a.set_i(a.has_i() ? tweak_int(rng, a.i()) : interesting_int(rng));
      return "int of " + what;
    case 3:
      a.set_f(interesting_float(rng));
      return "float of " + what;
    case 4:
      if (a.ints_size() > 0 && !one_in(rng, 3)) {
        const int i = static_cast<int>(pick(rng, a.ints_size()));
        a.set_ints(i, tweak_int(rng, a.ints(i)));
      } else if (a.ints_size() > 0 && one_in(rng, 2)) {
        a.mutable_ints()->RemoveLast();
      } else {
        a.add_ints(interesting_int(rng));
      }
      return "ints of " + what;
    case 5: {
      static const char* const kStrings[] = {"",        "NOTSET",   "SAME_UPPER", "VALID", "linear",
                                             "nearest", "constant", "reflect",    "edge",  "bidirectional",
                                             "reverse", "\xff\n",   "ab,cd->"};
      a.set_s(kStrings[pick(rng, std::size(kStrings))]);
      return "string of " + what;
    }
    case 6:
      if (a.floats_size() > 0) {
        a.set_floats(static_cast<int>(pick(rng, a.floats_size())), interesting_float(rng));
      } else {
        a.add_floats(interesting_float(rng));
      }
      return "floats of " + what;
    default:
      if (a.has_t()) return mutate_tensor(*a.mutable_t(), rng, bytes);
      a.set_name(kAttrNames[pick(rng, std::size(kAttrNames))]);
      return "renamed " + what;
  }
}

size_t mutate_bytes_simple(uint8_t* data, size_t size, size_t max_size, std::mt19937_64& rng) {
  switch (pick(rng, 4)) {
    case 0:
      if (size > 0) data[pick(rng, size)] ^= static_cast<uint8_t>(1u << pick(rng, 8));
      return size;
    case 1: {
      static const uint8_t kBytes[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x40};
      if (size > 0) data[pick(rng, size)] = kBytes[pick(rng, std::size(kBytes))];
      return size;
    }
    case 2:
      if (size < max_size) {
        const size_t at = pick(rng, size + 1);
        for (size_t i = size; i > at; --i) data[i] = data[i - 1];
        data[at] = static_cast<uint8_t>(pick(rng, 256));
        return size + 1;
      }
      return size;
    default:
      if (size > 0) {
        const size_t at = pick(rng, size);
        for (size_t i = at; i + 1 < size; ++i) data[i] = data[i + 1];
        return size - 1;
      }
      return size;
  }
}

}  // namespace edge::fuzz
