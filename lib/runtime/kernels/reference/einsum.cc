// Einsum: sum of products over labelled dims, as numpy.einsum. Supports explicit ("->") and
// implicit outputs (ellipsis dims first, then the labels used once, in alphabetical order),
// "..." broadcasting across inputs, and repeated labels within a term (diagonals).
#include <algorithm>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "runtime/kernel_registry.h"
#include "runtime/kernels/reference/nn_util.h"

namespace edge::rt {
namespace {

constexpr int kEllipsisBase = 256;  // label ids of ellipsis dims: kEllipsisBase + i

struct Term {
  std::vector<int> labels;  // letters as their char code; "..." as -1
};

Term parse_term(const std::string& s, const std::string& where) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (s.compare(i, 3, "...") != 0 || std::count(t.labels.begin(), t.labels.end(), -1) > 0) {
        fail(where + ": malformed ellipsis in einsum term '" + s + "'");
      }
      t.labels.push_back(-1);
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      t.labels.push_back(c);
    } else {
      fail(where + ": invalid character '" + std::string(1, c) + "' in einsum equation");
    }
  }
  return t;
}

class EinsumKernel : public OpKernel {
 public:
  explicit EinsumKernel(const KernelInit& init) {
    std::string eq;
    for (char c : init.attrs.get_string("equation", "")) {
      if (c != ' ') eq.push_back(c);
    }
    const size_t arrow = eq.find("->");
    std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
    explicit_ = arrow != std::string::npos;
    size_t pos = 0;
    for (;;) {
      size_t comma = lhs.find(',', pos);
      terms_.push_back(parse_term(lhs.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos), init.where()));
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (explicit_) out_ = parse_term(eq.substr(arrow + 2), init.where());
  }

