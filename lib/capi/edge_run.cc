// The C API (edge_run.h) over edge::rt::Session. Every entry point catches
// everything: no exception crosses extern "C"; failures become a status plus a
// message kept per thread and per session. Sessions are tracked in a registry
// so that a destroyed handle is refused instead of dereferenced.
#include "capi/edge_run.h"

#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <unordered_set>
#include <vector>

#include "ir/model.h"
#include "ir/tensor.h"
#include "runtime/session.h"

struct edge_run_session {
  std::unique_ptr<edge::rt::Session> session;
  std::vector<edge_run_value_info> input_info, output_info;
  std::vector<std::vector<int64_t>> input_shapes, output_shapes;
  edge::rt::NamedTensors feeds;    // session-owned input tensors, reused while shapes hold
  edge::rt::NamedTensors results;  // run_into's outputs, reused between runs
  std::string last_error;
  std::mutex mu;  // one run at a time; guards feeds, results and last_error
};

namespace {

// A C caller may store any int in an edge_run_dtype; reading it as the C++ enum type is
// undefined for values outside the enum's range, so its bytes are read as an int32.
int32_t raw_dtype(const edge_run_dtype &d) {
  static_assert(sizeof(edge_run_dtype) == sizeof(int32_t), "edge_run_dtype is int-sized");
  int32_t v;
  std::memcpy(&v, &d, sizeof v);
  return v;
}

thread_local std::string t_last_error;

std::mutex &registry_mutex() {
  static std::mutex mu;
  return mu;
}
std::unordered_set<const edge_run_session *> &registry() {
  static std::unordered_set<const edge_run_session *> live;
  return live;
}
bool is_live(const edge_run_session *s) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  return registry().count(s) != 0;
}

edge_run_status to_status(edge::ErrorCode c) {
  switch (c) {
    case edge::ErrorCode::kOk:
      return EDGE_RUN_OK;
    case edge::ErrorCode::kInvalidInput:
      return EDGE_RUN_INVALID_INPUT;
    case edge::ErrorCode::kUnsupported:
      return EDGE_RUN_UNSUPPORTED;
    case edge::ErrorCode::kResourceLimit:
      return EDGE_RUN_RESOURCE_LIMIT;
    case edge::ErrorCode::kInternal:
      return EDGE_RUN_INTERNAL;
  }
  return EDGE_RUN_INTERNAL;
}

// Records `msg` for this thread (and the session when given); never throws.
edge_run_status record(edge_run_session *s, edge_run_status st, const char *msg) noexcept {
  try {
    t_last_error = msg;
    if (s) s->last_error = msg;
  } catch (...) {
    // Out of memory while keeping the message: the status still says what
    // happened.
  }
  return st;
}

// Runs `f` (which returns edge_run_status), turning every exception into a
// status.
template <typename F>
edge_run_status guarded(edge_run_session *s, F &&f) noexcept {
  try {
    edge_run_status st = f();
    if (st == EDGE_RUN_OK) t_last_error.clear();
    return st;
  } catch (const edge::Error &e) {
    return record(s, to_status(e.code()), e.what());
  } catch (const std::bad_alloc &) {
    return record(s, EDGE_RUN_RESOURCE_LIMIT, "out of memory");
  } catch (const std::exception &e) {
    return record(s, EDGE_RUN_INTERNAL, e.what());
  } catch (...) {
    return record(s, EDGE_RUN_INTERNAL, "unknown internal error");
  }
}

edge_run_status fail(edge_run_session *s, edge_run_status st, const std::string &msg) {
  return record(s, st, msg.c_str());
}

void describe_values(const std::vector<edge::rt::ValueDesc> &descs, std::vector<std::vector<int64_t>> &shapes,
                     std::vector<edge_run_value_info> &infos) {
  shapes.resize(descs.size());
  infos.resize(descs.size());
  for (size_t i = 0; i < descs.size(); ++i) {
    shapes[i].assign(descs[i].shape.begin(), descs[i].shape.end());
    infos[i].name = descs[i].name.c_str();
    infos[i].dtype = static_cast<edge_run_dtype>(static_cast<int32_t>(descs[i].dtype));
    infos[i].rank = descs[i].has_shape ? shapes[i].size() : 0;
    infos[i].shape = shapes[i].data();
  }
}

