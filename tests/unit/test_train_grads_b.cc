// Backward kernels of lib/train, part B (softmax family, tensor shuffles, indexing,
// reductions) against central finite differences on random
// shapes and every attribute form. Normalization, Cast and the variadic ops:
// test_train_grads_b_norm.cc; Q/DQ and whole models: test_train_grads_b_qdq.cc.
#include <catch2/catch.hpp>

#include "kernel_test_util.h"
#include "train_grad_b_util.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::check_node_gradients;
using edge::test::NodeGradCase;
using edge::test::random_tensor;
using edge::test::add_float_attr;
using edge::test::distinct_tensors;
using edge::test::ints;
using edge::test::ints1;

TEST_CASE("grad B: Softmax and LogSoftmax, opset 11 (2-D coercion) and 13 (one axis)", "[train]") {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    for (int opset : {11, 13}) {
      for (int64_t axis : {0, 1, 2, -1, -2}) {
        INFO(op << " opset " << opset << " axis " << axis);
        NodeGradCase c(op, opset, "", {random_tensor({2, 3, 4}, 100 + static_cast<uint64_t>(axis + 2), -2.f, 2.f)});
        c.attrs = [axis](onnx::NodeProto& n) { test::add_int_attr(n, "axis", axis); };
        check_node_gradients(c);
      }
    }
    // Default axis: 1 before opset 13 (coerced), -1 from 13.
    check_node_gradients(NodeGradCase(op, 11, "", {random_tensor({3, 2, 5}, 110)}));
    check_node_gradients(NodeGradCase(op, 13, "", {random_tensor({3, 2, 5}, 111)}));
  }
}

TEST_CASE("grad B: Transpose with the default and explicit perms", "[train]") {
  check_node_gradients(NodeGradCase("Transpose", 13, "", {random_tensor({2, 3, 4}, 120)}));
  for (std::vector<int64_t> perm : {std::vector<int64_t>{1, 0, 2}, {2, 0, 1}, {0, 2, 1}}) {
    NodeGradCase c("Transpose", 13, "", {random_tensor({2, 3, 4}, 121)});
    c.attrs = [perm](onnx::NodeProto& n) { test::add_ints_attr(n, "perm", perm); };
    check_node_gradients(c);
  }
  NodeGradCase c4("Transpose", 13, "", {random_tensor({2, 3, 1, 4}, 122)});
  c4.attrs = [](onnx::NodeProto& n) { test::add_ints_attr(n, "perm", {3, 1, 0, 2}); };
  check_node_gradients(c4);
}

TEST_CASE("grad B: Concat along every axis, negative too", "[train]") {
  for (int64_t axis : {0, 1, 2, -1, -3}) {
    const auto a = static_cast<size_t>(axis < 0 ? axis + 3 : axis);
    Shape s0{2, 3, 4}, s1{2, 3, 4}, s2{2, 3, 4};
    s1[a] = 1;
    s2[a] = 3;
    NodeGradCase c("Concat", 13, "", {random_tensor(s0, 130), random_tensor(s1, 131), random_tensor(s2, 132)});
    c.attrs = [axis](onnx::NodeProto& n) { test::add_int_attr(n, "axis", axis); };
    INFO("axis " << axis);
    check_node_gradients(c);
  }
}

TEST_CASE("grad B: Split as attribute (opset 11), input (13) and num_outputs (18)", "[train]") {
  NodeGradCase a("Split", 11, "", {random_tensor({2, 6, 3}, 140)}, 3);
  a.attrs = [](onnx::NodeProto& n) {
    test::add_int_attr(n, "axis", 1);
    test::add_ints_attr(n, "split", {1, 3, 2});
  };
  check_node_gradients(a);
  NodeGradCase b("Split", 13, "", {random_tensor({5, 2, 3}, 141), ints1({2, 3})}, 2);
  b.check = {0};
  check_node_gradients(b);
  NodeGradCase e("Split", 13, "", {random_tensor({2, 3, 4}, 142)}, 2);  // equal halves of the last axis
  e.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "axis", -1); };
  check_node_gradients(e);
  NodeGradCase d("Split", 18, "", {random_tensor({2, 7}, 143)}, 3);  // 3, 3, 1
  d.attrs = [](onnx::NodeProto& n) {
    test::add_int_attr(n, "axis", 1);
    test::add_int_attr(n, "num_outputs", 3);
  };
  check_node_gradients(d);
}

