// lib/train's optimizers, schedules, losses and Trainer loop: loss gradients against central
// differences, optimizer updates against hand-computed values, schedules at their corners,
// and the loop on a small Gemm/Relu model (loss goes down, masks hold exactly, same seed =>
// same bytes, a non-finite loss stops with the best checkpoint kept).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "ir/tensor_proto.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/params.h"
#include "train/schedule.h"
#include "train/trainer.h"
#include "train_grad_check.h"

using namespace edge;
using edge::test::random_tensor;

namespace {

// Central differences of f at every element of x, compared with `grad`.
template <typename F>
void check_loss_grad(Tensor x, const Tensor& grad, F f, double eps = 1e-2) {
  REQUIRE(grad.shape() == x.shape());
  double scale = 0;
  for (int64_t i = 0; i < grad.numel(); ++i) scale = std::max(scale, std::abs(static_cast<double>(grad.data<float>()[i])));
  REQUIRE(scale > 0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    float* v = x.data<float>() + i;
    const float saved = *v;
    *v = static_cast<float>(saved + eps);
    const double up = f(x);
    *v = static_cast<float>(saved - eps);
    const double down = f(x);
    *v = saved;
    const double numeric = (up - down) / (2 * eps);
    const double analytic = grad.data<float>()[i];
    INFO("element " << i << ": analytic " << analytic << ", numeric " << numeric);
    CHECK(std::abs(analytic - numeric) <= 2e-2 * std::max(std::abs(analytic), std::abs(numeric)) + 2e-3 * scale);
  }
}

Tensor scaled(Tensor t, float k) {
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] *= k;
  return t;
}

}  // namespace

TEST_CASE("train losses: gradients against finite differences", "[train]") {
  // Three rows of [2 positions x 5 classes] in a tensor of 4 rows (the last is padding).
  const Tensor s = scaled(random_tensor({4, 2, 5}, 1), 3.f);
  const Tensor t = scaled(random_tensor({3, 2, 5}, 2), 3.f);
  for (double temp : {1.0, 4.0}) {
    INFO("KL, T " << temp);
    const auto r = train::kd_kl_loss(s, t, 3, temp);
    CHECK(r.loss > 0);
    check_loss_grad(s, r.grad, [&](const Tensor& x) { return train::kd_kl_loss(x, t, 3, temp).loss; });
    for (int64_t i = 30; i < 40; ++i) CHECK(r.grad.data<float>()[i] == 0.f);  // padding row
  }
  {
    INFO("MSE");
    const auto r = train::mse_loss(s, t, 3, 0.5);
    check_loss_grad(s, r.grad, [&](const Tensor& x) { return train::mse_loss(x, t, 3, 0.5).loss; });
  }
  {
    INFO("cross-entropy");
    const std::vector<int64_t> y = {4, 0, 2};
    const auto r = train::cross_entropy_loss(s, y);
    check_loss_grad(s, r.grad, [&](const Tensor& x) { return train::cross_entropy_loss(x, y).loss; });
  }
  // KL of identical distributions is zero; MSE of identical values too.
  const Tensor same = scaled(random_tensor({3, 2, 5}, 3), 2.f);
  CHECK(std::abs(train::kd_kl_loss(same, same, 3, 2.0).loss) < 1e-9);
  CHECK(train::mse_loss(same, same, 3, 1.0).loss == 0);
  CHECK_THROWS_WITH(train::kd_kl_loss(s, random_tensor({3, 7}, 4), 3, 1.0), Catch::Contains("does not match"));
  CHECK_THROWS_WITH(train::cross_entropy_loss(s, {9}), Catch::Contains("outside the output's 5 classes"));
}

TEST_CASE("train losses: logit spread and argmax", "[train]") {
  const Tensor l = Tensor::from_vector<float>({2, 4}, {1, 3, 1, 3, -2, 0, 2, 0});
  CHECK(train::logit_spread(l, 2) == Approx((1.0 + std::sqrt(2.0)) / 2));
  CHECK(train::argmax_row(l, 0) == 1);
  CHECK(train::argmax_row(l, 1) == 2);
}

