#include "search/pareto.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "ir/status.h"

namespace edge::search {

double accuracy_score(const Metrics& m) { return m.top1 ? *m.top1 : m.agreement; }

double accuracy_drop(const Metrics& m, const Metrics& original) {
  if (m.top1 && original.top1) return *original.top1 - *m.top1;
  return 1.0 - m.agreement;
}

bool dominates(const Metrics& a, const Metrics& b) {
  const double acc_a = accuracy_score(a), acc_b = accuracy_score(b);
  const bool no_worse = a.size_bytes <= b.size_bytes && a.latency_ms <= b.latency_ms && acc_a >= acc_b;
  const bool better = a.size_bytes < b.size_bytes || a.latency_ms < b.latency_ms || acc_a > acc_b;
  return no_worse && better;
}

void mark_front(std::vector<Candidate>& cands) {
  for (auto& c : cands) {
    c.on_front = false;
    if (!c.metrics) continue;
    bool beaten = false;
    for (const auto& o : cands) {
      if (&o == &c || !o.metrics) continue;
      const Metrics &a = *o.metrics, &b = *c.metrics;
      const bool same = a.size_bytes == b.size_bytes && a.latency_ms == b.latency_ms &&
                        accuracy_score(a) == accuracy_score(b);
      if (dominates(a, b) || (same && o.id < c.id)) {
        beaten = true;
        break;
      }
    }
    c.on_front = !beaten;
  }
}

std::vector<std::string> gate_failures(const Metrics& m, const Metrics& original, const SearchGates& g) {
  std::vector<std::string> out;
  char buf[160];
  const double drop = accuracy_drop(m, original);
  if (drop > g.max_accuracy_drop + 1e-12) {
    std::snprintf(buf, sizeof buf, "accuracy drop %.4f > %.4f", drop, g.max_accuracy_drop);
    out.push_back(buf);
  }
  if (g.max_latency_ms && m.latency_ms > *g.max_latency_ms) {
    std::snprintf(buf, sizeof buf, "latency %.3f ms > %.3f ms", m.latency_ms, *g.max_latency_ms);
    out.push_back(buf);
  }
  if (g.max_size && m.size_bytes > *g.max_size) {
    std::snprintf(buf, sizeof buf, "size %llu bytes > %llu", static_cast<unsigned long long>(m.size_bytes),
                  static_cast<unsigned long long>(*g.max_size));
    out.push_back(buf);
  }
  if (g.max_peak_memory && m.peak_memory_bytes > *g.max_peak_memory) {
    std::snprintf(buf, sizeof buf, "peak memory %llu bytes > %llu", static_cast<unsigned long long>(m.peak_memory_bytes),
                  static_cast<unsigned long long>(*g.max_peak_memory));
    out.push_back(buf);
  }
  return out;
}

int pick_best(const std::vector<Candidate>& cands, Objective objective) {
  const Candidate* best = nullptr;
  auto key = [&](const Candidate& c) {
    const Metrics& m = *c.metrics;
    const double size = static_cast<double>(m.size_bytes), acc = -accuracy_score(m);
    switch (objective) {
      case Objective::kSize: return std::tuple{size, m.latency_ms, acc, c.id};
      case Objective::kLatency: return std::tuple{m.latency_ms, size, acc, c.id};
      case Objective::kAccuracy: break;
    }
    return std::tuple{acc, size, m.latency_ms, c.id};
  };
  for (const auto& c : cands) {
    if (!c.metrics || !c.meets_gates) continue;
    if (!best || key(c) < key(*best)) best = &c;
  }
  return best ? best->id : 0;
}

int pick_closest(const std::vector<Candidate>& cands, const Metrics& original, const SearchGates& g) {
  const Candidate* best = nullptr;
  double best_excess = 0;
  for (const auto& c : cands) {
    if (!c.metrics) continue;
    const Metrics& m = *c.metrics;
    auto over = [](double value, double limit) { return std::max(0.0, (value - limit) / std::max(limit, 1e-9)); };
    double excess = std::max(0.0, accuracy_drop(m, original) - g.max_accuracy_drop) / std::max(g.max_accuracy_drop, 0.001);
    if (g.max_latency_ms) excess += over(m.latency_ms, *g.max_latency_ms);
    if (g.max_size) excess += over(static_cast<double>(m.size_bytes), static_cast<double>(*g.max_size));
    if (g.max_peak_memory) {
      excess += over(static_cast<double>(m.peak_memory_bytes), static_cast<double>(*g.max_peak_memory));
    }
    if (!best || excess < best_excess) {
      best = &c;
      best_excess = excess;
    }
  }
  return best ? best->id : 0;
}

Objective parse_objective(const std::string& text) {
  if (text == "size") return Objective::kSize;
  if (text == "latency") return Objective::kLatency;
  if (text == "accuracy") return Objective::kAccuracy;
  throw Error(ErrorCode::kInvalidInput, "--objective '" + text + "': expected size, latency or accuracy");
}

const char* objective_name(Objective o) {
  switch (o) {
    case Objective::kSize: return "size";
    case Objective::kLatency: return "latency";
    case Objective::kAccuracy: return "accuracy";
  }
  return "size";
}

void judge_candidates(SearchResult& r, const SearchGates& g, Objective objective) {
  for (auto& c : r.candidates) {
    if (!c.metrics) continue;
    c.gate_failures = gate_failures(*c.metrics, r.original, g);
    c.meets_gates = c.gate_failures.empty();
  }
  mark_front(r.candidates);
  r.best_id = pick_best(r.candidates, objective);
  r.closest_id = r.best_id ? 0 : pick_closest(r.candidates, r.original, g);
}

}  // namespace edge::search
