// The distill pass: on mlp-300-100 pruned to 90 % (unstructured) and 2:4, a few epochs of
// distillation against the dense model lower the loss and raise the agreement with it,
// while every pruned weight stays exactly zero (N:M groups intact); bad input is refused
// with messages naming what is wrong; a NaN loss stops with the starting weights kept;
// gradual=E restores the dense weights and prunes them back to the same zero count (or keeps
// the mask of a weight it cannot restore, with the reason).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "data/evaluate.h"
#include "data/npy.h"
#include "ir/tensor_proto.h"
#include "pass_test_util.h"
#include "passes/prune/prune_record.h"
#include "passes/prune/prune_stage.h"
#include "test_util.h"
#include "train_grad_check.h"

using namespace edge;

namespace {

const std::filesystem::path kFixtures = test::source_dir() / "fixtures";

pass::DataSpec mnist_train(int64_t limit) {
  pass::DataSpec d;
  d.path = kFixtures / "data/mnist_calib_x.npy";
  d.options.pre.scale = 1.0 / 255;
  d.limit = limit;
  return d;
}

Model run_distill(const Model& student, const Model& teacher, const pass::DataSpec& train,
                  const std::map<std::string, std::string>& opts, report::StageRecord* stage) {
  const auto& info = pass::find_pass("distill");
  pass::PassContext ctx(std::make_shared<spdlog::logger>("test"), 1);
  ctx.original = &teacher;
  ctx.train = train;
  ctx.stage = stage;
  Model out = student;
  ctx.run_pass(info, pass::make_options(info, opts), out);
  out.check();
  return out;
}

std::map<std::string, Tensor> weights(const Model& m) {
  std::map<std::string, Tensor> w;
  for (const auto& t : m.graph().initializer()) w[t.name()] = tensor_from_proto(t, ".", t.name());
  return w;
}

// Top-1 agreement with `teacher` on the first 500 eval digits.
double agreement(const Model& m, const Model& teacher) {
  auto s = rt::Session::create(m), ref = rt::Session::create(teacher);
  data::DataOptions o;
  o.pre.scale = 1.0 / 255;
  auto d = data::open_dataset(kFixtures / "data/mnist_eval_x.npy", o);
  d->set_limit(500);
  data::EvalOptions eo;
  eo.batch = 50;
  return data::evaluate(*s, *d, nullptr, ref.get(), eo).agreement_top1;
}

// x[N,k] -> Gemm(W[k,c], b) [-> Round] -> y[N,c]
Model gemm_model(const std::string& input, int64_t k, int64_t c, bool round = false) {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  g->set_name("gemm");
  auto* in = g->add_input();
  in->set_name(input);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(k);
  auto* out = g->add_output();
  out->set_name("y");
  auto* ot = out->mutable_type()->mutable_tensor_type();
  ot->set_elem_type(onnx::TensorProto::FLOAT);
  ot->mutable_shape()->add_dim()->set_dim_param("N");
  ot->mutable_shape()->add_dim()->set_dim_value(c);
  *g->add_initializer() = tensor_to_proto(test::random_tensor({k, c}, 1), "W");
  *g->add_initializer() = tensor_to_proto(test::random_tensor({c}, 2), "b");
  auto* n = g->add_node();
  n->set_op_type("Gemm");
  n->set_name("fc");
  n->add_input(input);
  n->add_input("W");
  n->add_input("b");
  n->add_output(round ? "h" : "y");
  if (round) {
    auto* r = g->add_node();
    r->set_op_type("Round");
    r->set_name("round_node");
    r->add_input("h");
    r->add_output("y");
  }
  return Model(std::move(mp));
}

}  // namespace

TEST_CASE("distill: mlp-300-100 pruned to 90 % recovers agreement, zeros stay zero", "[distill]") {
  const Model teacher = load_model(kFixtures / "models/mlp-300-100.onnx");
  const Model pruned = test::apply(teacher, "prune-magnitude", {{"sparsity", "0.9"}});
  const auto record = pass::prune::read_pruned(pruned);
  REQUIRE(record.size() == 3);
  report::StageRecord st;
  const Model out = run_distill(pruned, teacher, mnist_train(0), {{"epochs", "3"}, {"val", "0.2"}}, &st);
  // The loss fell and the student agrees with the teacher more often, on held-out digits too.
  CHECK(st.metrics.at("val_loss_best") < 0.5 * st.metrics.at("val_loss_before"));
  CHECK(st.metrics.at("val_top1_best") > st.metrics.at("val_top1_before"));
  CHECK(st.metrics.at("epochs_run") == 3);
  CHECK(st.metrics.at("train_samples") == 800);
  const double before = agreement(pruned, teacher), after = agreement(out, teacher);
  INFO("agreement with the dense model on 500 eval digits: " << before << " -> " << after);
  CHECK(after > 0.95);
  CHECK(after > before + 0.1);
  // Pruned weights: the same zeros, exactly; the record is still there.
  const auto w0 = weights(pruned), w1 = weights(out);
  for (const auto& [name, method] : record) {
    const Tensor &a = w0.at(name), &b = w1.at(name);
    int64_t changed = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
      REQUIRE((a.data<float>()[i] == 0.f) == (b.data<float>()[i] == 0.f));
      changed += a.data<float>()[i] != b.data<float>()[i];
    }
    CHECK(changed > a.numel() / 20);  // the kept weights did train
  }
  CHECK(pass::prune::read_pruned(out) == record);
  // Report: per-epoch metrics and a row per trained initializer.
  CHECK(st.metrics.count("loss@3") == 1);
  CHECK(st.metrics.count("val_top1@0") == 1);
  CHECK(st.layers.size() == 6);
}