TEST_CASE("optimizers: SGD with momentum and weight decay, Adam, AdamW", "[train]") {
  std::vector<Tensor> p = {Tensor::from_vector<float>({2}, {1.f, -2.f})};
  const std::vector<Tensor> g = {Tensor::from_vector<float>({2}, {0.5f, 0.25f})};
  {
    train::OptimizerOptions o;
    o.kind = train::OptimizerKind::kSgd;
    o.momentum = 0.9;
    o.weight_decay = 0.1;
    std::vector<Tensor> q = {p[0].clone()};
    train::Optimizer opt(o, q);
    opt.step(q, g, 0.1);  // d = g + 0.1 w = {0.6, 0.05}; buf = d; w -= 0.1 d
    CHECK(q[0].data<float>()[0] == Approx(1 - 0.06));
    CHECK(q[0].data<float>()[1] == Approx(-2 - 0.005));
    opt.step(q, g, 0.1);  // buf = 0.9 buf + d'
    const double d0 = 0.5 + 0.1 * 0.94, buf0 = 0.9 * 0.6 + d0;
    CHECK(q[0].data<float>()[0] == Approx(0.94 - 0.1 * buf0));
  }
  {
    train::OptimizerOptions o;  // Adam: the first step moves every element by lr (sign of g)
    std::vector<Tensor> q = {p[0].clone()};
    train::Optimizer opt(o, q);
    opt.step(q, g, 0.01);
    CHECK(q[0].data<float>()[0] == Approx(1 - 0.01).epsilon(1e-4));
    CHECK(q[0].data<float>()[1] == Approx(-2 - 0.01).epsilon(1e-4));
    opt.step(q, {Tensor()}, 0.01);  // no gradient: unchanged
    CHECK(q[0].data<float>()[0] == Approx(1 - 0.01).epsilon(1e-4));
  }
  {
    train::OptimizerOptions o;
    o.kind = train::OptimizerKind::kAdamW;
    o.weight_decay = 0.5;
    std::vector<Tensor> q = {p[0].clone()};
    train::Optimizer opt(o, q);
    opt.step(q, g, 0.01);  // w -= lr*wd*w, then the Adam step
    CHECK(q[0].data<float>()[0] == Approx(1 * (1 - 0.005) - 0.01).epsilon(1e-4));
  }
  CHECK_THROWS_WITH(train::parse_optimizer("rmsprop", "distill"), Catch::Contains("unknown optimizer 'rmsprop'"));
}

TEST_CASE("schedules: warm-up, constant, step, cosine", "[train]") {
  train::ScheduleOptions s;
  s.lr = 1.0;
  s.warmup_steps = 4;
  s.total_steps = 14;
  s.kind = train::ScheduleKind::kConstant;
  CHECK(train::learning_rate(s, 0) == Approx(0.25));
  CHECK(train::learning_rate(s, 3) == Approx(1.0));
  CHECK(train::learning_rate(s, 10) == Approx(1.0));
  s.kind = train::ScheduleKind::kCosine;
  CHECK(train::learning_rate(s, 4) == Approx(1.0));
  CHECK(train::learning_rate(s, 9) == Approx(0.5));
  CHECK(train::learning_rate(s, 14) == Approx(0.0).margin(1e-12));
  s.kind = train::ScheduleKind::kStep;
  s.step_every = 3;
  s.gamma = 0.5;
  CHECK(train::learning_rate(s, 6) == Approx(1.0));
  CHECK(train::learning_rate(s, 7) == Approx(0.5));
  CHECK(train::learning_rate(s, 13) == Approx(0.125));
}