edge_run_status finish_create(edge::Model model, const edge_run_options *options, edge_run_session **out) {
  edge::rt::SessionOptions so;
  if (options) {
    if (options->threads < 1 || options->threads > 1024) {
      return fail(nullptr, EDGE_RUN_INVALID_INPUT,
                  "edge_run options: threads must be in 1..1024, got " + std::to_string(options->threads));
    }
    so.threads = options->threads;
  }
  auto s = std::make_unique<edge_run_session>();
  s->session = edge::rt::Session::create(std::move(model), so);
  describe_values(s->session->inputs(), s->input_shapes, s->input_info);
  describe_values(s->session->outputs(), s->output_shapes, s->output_info);
  for (const auto &d : s->session->inputs()) s->feeds.emplace_back(d.name, edge::Tensor());
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    registry().insert(s.get());
  }
  *out = s.release();
  return EDGE_RUN_OK;
}

edge_run_status check_create_args(const edge_run_options *options, edge_run_session **out) {
  if (!out) return fail(nullptr, EDGE_RUN_INVALID_INPUT, "edge_run_session_create: session out-pointer is NULL");
  *out = nullptr;
  if (options && options->max_tensor_bytes) edge::set_max_tensor_bytes(options->max_tensor_bytes);
  return EDGE_RUN_OK;
}

// The live session behind a handle, or a failure status in `st`.
edge_run_session *checked(const edge_run_session *s, const char *fn, edge_run_status *st) {
  if (!s) {
    *st = fail(nullptr, EDGE_RUN_INVALID_INPUT, std::string(fn) + ": session is NULL");
    return nullptr;
  }
  if (!is_live(s)) {
    *st = fail(nullptr, EDGE_RUN_INVALID_INPUT,
               std::string(fn) +
                   ": session is not live (destroyed, or not "
                   "from edge_run_session_create)");
    return nullptr;
  }
  *st = EDGE_RUN_OK;
  return const_cast<edge_run_session *>(s);
}

edge_run_status value_count(const edge_run_session *h, bool inputs, size_t *count, const char *fn) {
  return guarded(nullptr, [&] {
    edge_run_status st;
    edge_run_session *s = checked(h, fn, &st);
    if (!s) return st;
    std::lock_guard<std::mutex> lock(s->mu);
    if (!count) return fail(s, EDGE_RUN_INVALID_INPUT, std::string(fn) + ": count is NULL");
    *count = inputs ? s->input_info.size() : s->output_info.size();
    return EDGE_RUN_OK;
  });
}

edge_run_status value_info(const edge_run_session *h, bool inputs, size_t index, edge_run_value_info *info,
                           const char *fn) {
  return guarded(nullptr, [&] {
    edge_run_status st;
    edge_run_session *s = checked(h, fn, &st);
    if (!s) return st;
    std::lock_guard<std::mutex> lock(s->mu);
    if (!info) return fail(s, EDGE_RUN_INVALID_INPUT, std::string(fn) + ": info is NULL");
    const auto &all = inputs ? s->input_info : s->output_info;
    if (index >= all.size()) {
      return fail(s, EDGE_RUN_INVALID_INPUT,
                  std::string(fn) + ": index " + std::to_string(index) + " out of range (model has " +
                      std::to_string(all.size()) + ")");
    }
    *info = all[index];
    return EDGE_RUN_OK;
  });
}

