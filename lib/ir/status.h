// Error model shared by every library: an error carries a code and one
// human-readable line naming the file, node and op involved. Library code
// throws `edge::Error` internally; public entry points convert it into
// `Status` / `Expected<T>` so that applications decide how to report it.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace edge {

enum class ErrorCode {
  kOk = 0,
  kInvalidInput = 2,    // bad model, bad data, bad usage: exit code 2
  kUnsupported = 4,     // valid ONNX we cannot run (op, opset, dtype): exit 2
  kResourceLimit = 5,   // a tensor or allocation above the configured cap: exit 2
  kInternal = 3,        // a bug on our side: exit 3
};

// Maps an error code to the process exit code used by the apps.
inline int exit_code_for(ErrorCode c) {
  switch (c) {
    case ErrorCode::kOk: return 0;
    case ErrorCode::kInternal: return 3;
    default: return 2;
  }
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(const std::string& msg) { throw Error(ErrorCode::kInvalidInput, msg); }
[[noreturn]] inline void fail_unsupported(const std::string& msg) {
  throw Error(ErrorCode::kUnsupported, msg);
}
[[noreturn]] inline void fail_internal(const std::string& msg) {
  throw Error(ErrorCode::kInternal, msg);
}

#define EDGE_CHECK(cond, msg)             \
  do {                                    \
    if (!(cond)) ::edge::fail(msg);       \
  } while (0)

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string msg) : code_(code), msg_(std::move(msg)) {}
  static Status ok() { return {}; }
  static Status from(const Error& e) { return {e.code(), e.what()}; }
  bool is_ok() const { return code_ == ErrorCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return msg_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string msg_;
};

template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Status s) : v_(std::move(s)) {}     // NOLINT
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Status& status() const { return std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

// Runs `f`, converting a thrown edge::Error (or std::exception) into a Status.
template <typename F>
auto capture(F&& f) -> Expected<decltype(f())> {
  try {
    return f();
  } catch (const Error& e) {
    return Status::from(e);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kResourceLimit, "out of memory");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, std::string("internal error: ") + e.what());
  }
}

template <typename F>
Status capture_status(F&& f) {
  try {
    f();
    return Status::ok();
  } catch (const Error& e) {
    return Status::from(e);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kResourceLimit, "out of memory");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, std::string("internal error: ") + e.what());
  }
}

}  // namespace edge