TEST_CASE("distill: 2:4 sparsity stays intact", "[distill]") {
  const Model teacher = load_model(kFixtures / "models/mlp-300-100.onnx");
  const Model pruned = test::apply(teacher, "prune-nm", {{"n", "2"}, {"m", "4"}});
  const Model out = run_distill(pruned, teacher, mnist_train(64), {{"epochs", "1"}, {"batch", "16"}}, nullptr);
  const auto w0 = weights(pruned), w1 = weights(out);
  int64_t checked = 0;
  for (const auto& [name, method] : pass::prune::read_pruned(pruned)) {
    const Tensor &a = w0.at(name), &b = w1.at(name);
    for (int64_t i = 0; i < a.numel(); ++i) REQUIRE((a.data<float>()[i] == 0.f) == (b.data<float>()[i] == 0.f));
    checked += a.numel();
  }
  CHECK(checked > 100000);
}

TEST_CASE("distill: bad input", "[distill]") {
  test::TempDir dir;
  Tensor x = test::random_tensor({16, 6}, 3);
  data::write_npy(dir / "x.npy", x);
  pass::DataSpec train;
  train.path = dir / "x.npy";
  const Model student = gemm_model("x", 6, 4);
  SECTION("no training data") {
    CHECK_THROWS_WITH(run_distill(student, student, {}, {}, nullptr), Catch::Contains("needs training data"));
  }
  SECTION("teacher with other inputs") {
    CHECK_THROWS_WITH(run_distill(student, gemm_model("z", 6, 4), train, {}, nullptr),
                      Catch::Contains("the teacher's inputs (z) differ from the student's (x)"));
  }
  SECTION("outputs of other shapes") {
    CHECK_THROWS_WITH(run_distill(student, gemm_model("x", 6, 5), train, {}, nullptr),
                      Catch::Contains("differ in shape"));
  }
  SECTION("an op without a backward kernel between the weights and the loss") {
    CHECK_THROWS_WITH(run_distill(gemm_model("x", 6, 4, true), student, train, {}, nullptr),
                      Catch::Contains("round_node") && Catch::Contains("no backward kernel for op Round"));
  }
  SECTION("a parameter pattern that matches nothing") {
    CHECK_THROWS_WITH(run_distill(student, student, train, {{"params", "re:conv.*"}}, nullptr),
                      Catch::Contains("'re:conv.*' matches no initializer"));
  }
  SECTION("a NaN loss stops training and keeps the starting weights") {
    x.data<float>()[7] = NAN;
    data::write_npy(dir / "nan.npy", x);
    train.path = dir / "nan.npy";
    report::StageRecord st;
    const Model out = run_distill(student, gemm_model("x", 6, 4), train, {{"val", "0"}}, &st);
    CHECK(st.metrics.at("nonfinite_loss") == 1);
    CHECK(st.metrics.at("best_epoch") == 0);
    bool noted = false;
    for (const auto& n : st.notes) noted = noted || n.find("STOPPED on a non-finite value") != std::string::npos;
    CHECK(noted);
    const auto a = weights(student), b = weights(out);
    for (const auto& [name, t] : a) REQUIRE(std::memcmp(t.raw(), b.at(name).raw(), t.nbytes()) == 0);
  }
}

TEST_CASE("distill: hint losses and a student given by path", "[distill]") {
  const Model teacher = load_model(kFixtures / "models/mlp-300-100.onnx");
  const Model pruned = test::apply(teacher, "prune-magnitude", {{"sparsity", "0.9"}});
  const std::map<std::string, std::string> base = {{"epochs", "1"}, {"val", "0.5"}, {"patience", "0"}};
  report::StageRecord plain, hinted;
  run_distill(pruned, teacher, mnist_train(128), base, &plain);
  auto with_hints = base;
  with_hints["hints"] = "/Relu_output_0,/Relu_1_output_0:/Relu_1_output_0";
  run_distill(pruned, teacher, mnist_train(128), with_hints, &hinted);
  // The hint terms add to the loss: the same starting point measures higher with them.
  CHECK(hinted.metrics.at("val_loss_before") > plain.metrics.at("val_loss_before") + 0.1);
  CHECK(hinted.metrics.at("val_loss_best") < hinted.metrics.at("val_loss_before"));
  auto bad = base;
  bad["hints"] = "nope";
  CHECK_THROWS_WITH(run_distill(pruned, teacher, mnist_train(32), bad, nullptr),
                    Catch::Contains("hint 'nope' is not a value the teacher computes"));

  // student=PATH: that model is trained and becomes the result (the pipeline's model is dropped).
  test::TempDir dir;
  save_model(pruned, (dir / "student.onnx").string());
  const Model out = run_distill(teacher, teacher, mnist_train(64), {{"epochs", "1"}, {"student", (dir / "student.onnx").string()}},
                                nullptr);
  const auto w_out = weights(out), w_pruned = weights(pruned);
  const Tensor& fc1 = w_out.at("fc1.weight");
  int64_t zeros = 0;
  for (int64_t i = 0; i < fc1.numel(); ++i) zeros += fc1.data<float>()[i] == 0.f;
  CHECK(zeros > fc1.numel() / 2);  // the pruned student, not the dense pipeline model
  CHECK(std::memcmp(fc1.raw(), w_pruned.at("fc1.weight").raw(), fc1.nbytes()) != 0);  // and trained
}