// Copies caller input `in` into the session-owned feed tensor at `slot`
// (reallocated only when dtype or shape change).
edge_run_status stage_input(edge_run_session *s, const edge_run_tensor &in, size_t position) {
  size_t slot = position;
  const auto &descs = s->session->inputs();
  if (in.name) {
    slot = descs.size();
    for (size_t i = 0; i < descs.size(); ++i) {
      if (descs[i].name == in.name) slot = i;
    }
    if (slot == descs.size()) {
      return fail(s, EDGE_RUN_INVALID_INPUT, std::string("edge_run_run: model has no input named '") + in.name + "'");
    }
  } else if (slot >= descs.size()) {
    return fail(s, EDGE_RUN_INVALID_INPUT, "edge_run_run: more unnamed inputs than the model has");
  }
  const std::string &name = descs[slot].name;
  if (!in.data) return fail(s, EDGE_RUN_INVALID_INPUT, "edge_run_run: input '" + name + "' has NULL data");
  if (in.rank > 0 && !in.shape)
    return fail(s, EDGE_RUN_INVALID_INPUT, "edge_run_run: input '" + name + "' has NULL shape");
  if (in.rank > 64) return fail(s, EDGE_RUN_INVALID_INPUT, "edge_run_run: input '" + name + "' rank above 64");
  auto dtype = static_cast<edge::DType>(raw_dtype(in.dtype));
  if (edge::dtype_size(dtype) == 0 || !edge::dtype_supported(dtype)) {
    return fail(s, EDGE_RUN_INVALID_INPUT,
                "edge_run_run: input '" + name + "' has unknown dtype " + std::to_string(raw_dtype(in.dtype)));
  }
  edge::Shape shape(in.shape, in.shape + in.rank);
  for (int64_t d : shape) {
    if (d < 0) return fail(s, EDGE_RUN_INVALID_INPUT, "edge_run_run: input '" + name + "' has a negative dim");
  }
  size_t need = edge::Tensor::checked_nbytes(dtype, shape);
  if (in.nbytes != need) {
    return fail(s, EDGE_RUN_INVALID_INPUT,
                "edge_run_run: input '" + name + "' is " + std::to_string(in.nbytes) + " bytes, " +
                    edge::dtype_name(dtype) + "[" + edge::shape_str(shape) + "] needs " + std::to_string(need));
  }
  edge::Tensor &t = s->feeds[slot].second;
  if (t.dtype() != dtype || t.shape() != shape) t = edge::Tensor(dtype, shape);
  if (need) std::memcpy(t.raw(), in.data, need);
  return EDGE_RUN_OK;
}

}  // namespace

extern "C" {

const char *edge_run_version(void) { return "0.1.0"; }

int edge_run_exit_code(edge_run_status status) {
  switch (status) {
    case EDGE_RUN_OK:
      return 0;
    case EDGE_RUN_INTERNAL:
      return 3;
    default:
      return 2;
  }
}

const char *edge_run_status_name(edge_run_status status) {
  switch (status) {
    case EDGE_RUN_OK:
      return "ok";
    case EDGE_RUN_INVALID_INPUT:
      return "invalid input";
    case EDGE_RUN_INTERNAL:
      return "internal error";
    case EDGE_RUN_UNSUPPORTED:
      return "unsupported";
    case EDGE_RUN_RESOURCE_LIMIT:
      return "resource limit";
  }
  return "unknown status";
}

const char *edge_run_last_error(void) { return t_last_error.c_str(); }

size_t edge_run_dtype_size(edge_run_dtype dtype) {
  auto d = static_cast<edge::DType>(raw_dtype(dtype));
  return d == edge::DType::kString || d == edge::DType::kUndefined ? 0 : edge::dtype_size(d);
}

void edge_run_options_init(edge_run_options *options) {
  if (!options) return;
  options->threads = 1;
  options->max_tensor_bytes = 0;
}

edge_run_status edge_run_session_create_from_file(const char *path, const edge_run_options *options,
                                                  edge_run_session **session) {
  return guarded(nullptr, [&] {
    edge_run_status st = check_create_args(options, session);
    if (st != EDGE_RUN_OK) return st;
    if (!path) return fail(nullptr, EDGE_RUN_INVALID_INPUT, "edge_run_session_create_from_file: path is NULL");
    return finish_create(edge::load_model(path), options, session);
  });
}

edge_run_status edge_run_session_create_from_memory(const void *data, size_t size, const edge_run_options *options,
                                                    edge_run_session **session) {
  return guarded(nullptr, [&] {
    edge_run_status st = check_create_args(options, session);
    if (st != EDGE_RUN_OK) return st;
    if (!data || size == 0) {
      return fail(nullptr, EDGE_RUN_INVALID_INPUT, "edge_run_session_create_from_memory: data is NULL or empty");
    }
    std::string bytes(static_cast<const char *>(data), size);
    return finish_create(edge::load_model_from_bytes(bytes, "<memory>"), options, session);
  });
}

void edge_run_session_destroy(edge_run_session *session) {
  if (!session) return;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    if (registry().erase(session) == 0) return;  // destroyed twice, or never ours
  }
  delete session;
}

