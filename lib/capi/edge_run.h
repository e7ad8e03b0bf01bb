/* edge_run.h: the C API of the edge-run inference runtime (C99, no exceptions cross it).
 *
 * Load a model once into a session, query its inputs and outputs, then run it many times.
 * Every function returns an edge_run_status; on failure it also records one line of text,
 * readable with edge_run_last_error() (this thread) and edge_run_session_last_error(). The
 * library never prints, never exits and never aborts on bad arguments: null pointers, wrong
 * buffer sizes, wrong dtypes and (where detectable) destroyed sessions are errors.
 *
 * Steady state: once a session has run with given input shapes, edge_run_run() with the same
 * shapes allocates nothing (inputs are copied into session-owned tensors, outputs are
 * written into caller buffers or left in session-owned ones).
 */
#ifndef EDGE_RUN_H_
#define EDGE_RUN_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define EDGE_RUN_API __attribute__((visibility("default")))
#else
#define EDGE_RUN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define EDGE_RUN_VERSION_MAJOR 0
#define EDGE_RUN_VERSION_MINOR 1
#define EDGE_RUN_VERSION_PATCH 0

/* Mirrors edge::ErrorCode; edge_run_exit_code() maps a status to the CLI's exit code. */
typedef enum edge_run_status {
  EDGE_RUN_OK = 0,
  EDGE_RUN_INVALID_INPUT = 2,  /* bad model, bad argument, bad buffer: CLI exit 2 */
  EDGE_RUN_INTERNAL = 3,       /* a bug on our side: CLI exit 3 */
  EDGE_RUN_UNSUPPORTED = 4,    /* valid ONNX the runtime cannot run: CLI exit 2 */
  EDGE_RUN_RESOURCE_LIMIT = 5  /* a tensor above the configured limit, out of memory: exit 2 */
} edge_run_status;

/* Element types, numbered as ONNX TensorProto.DataType. */
typedef enum edge_run_dtype {
  EDGE_RUN_UNDEFINED = 0,
  EDGE_RUN_FLOAT = 1,
  EDGE_RUN_UINT8 = 2,
  EDGE_RUN_INT8 = 3,
  EDGE_RUN_UINT16 = 4,
  EDGE_RUN_INT16 = 5,
  EDGE_RUN_INT32 = 6,
  EDGE_RUN_INT64 = 7,
  EDGE_RUN_BOOL = 9,
  EDGE_RUN_FLOAT16 = 10,
  EDGE_RUN_DOUBLE = 11,
  EDGE_RUN_UINT32 = 12,
  EDGE_RUN_UINT64 = 13
} edge_run_dtype;

typedef struct edge_run_session edge_run_session; /* opaque */

typedef struct edge_run_options {
  int threads;               /* intra-op threads; 1 = run on the caller (default) */
  uint64_t max_tensor_bytes; /* cap on one tensor's bytes, 0 = keep the current cap.
                                Process-wide: the last session created sets it. */
} edge_run_options;

/* A model input or output. Pointers stay valid until the session is destroyed.
 * Unknown (symbolic) dims are -1. */
typedef struct edge_run_value_info {
  const char* name;
  edge_run_dtype dtype;
  size_t rank;
  const int64_t* shape;
} edge_run_value_info;

/* A tensor passed to or returned from edge_run_run(). Inputs: all fields set by the caller
 * (name NULL = the model input at that position). Outputs: name is ignored (results come in
 * model order); with data != NULL the caller owns the buffer and nbytes is its capacity
 * (too small = EDGE_RUN_INVALID_INPUT); with data == NULL the runtime fills data, nbytes,
 * dtype, rank and shape with session-owned storage valid until the next run or destroy
 * (set data back to NULL before the next call: a non-NULL data is taken as a caller buffer). */
typedef struct edge_run_tensor {
  const char* name;
  edge_run_dtype dtype;
  size_t rank;
  const int64_t* shape;
  void* data;
  size_t nbytes;
} edge_run_tensor;

EDGE_RUN_API const char* edge_run_version(void); /* "0.1.0" */
EDGE_RUN_API int edge_run_exit_code(edge_run_status status);
EDGE_RUN_API const char* edge_run_status_name(edge_run_status status);
/* The message of this thread's last call if it failed ("" after a success); valid until the
 * next call on this thread. */
EDGE_RUN_API const char* edge_run_last_error(void);
EDGE_RUN_API size_t edge_run_dtype_size(edge_run_dtype dtype); /* 0 for unknown types */

EDGE_RUN_API void edge_run_options_init(edge_run_options* options);
/* options may be NULL (defaults). On failure *session is set to NULL. */
EDGE_RUN_API edge_run_status edge_run_session_create_from_file(const char* path,
                                                               const edge_run_options* options,
                                                               edge_run_session** session);
EDGE_RUN_API edge_run_status edge_run_session_create_from_memory(const void* data, size_t size,
                                                                 const edge_run_options* options,
                                                                 edge_run_session** session);
/* NULL and already destroyed sessions are ignored. */
EDGE_RUN_API void edge_run_session_destroy(edge_run_session* session);
/* The message of this session's last failed call ("" when none). */
EDGE_RUN_API const char* edge_run_session_last_error(const edge_run_session* session);

EDGE_RUN_API edge_run_status edge_run_input_count(const edge_run_session* session, size_t* count);
EDGE_RUN_API edge_run_status edge_run_output_count(const edge_run_session* session, size_t* count);
EDGE_RUN_API edge_run_status edge_run_input_info(const edge_run_session* session, size_t index,
                                                 edge_run_value_info* info);
EDGE_RUN_API edge_run_status edge_run_output_info(const edge_run_session* session, size_t index,
                                                  edge_run_value_info* info);

/* Runs the model: every model input must be given once; n_outputs must equal the model's
 * output count (outputs may be NULL when n_outputs is 0 only if the model has none). One run
 * at a time per session (concurrent calls are serialized). */
EDGE_RUN_API edge_run_status edge_run_run(edge_run_session* session, const edge_run_tensor* inputs,
                                          size_t n_inputs, edge_run_tensor* outputs,
                                          size_t n_outputs);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_RUN_H_ */