TEST_CASE("grad B: Split outputs that no gradient reaches count as zero", "[train]") {
  NodeGradCase c("Split", 13, "", {random_tensor({2, 6}, 144)}, 3);
  c.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "axis", 1); };
  Model m = test::node_model(c);
  // Only y1 is a graph output: y0 and y2 are produced but unused.
  auto* g = m.proto().mutable_graph();
  g->mutable_output()->Clear();
  g->add_output()->set_name("y1");
  test::check_model_gradients(m, {"x0"}, {});
}

TEST_CASE("grad B: Slice with attributes (opset 9) and inputs, negative starts and steps", "[train]") {
  NodeGradCase a("Slice", 9, "", {random_tensor({4, 5, 3}, 150)});
  a.attrs = [](onnx::NodeProto& n) {
    test::add_ints_attr(n, "starts", {1, -4});
    test::add_ints_attr(n, "ends", {3, 100});
    test::add_ints_attr(n, "axes", {0, 1});
  };
  check_node_gradients(a);
  struct Form {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  for (const Form& f : {Form{{0, 1}, {4, 5}, {0, 2}, {2, 1}}, Form{{-1, 4}, {-100, 0}, {0, -2}, {-1, -2}},
                        Form{{3}, {0}, {-1}, {-1}}, Form{{1, 0, 2}, {-1, 100, 3}, {}, {}}}) {
    std::optional<Tensor> axes, steps;  // omitted when empty
    if (!f.axes.empty()) axes = ints1(f.axes);
    if (!f.steps.empty()) steps = ints1(f.steps);
    NodeGradCase c("Slice", 13, "", {random_tensor({4, 5, 3}, 151), ints1(f.starts), ints1(f.ends), axes, steps});
    c.check = {0};
    check_node_gradients(c);
  }
}

TEST_CASE("grad B: Gather on every axis with negative and repeated indices", "[train]") {
  for (int64_t axis : {0, 1, 2, -1}) {
    const int64_t dim = std::vector<int64_t>{3, 4, 5}[static_cast<size_t>(axis < 0 ? axis + 3 : axis)];
    NodeGradCase c("Gather", 13, "", {random_tensor({3, 4, 5}, 160), ints({2, 2}, {0, -1, 1, 0})});
    c.attrs = [axis](onnx::NodeProto& n) { test::add_int_attr(n, "axis", axis); };
    c.check = {0};
    INFO("axis " << axis << " dim " << dim);
    check_node_gradients(c);
  }
  NodeGradCase s("Gather", 13, "", {random_tensor({4, 3}, 161), ints({}, {-2})});  // scalar index
  s.check = {0};
  check_node_gradients(s);
}

TEST_CASE("grad B: Expand and Tile", "[train]") {
  NodeGradCase e("Expand", 13, "", {random_tensor({3, 1}, 170), ints1({2, 3, 4})});
  e.check = {0};
  check_node_gradients(e);
  NodeGradCase e2("Expand", 13, "", {random_tensor({2, 1, 4}, 171), ints1({3, 1})});
  e2.check = {0};
  check_node_gradients(e2);
  NodeGradCase t("Tile", 13, "", {random_tensor({2, 3, 2}, 172), ints1({2, 1, 3})});
  t.check = {0};
  check_node_gradients(t);
}

TEST_CASE("grad B: Pad constant/reflect/edge/wrap, negative pads, axes, old attributes", "[train]") {
  for (const char* mode : {"constant", "reflect", "edge"}) {
    NodeGradCase c("Pad", 13, "", {random_tensor({3, 4}, 180), ints1({1, 2, 2, -1}), random_tensor({}, 181)});
    c.attrs = [mode](onnx::NodeProto& n) { test::add_string_attr(n, "mode", mode); };
    c.check = {0, 2};
    if (std::string(mode) != "constant") c.inputs.pop_back();  // the fill matters only in constant mode
    INFO("mode " << mode);
    check_node_gradients(c);
  }
  NodeGradCase w("Pad", 19, "", {random_tensor({2, 3}, 182), ints1({1, 4, 0, 2})});
  w.attrs = [](onnx::NodeProto& n) { test::add_string_attr(n, "mode", "wrap"); };
  w.check = {0};
  check_node_gradients(w);
  NodeGradCase ax("Pad", 18, "", {random_tensor({2, 3, 4}, 183), ints1({1, 2, 0, 1}), std::nullopt, ints1({-1, 0})});
  ax.check = {0};
  check_node_gradients(ax);
  NodeGradCase old("Pad", 2, "", {random_tensor({2, 3}, 184)});
  old.attrs = [](onnx::NodeProto& n) {
    test::add_ints_attr(n, "pads", {0, 1, 1, 2});
    add_float_attr(n, "value", 0.5f);
  };
  check_node_gradients(old);
}

TEST_CASE("grad B: Where with broadcast condition and branches", "[train]") {
  Tensor cond(DType::kBool, {3, 1});
  cond.data<bool>()[0] = true;
  cond.data<bool>()[2] = true;
  check_node_gradients(NodeGradCase("Where", 16, "", {cond, random_tensor({3, 4}, 190), random_tensor({4}, 191)}));
  check_node_gradients(NodeGradCase("Where", 16, "", {cond, random_tensor({}, 192), random_tensor({2, 3, 4}, 193)}));
}

TEST_CASE("grad B: ReduceSum/ReduceMean with axes as attribute or input, keepdims, noop_with_empty_axes", "[train]") {
  for (int keep : {0, 1}) {
    for (const char* op : {"ReduceSum", "ReduceMean"}) {
      // Attribute form: ReduceSum before 13, the others before 18.
      const int attr_opset = std::string(op) == "ReduceSum" ? 11 : 17;
      NodeGradCase a(op, attr_opset, "", {random_tensor({2, 3, 4}, 200)});
      a.attrs = [keep](onnx::NodeProto& n) {
        test::add_ints_attr(n, "axes", {0, -1});
        test::add_int_attr(n, "keepdims", keep);
      };
      INFO(op << " keepdims " << keep);
      check_node_gradients(a);
      NodeGradCase all(op, attr_opset, "", {random_tensor({2, 3, 4}, 201)});  // no axes: everything
      all.attrs = [keep](onnx::NodeProto& n) { test::add_int_attr(n, "keepdims", keep); };
      check_node_gradients(all);
      const int input_opset = std::string(op) == "ReduceSum" ? 13 : 18;
      NodeGradCase in(op, input_opset, "", {random_tensor({2, 3, 4}, 202), ints1({1})});
      in.attrs = [keep](onnx::NodeProto& n) { test::add_int_attr(n, "keepdims", keep); };
      in.check = {0};
      check_node_gradients(in);
      NodeGradCase noop(op, input_opset, "", {random_tensor({2, 3}, 203), ints({0}, {})});
      noop.attrs = [](onnx::NodeProto& n) { test::add_int_attr(n, "noop_with_empty_axes", 1); };
      noop.check = {0};
      check_node_gradients(noop);
      NodeGradCase empty(op, input_opset, "", {random_tensor({2, 3}, 204), ints({0}, {})});  // reduces everything
      empty.check = {0};
      check_node_gradients(empty);
    }
  }
}

TEST_CASE("grad B: ReduceMax/Min (to the extreme), ReduceL1/L2/SumSquare/LogSumExp", "[train]") {
  const Tensor x = distinct_tensors({{3, 4, 2}}, 210)[0];
  for (const char* op : {"ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp", "ReduceL1"}) {
    for (int keep : {0, 1}) {
      NodeGradCase c(op, 13, "", {x});  // values 0.05 apart and away from 0: no ties, no kink of |x|
      c.attrs = [keep](onnx::NodeProto& n) {
        test::add_ints_attr(n, "axes", {1});
        test::add_int_attr(n, "keepdims", keep);
      };
      INFO(op << " keepdims " << keep);
      check_node_gradients(c);
    }
    NodeGradCase v18(op, 18, "", {x, ints1({-1, 0})});
    v18.check = {0};
    check_node_gradients(v18);
  }
}