  void compute(KernelContext& ctx) override {
    if (ctx.num_inputs() > 0 && ctx.has_input(0) && nn_is_f16(ctx.input(0))) {
      nn_run_f16_as_f32(ctx, [this](KernelContext& c) { compute(c); });
      return;
    }
    const std::string& where = ctx.where();
    if (static_cast<size_t>(ctx.num_inputs()) != terms_.size()) {
      fail(where + ": equation has " + std::to_string(terms_.size()) + " terms for " + std::to_string(ctx.num_inputs()) + " inputs");
    }
    // Expand each input's labels to one id per dim and collect sizes.
    std::map<int, int64_t> size;
    std::map<int, int> count;
    std::vector<std::vector<int>> ids(terms_.size());
    int64_t ell_rank = 0;
    for (size_t i = 0; i < terms_.size(); ++i) {
      const Tensor& t = ctx.input(static_cast<int>(i));
      if (t.dtype() != ctx.input(0).dtype()) fail(where + ": input types differ");
      const auto& lb = terms_[i].labels;
      const int64_t letters = static_cast<int64_t>(lb.size()) - std::count(lb.begin(), lb.end(), -1);
      const bool has_ell = letters != static_cast<int64_t>(lb.size());
      const int64_t er = t.rank() - letters;
      if (er < 0 || (!has_ell && er != 0)) fail(where + ": term " + std::to_string(i) + " does not match " + t.describe());
      ell_rank = std::max(ell_rank, er);
      for (int l : lb) {
        if (l != -1) {
          ids[i].push_back(l);
          ++count[l];
          continue;
        }
        for (int64_t e = 0; e < er; ++e) ids[i].push_back(kEllipsisBase + static_cast<int>(e));
      }
    }
    for (size_t i = 0; i < terms_.size(); ++i) {
      const Tensor& t = ctx.input(static_cast<int>(i));
      const int64_t er = t.rank() - static_cast<int64_t>(std::count_if(ids[i].begin(), ids[i].end(), [](int v) { return v < kEllipsisBase; }));
      for (size_t d = 0; d < ids[i].size(); ++d) {
        int& id = ids[i][d];
        if (id >= kEllipsisBase) id = kEllipsisBase + static_cast<int>(ell_rank - er) + (id - kEllipsisBase);  // right-align
        const int64_t v = t.shape()[d];
        auto it = size.find(id);
        if (it == size.end() || it->second == 1) {
          size[id] = v;
        } else if (v != it->second && v != 1) {
          fail(where + ": dimension of label '" +
               (id < kEllipsisBase ? std::string(1, static_cast<char>(id)) : std::string("...")) +
               "' differs between operands");
        }
      }
    }
    std::vector<int> out_ids;
    if (explicit_) {
      for (int l : out_.labels) {
        if (l == -1) {
          for (int64_t e = 0; e < ell_rank; ++e) out_ids.push_back(kEllipsisBase + static_cast<int>(e));
        } else {
          if (!count.count(l)) fail(where + ": output label '" + std::string(1, static_cast<char>(l)) + "' is not in the inputs");
          if (std::count(out_ids.begin(), out_ids.end(), l)) fail(where + ": repeated output label");
          out_ids.push_back(l);
        }
      }
    } else {
      for (int64_t e = 0; e < ell_rank; ++e) out_ids.push_back(kEllipsisBase + static_cast<int>(e));
      for (const auto& [l, c] : count)
        if (c == 1) out_ids.push_back(l);
    }
    std::vector<int> all = out_ids;
    for (const auto& [l, s] : size)
      if (std::find(all.begin(), all.end(), l) == all.end()) all.push_back(l);
    Shape out_shape;
    for (int id : out_ids) out_shape.push_back(size[id]);
    // Strides of every input along every label (0 where absent or broadcast).
    const size_t L = all.size(), n_in = terms_.size();
    std::vector<int64_t> dims(L), strides(n_in * L, 0);
    for (size_t k = 0; k < L; ++k) dims[k] = size[all[k]];
    for (size_t i = 0; i < n_in; ++i) {
      const Shape& sh = ctx.input(static_cast<int>(i)).shape();
      int64_t st = 1;
      for (size_t d = ids[i].size(); d-- > 0;) {
        const size_t k = static_cast<size_t>(std::find(all.begin(), all.end(), ids[i][d]) - all.begin());
        if (sh[d] != 1) strides[i * L + k] += st;
        st *= sh[d];
      }
    }
    const DType dt = ctx.input(0).dtype();
    Tensor& y = ctx.alloc_output(0, dt, out_shape);
    bool ok = dispatch_numeric(dt, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        fail_unsupported(where + ": input type bool is not supported");
      } else {
        run<T>(ctx, y, dims, strides, out_ids.size());
      }
    });
    if (!ok) fail_unsupported(where + ": input type " + dtype_name(dt) + " is not supported");
  }

 private:
  template <typename T>
  static void run(KernelContext& ctx, Tensor& y, const std::vector<int64_t>& dims, const std::vector<int64_t>& strides,
                  size_t n_out) {
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;  // integers wrap
    const size_t L = dims.size(), n_in = strides.size() / (L ? L : 1);
    std::vector<const T*> in(n_in);
    for (size_t i = 0; i < n_in; ++i) in[i] = ctx.input(static_cast<int>(i)).data<T>();
    int64_t inner = 1;
    for (size_t k = n_out; k < L; ++k) inner *= dims[k];
    T* py = y.data<T>();
    nn_parallel_for(ctx, y.numel(), inner * static_cast<int64_t>(n_in), [&](int64_t o0, int64_t o1) {
      std::vector<int64_t> idx(L), off(n_in);
      for (int64_t o = o0; o < o1; ++o) {
        std::fill(off.begin(), off.end(), 0);
        int64_t rem = o;
        for (size_t k = n_out; k-- > 0;) {
          const int64_t v = rem % dims[k];
          rem /= dims[k];
          for (size_t i = 0; i < n_in; ++i) off[i] += v * strides[i * L + k];
        }
        for (size_t k = n_out; k < L; ++k) idx[k] = 0;
        Acc acc = 0;
        for (int64_t s = 0; s < inner; ++s) {
          Acc prod = 1;
          for (size_t i = 0; i < n_in; ++i) prod = static_cast<Acc>(prod * static_cast<Acc>(in[i][off[i]]));
          acc = static_cast<Acc>(acc + prod);
          for (size_t k = L; k-- > n_out;) {
            for (size_t i = 0; i < n_in; ++i) off[i] += strides[i * L + k];
            if (++idx[k] < dims[k]) break;
            for (size_t i = 0; i < n_in; ++i) off[i] -= strides[i * L + k] * dims[k];
            idx[k] = 0;
          }
        }
        py[o] = static_cast<T>(acc);
      }
    });
  }

  std::vector<Term> terms_;
  Term out_;
  bool explicit_ = false;
};

}  // namespace

void register_Einsum(KernelRegistry& r) {
  r.add({"", "Einsum", 12, kOpsetMax, numeric_types(), factory_of<EinsumKernel>()});
}

}  // namespace edge::rt