TEST_CASE("distill: gradual=E starts again from the dense weights and ends with the same zero count", "[distill]") {
  const Model teacher = load_model(kFixtures / "models/mlp-300-100.onnx");
  const Model pruned = test::apply(teacher, "prune-magnitude", {{"sparsity", "0.9"}});
  const auto record = pass::prune::read_pruned(pruned);
  report::StageRecord st;
  const Model out =
      run_distill(pruned, teacher, mnist_train(0), {{"epochs", "4"}, {"gradual", "2"}, {"val", "0.2"}}, &st);
  CHECK(st.metrics.at("gradual_pruned") == 3);
  // Epochs still being pruned are never kept.
  CHECK(st.metrics.at("best_epoch") >= 2);
  const auto w0 = weights(pruned), w1 = weights(out);
  for (const auto& [name, method] : record) {
    const Tensor &a = w0.at(name), &b = w1.at(name);
    int64_t zeros_a = 0, zeros_b = 0, moved = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
      zeros_a += a.data<float>()[i] == 0.f;
      zeros_b += b.data<float>()[i] == 0.f;
      moved += (a.data<float>()[i] == 0.f) != (b.data<float>()[i] == 0.f);
    }
    INFO(name);
    CHECK(zeros_b == zeros_a);
    CHECK(moved > 0);  // the mask was chosen again, not kept
  }
  CHECK(pass::prune::read_pruned(out) == record);
  CHECK(agreement(out, teacher) > 0.95);
  bool noted = false;
  for (const auto& n : st.notes) noted = noted || n.find("3 pruned initializer(s) restored from the input model") == 0;
  CHECK(noted);
  // The same seed gives the same bytes.
  const Model again =
      run_distill(pruned, teacher, mnist_train(0), {{"epochs", "4"}, {"gradual", "2"}, {"val", "0.2"}}, nullptr);
  const auto w2 = weights(again);
  for (const auto& [name, t] : w1) REQUIRE(std::memcmp(t.raw(), w2.at(name).raw(), t.nbytes()) == 0);
}

TEST_CASE("distill: gradual=E keeps the mask of weights it cannot restore, and says why", "[distill]") {
  const Model teacher = load_model(kFixtures / "models/mlp-300-100.onnx");
  Model pruned = test::apply(teacher, "prune-magnitude", {{"sparsity", "0.9"}});
  // A kept weight that is not the input model's: as if a stage had rewritten fc2.weight.
  auto w = weights(pruned);
  Tensor fc2 = w.at("fc2.weight");
  for (int64_t i = 0; i < fc2.numel(); ++i) fc2.data<float>()[i] *= 1.5f;
  pass::prune::write_weight(pruned, "fc2.weight", fc2);
  report::StageRecord st;
  const Model out =
      run_distill(pruned, teacher, mnist_train(200), {{"epochs", "2"}, {"gradual", "1"}, {"val", "0.2"}}, &st);
  CHECK(st.metrics.at("gradual_pruned") == 2);
  bool noted = false;
  for (const auto& n : st.notes) {
    noted = noted || n == "gradual: fc2.weight kept its mask: a stage before the prune stage changed it";
  }
  CHECK(noted);
  const auto w_out = weights(out);
  const Tensor &a = fc2, &b = w_out.at("fc2.weight");
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE((a.data<float>()[i] == 0.f) == (b.data<float>()[i] == 0.f));

  const Model nm = test::apply(teacher, "prune-nm", {{"n", "2"}, {"m", "4"}});
  report::StageRecord st2;
  run_distill(nm, teacher, mnist_train(64), {{"epochs", "1"}, {"gradual", "1"}, {"batch", "16"}}, &st2);
  CHECK(st2.metrics.at("gradual_pruned") == 0);
  noted = false;
  for (const auto& n : st2.notes)
    noted = noted || n.find("kept its mask: pruned with pattern nm:2:4") != std::string::npos;
  CHECK(noted);

  CHECK_THROWS_WITH(run_distill(pruned, teacher, mnist_train(64), {{"epochs", "2"}, {"gradual", "3"}}, nullptr),
                    Catch::Contains("gradual=3 is more than epochs=2"));
}
