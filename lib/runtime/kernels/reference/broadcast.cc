#include "runtime/kernels/reference/broadcast.h"

#include <algorithm>

namespace edge::rt {

namespace {
Shape broadcast_all(const Shape* begin, const Shape* end, const std::string& where) {
  size_t rank = 0;
  for (const Shape* p = begin; p != end; ++p) rank = std::max(rank, p->size());
  Shape out(rank, 1);
  for (const Shape* p = begin; p != end; ++p) {
    const Shape& s = *p;
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t d = s[i];
      int64_t& o = out[off + i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      std::string list;
      for (const Shape* x = begin; x != end; ++x) list += (list.empty() ? "" : ", ") + shape_str(*x);
      fail(where + ": shapes " + list + " cannot be broadcast together");
    }
  }
  return out;
}

}  // namespace

Shape broadcast_shapes(std::initializer_list<Shape> shapes, const std::string& where) {
  return broadcast_all(shapes.begin(), shapes.end(), where);
}

Shape broadcast_shapes(const std::vector<Shape>& shapes, const std::string& where) {
  return broadcast_all(shapes.data(), shapes.data() + shapes.size(), where);
}

Shape broadcast_strides(const Shape& in, const Shape& out) {
  Shape st(out.size(), 0);
  size_t off = out.size() - in.size();
  int64_t stride = 1;
  for (size_t i = in.size(); i-- > 0;) {
    st[off + i] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return st;
}

}  // namespace edge::rt
