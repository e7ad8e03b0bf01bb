// FunctionRef: a non-owning reference to a callable, for parallel_for bodies. Unlike
// std::function it never allocates (a lambda with many captures would make std::function
// heap-allocate on every call), so kernels can hand lambdas to the thread pool on every run.
// The referenced callable must outlive the call it is passed to.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace edge::rt {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> && std::is_invocable_r_v<R, F&, Args...>)
  FunctionRef(F&& f) noexcept  // NOLINT: implicit, like std::function
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

// The body of a parallel_for: fn(begin, end) over a sub-range.
using RangeFn = FunctionRef<void(int64_t, int64_t)>;

}  // namespace edge::rt