namespace {

// x[N,6] -> Gemm(W1[6,8], b1) -> Relu -> Gemm(W2[8,4], b2) -> y[N,4]
Model mlp(uint64_t seed) {
  onnx::ModelProto mp;
  mp.set_ir_version(8);
  mp.add_opset_import()->set_version(17);
  auto* g = mp.mutable_graph();
  g->set_name("mlp");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(6);
  auto* out = g->add_output();
  out->set_name("y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  *g->add_initializer() = tensor_to_proto(random_tensor({6, 8}, seed), "W1");
  *g->add_initializer() = tensor_to_proto(random_tensor({8}, seed + 1), "b1");
  *g->add_initializer() = tensor_to_proto(random_tensor({8, 4}, seed + 2), "W2");
  *g->add_initializer() = tensor_to_proto(random_tensor({4}, seed + 3), "b2");
  auto add = [&](const std::string& op, std::vector<std::string> ins, const std::string& o) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(o + "_node");
    for (auto& i : ins) n->add_input(i);
    n->add_output(o);
  };
  add("Gemm", {"x", "W1", "b1"}, "h");
  add("Relu", {"h"}, "r");
  add("Gemm", {"r", "W2", "b2"}, "y");
  return Model(std::move(mp));
}

// Matches a teacher's outputs by MSE; "correct" = same argmax as the teacher.
struct MatchTeacher : train::Objective {
  std::vector<Tensor> x;  // samples [1,6]
  std::vector<Tensor> t;  // teacher rows [1,4]
  double scale = 1;       // multiplies the gradient (a huge one makes the loss explode)
  Tensor rows(const std::vector<int64_t>& idx) const {
    Tensor r(DType::kFloat, {static_cast<int64_t>(idx.size()), 4});
    for (size_t i = 0; i < idx.size(); ++i) std::memcpy(r.data<float>() + i * 4, t[static_cast<size_t>(idx[i])].data<float>(), 16);
    return r;
  }
  double loss(const train::TrainGraph& g, const train::Tape& tape, const std::vector<int64_t>& idx,
              train::Seeds* seeds) override {
    auto r = train::mse_loss(g.value(tape, "y"), rows(idx), static_cast<int64_t>(idx.size()), scale);
    if (seeds) seeds->emplace_back("y", std::move(r.grad));
    return r.loss;
  }
  int64_t correct(const train::TrainGraph& g, const train::Tape& tape, const std::vector<int64_t>& idx) override {
    int64_t n = 0;
    for (size_t i = 0; i < idx.size(); ++i) {
      n += train::argmax_row(g.value(tape, "y"), static_cast<int64_t>(i)) == train::argmax_row(t[static_cast<size_t>(idx[i])], 0);
    }
    return n;
  }
};

MatchTeacher make_task(int64_t n) {
  MatchTeacher task;
  auto teacher = rt::Session::create(mlp(100));
  for (int64_t i = 0; i < n; ++i) {
    task.x.push_back(random_tensor({1, 6}, 500 + static_cast<uint64_t>(i)));
    task.t.push_back(teacher->run({{"x", task.x.back()}})[0].second.clone());
  }
  return task;
}

train::FeedFn feeds_of(const MatchTeacher& task) {
  return [&task](const std::vector<int64_t>& idx) {
    Tensor x(DType::kFloat, {static_cast<int64_t>(idx.size()), 6});
    for (size_t i = 0; i < idx.size(); ++i) std::memcpy(x.data<float>() + i * 6, task.x[static_cast<size_t>(idx[i])].data<float>(), 24);
    return rt::NamedTensors{{"x", x}};
  };
}

std::vector<int64_t> iota(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("trainer: learns a teacher, keeps masks exactly, same seed gives the same bytes", "[train]") {
  MatchTeacher task = make_task(64);
  const Model student = mlp(7);
  const auto train_once = [&](int64_t run_rows, uint64_t seed, std::vector<Tensor>* out) {
    train::TrainGraph g(student, train::select_params(student, {}).trainable);
    REQUIRE(g.param_names() == std::vector<std::string>{"W1", "b1", "W2", "b2"});
    train::TrainerOptions o;
    o.epochs = 15;
    o.batch = 8;
    o.run_rows = run_rows;
    o.seed = seed;
    o.schedule.lr = 0.02;
    train::Trainer t(g, o);
    // W1: every other element pruned.
    Tensor& w1 = g.params()[0];
    for (int64_t i = 0; i < w1.numel(); i += 2) w1.data<float>()[i] = 0.f;
    t.set_mask("W1", train::zero_mask(w1));
    int progress_calls = 0, epochs_done = 0;
    t.on_progress = [&](const train::TrainProgress& p) { ++progress_calls, epochs_done += p.epoch_done; };
    const train::TrainResult r = t.fit(iota(0, 56), iota(56, 64), feeds_of(task), task);
    CHECK(epochs_done == 16);  // before training + 15
    CHECK(progress_calls == 16 + 15 * 7);
    for (int64_t i = 0; i < w1.numel(); ++i) {
      if (i % 2 == 0) REQUIRE(w1.data<float>()[i] == 0.f);
      else CHECK(w1.data<float>()[i] != 0.f);
    }
    if (out) *out = g.params();
    return r;
  };
  std::vector<Tensor> a, b, c;
  const train::TrainResult r = train_once(0, 3, &a);
  REQUIRE(r.epochs.size() == 16);
  CHECK(!r.nonfinite);
  CHECK(r.best_epoch > 0);
  CHECK(r.epochs[static_cast<size_t>(r.best_epoch)].val_loss < 0.5 * r.epochs[0].val_loss);
  CHECK(r.epochs.back().train_loss < r.epochs[1].train_loss);
  CHECK(r.samples == 15 * 56);
  CHECK(r.steps == 15 * 7);
  // Same seed: identical bytes; sample-by-sample accumulation (a fixed batch of 1) gives the
  // same gradients up to float rounding, so the result stays close.
  train_once(0, 3, &b);
  for (size_t k = 0; k < a.size(); ++k) REQUIRE(std::memcmp(a[k].raw(), b[k].raw(), a[k].nbytes()) == 0);
  const train::TrainResult r1 = train_once(1, 3, &c);
  CHECK(r1.epochs.back().val_loss == Approx(r.epochs.back().val_loss).epsilon(1e-2));
  std::vector<Tensor> d;
  train_once(0, 4, &d);
  CHECK(std::memcmp(a[0].raw(), d[0].raw(), a[0].nbytes()) != 0);
}

TEST_CASE("trainer: early stopping keeps the best epoch; a non-finite loss stops and keeps the best", "[train]") {
  MatchTeacher task = make_task(32);
  const Model student = mlp(9);
  {
    train::TrainGraph g(student, {"W2", "b2"});
    train::TrainerOptions o;
    o.epochs = 50;
    o.batch = 8;
    o.patience = 2;
    o.schedule.kind = train::ScheduleKind::kConstant;
    o.schedule.lr = 0.5;  // too large: validation loss stops improving quickly
    train::Trainer t(g, o);
    const auto r = t.fit(iota(0, 24), iota(24, 32), feeds_of(task), task);
    CHECK(r.stopped_early);
    CHECK(static_cast<int>(r.epochs.size()) - 1 == r.best_epoch + 2);
  }
  {
    train::TrainGraph g(student, {"W1", "b1", "W2", "b2"});
    const std::vector<Tensor> before = [&] {
      std::vector<Tensor> v;
      for (const auto& p : g.params()) v.push_back(p.clone());
      return v;
    }();
    train::TrainerOptions o;
    o.epochs = 5;
    o.batch = 8;
    o.optimizer.kind = train::OptimizerKind::kSgd;
    o.schedule.lr = 1e3;
    task.scale = 1e30;  // gradients overflow float32 at once
    train::Trainer t(g, o);
    const auto r = t.fit(iota(0, 24), iota(24, 32), feeds_of(task), task);
    CHECK(r.nonfinite);
    CHECK(r.best_epoch == 0);
    CHECK_THAT(r.nonfinite_detail, Catch::Contains("epoch 1"));
    for (size_t k = 0; k < before.size(); ++k) REQUIRE(std::memcmp(before[k].raw(), g.params()[k].raw(), before[k].nbytes()) == 0);
  }
}

TEST_CASE("trainable parameters: default, names, regex, errors", "[train]") {
  const Model m = mlp(1);
  CHECK(train::select_params(m, {"re:W.*"}).trainable == std::vector<std::string>{"W1", "W2"});
  CHECK(train::select_params(m, {"b2", "W1"}).trainable == std::vector<std::string>{"W1", "b2"});
  CHECK_THROWS_WITH(train::select_params(m, {"W3"}), Catch::Contains("'W3' matches no initializer"));
  CHECK_THROWS_WITH(train::select_params(m, {"re:("}), Catch::Contains("bad regex"));
  Tensor w = Tensor::from_vector<float>({4}, {0.f, 1.f, 0.f, -2.f});
  const auto mask = train::zero_mask(w);
  CHECK(mask == std::vector<uint8_t>{0, 1, 0, 1});
  w.data<float>()[0] = 5.f;
  train::apply_mask(w, mask);
  CHECK(w.data<float>()[0] == 0.f);
  CHECK(w.data<float>()[3] == -2.f);
}