const char *edge_run_session_last_error(const edge_run_session *session) {
  if (!session || !is_live(session)) return "session is NULL or not live";
  return session->last_error.c_str();
}

edge_run_status edge_run_input_count(const edge_run_session *session, size_t *count) {
  return value_count(session, true, count, "edge_run_input_count");
}
edge_run_status edge_run_output_count(const edge_run_session *session, size_t *count) {
  return value_count(session, false, count, "edge_run_output_count");
}
edge_run_status edge_run_input_info(const edge_run_session *session, size_t index, edge_run_value_info *info) {
  return value_info(session, true, index, info, "edge_run_input_info");
}
edge_run_status edge_run_output_info(const edge_run_session *session, size_t index, edge_run_value_info *info) {
  return value_info(session, false, index, info, "edge_run_output_info");
}

edge_run_status edge_run_run(edge_run_session *handle, const edge_run_tensor *inputs, size_t n_inputs,
                             edge_run_tensor *outputs, size_t n_outputs) {
  edge_run_status st;
  edge_run_session *s = nullptr;
  st = guarded(nullptr, [&] {
    edge_run_status c;
    s = checked(handle, "edge_run_run", &c);
    return c;
  });
  if (!s) return st;
  std::lock_guard<std::mutex> lock(s->mu);
  return guarded(s, [&] {
    const size_t n_in = s->input_info.size(), n_out = s->output_info.size();
    if (n_inputs != n_in) {
      return fail(s, EDGE_RUN_INVALID_INPUT,
                  "edge_run_run: " + std::to_string(n_inputs) + " inputs given, the model has " + std::to_string(n_in));
    }
    if (n_outputs != n_out) {
      return fail(
          s, EDGE_RUN_INVALID_INPUT,
          "edge_run_run: " + std::to_string(n_outputs) + " outputs given, the model has " + std::to_string(n_out));
    }
    if ((n_in && !inputs) || (n_out && !outputs)) {
      return fail(s, EDGE_RUN_INVALID_INPUT, "edge_run_run: inputs or outputs array is NULL");
    }
    for (size_t i = 0; i < n_in; ++i) {
      edge_run_status c = stage_input(s, inputs[i], i);
      if (c != EDGE_RUN_OK) return c;
    }
    s->session->run_into(s->feeds, s->results);
    for (size_t i = 0; i < n_out; ++i) {
      const edge::Tensor &t = s->results[i].second;
      edge_run_tensor &o = outputs[i];
      if (o.data && o.nbytes < t.nbytes()) {
        return fail(s, EDGE_RUN_INVALID_INPUT,
                    "edge_run_run: output '" + s->results[i].first + "' needs " + std::to_string(t.nbytes()) +
                        " bytes, the buffer holds " + std::to_string(o.nbytes));
      }
    }
    for (size_t i = 0; i < n_out; ++i) {
      const edge::Tensor &t = s->results[i].second;
      edge_run_tensor &o = outputs[i];
      if (o.data) {
        if (t.nbytes()) std::memcpy(o.data, t.raw(), t.nbytes());
      } else {
        o.data = const_cast<void *>(t.raw());
      }
      o.name = s->results[i].first.c_str();
      o.nbytes = t.nbytes();
      o.dtype = static_cast<edge_run_dtype>(static_cast<int32_t>(t.dtype()));
      o.rank = t.shape().size();
      o.shape = t.shape().data();
    }
    return EDGE_RUN_OK;
  });
}

}  // extern "C"
