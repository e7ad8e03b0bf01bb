/* Unit tests of the C API (edge_run.h), compiled as C99.
 *
 *   edge_capi_test MODEL.onnx              bad-input checks and runs on any float model
 *   edge_capi_test --mnist MNIST_DIR       also: outputs vs test_data_set_0 (exit 77 +
 *                                          EDGE-SKIP when the folder is missing)
 * Exit 0 when every check passes, 1 otherwise (each failure printed as file:line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_run.h"
#include "onnx_tensor_pb.h"

static int g_failures = 0;
#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, #cond, \
              edge_run_last_error());                                                          \
      ++g_failures;                                                                            \
    }                                                                                          \
  } while (0)
#define CHECK_ERR(expr, status, text)                                         \
  do {                                                                        \
    edge_run_status st_ = (expr);                                             \
    CHECK(st_ == (status));                                                   \
    CHECK(strstr(edge_run_last_error(), (text)) != NULL);                     \
  } while (0)

static size_t numel_of(const edge_run_value_info* v) {
  size_t n = 1, i;
  for (i = 0; i < v->rank; ++i) n *= (size_t)(v->shape[i] < 0 ? 1 : v->shape[i]);
  return n;
}

static void test_basics(void) {
  edge_run_options o;
  CHECK(strcmp(edge_run_version(), "0.1.0") == 0);
  CHECK(edge_run_exit_code(EDGE_RUN_OK) == 0);
  CHECK(edge_run_exit_code(EDGE_RUN_INVALID_INPUT) == 2);
  CHECK(edge_run_exit_code(EDGE_RUN_UNSUPPORTED) == 2);
  CHECK(edge_run_exit_code(EDGE_RUN_RESOURCE_LIMIT) == 2);
  CHECK(edge_run_exit_code(EDGE_RUN_INTERNAL) == 3);
  CHECK(strcmp(edge_run_status_name(EDGE_RUN_UNSUPPORTED), "unsupported") == 0);
  CHECK(edge_run_dtype_size(EDGE_RUN_FLOAT) == 4 && edge_run_dtype_size(EDGE_RUN_INT64) == 8);
  CHECK(edge_run_dtype_size(EDGE_RUN_UNDEFINED) == 0);
  edge_run_options_init(NULL); /* ignored, no crash */
  edge_run_options_init(&o);
  CHECK(o.threads == 1 && o.max_tensor_bytes == 0);
}

static void test_bad_create(const char* model_path) {
  edge_run_session* s = (edge_run_session*)&g_failures; /* must be reset to NULL */
  edge_run_options o;
  static const char junk[] = "this is not an onnx model";
  CHECK_ERR(edge_run_session_create_from_file(model_path, NULL, NULL), EDGE_RUN_INVALID_INPUT, "NULL");
  CHECK_ERR(edge_run_session_create_from_file(NULL, NULL, &s), EDGE_RUN_INVALID_INPUT, "path is NULL");
  CHECK(s == NULL);
  CHECK_ERR(edge_run_session_create_from_file("/nonexistent/m.onnx", NULL, &s), EDGE_RUN_INVALID_INPUT,
            "/nonexistent/m.onnx: no such file");
  CHECK(s == NULL);
  CHECK_ERR(edge_run_session_create_from_memory(NULL, 10, NULL, &s), EDGE_RUN_INVALID_INPUT, "NULL or empty");
  CHECK_ERR(edge_run_session_create_from_memory(junk, 0, NULL, &s), EDGE_RUN_INVALID_INPUT, "NULL or empty");
  CHECK_ERR(edge_run_session_create_from_memory(junk, sizeof junk, NULL, &s), EDGE_RUN_INVALID_INPUT,
            "not a valid ONNX model");
  CHECK(s == NULL);
  edge_run_options_init(&o);
  o.threads = 0;
  CHECK_ERR(edge_run_session_create_from_file(model_path, &o, &s), EDGE_RUN_INVALID_INPUT, "threads");
  /* A tensor-size limit below the model's weights: a resource-limit error, not a crash. */
  edge_run_options_init(&o);
  o.max_tensor_bytes = 16;
  CHECK_ERR(edge_run_session_create_from_file(model_path, &o, &s), EDGE_RUN_RESOURCE_LIMIT, "");
  CHECK(s == NULL);
  o.max_tensor_bytes = (uint64_t)1 << 32; /* restore a generous cap for the other tests */
  CHECK(edge_run_session_create_from_file(model_path, &o, &s) == EDGE_RUN_OK);
  edge_run_session_destroy(s);
}

/* Runs `model_path` with bad arguments of every kind, then properly (both buffer modes). */
static void test_session(const char* model_path) {
  edge_run_session* s = NULL;
  edge_run_value_info in, out;
  edge_run_tensor feed, res, res2;
  size_t n_in = 0, n_out = 0, i, in_bytes, out_bytes;
  float *x, *y;
  if (edge_run_session_create_from_file(model_path, NULL, &s) != EDGE_RUN_OK) {
    CHECK(!"create failed");
    return;
  }
  CHECK(edge_run_input_count(s, &n_in) == EDGE_RUN_OK && n_in == 1);
  CHECK(edge_run_output_count(s, &n_out) == EDGE_RUN_OK && n_out >= 1);
  CHECK_ERR(edge_run_input_count(s, NULL), EDGE_RUN_INVALID_INPUT, "count is NULL");
  CHECK_ERR(edge_run_input_count(NULL, &n_in), EDGE_RUN_INVALID_INPUT, "session is NULL");
  CHECK_ERR(edge_run_input_info(s, 5, &in), EDGE_RUN_INVALID_INPUT, "out of range");
  CHECK_ERR(edge_run_output_info(s, 0, NULL), EDGE_RUN_INVALID_INPUT, "info is NULL");
  CHECK(strstr(edge_run_session_last_error(s), "info is NULL") != NULL);
  CHECK(edge_run_input_info(s, 0, &in) == EDGE_RUN_OK && in.dtype == EDGE_RUN_FLOAT && in.rank >= 1);
  CHECK(edge_run_output_info(s, 0, &out) == EDGE_RUN_OK && out.dtype == EDGE_RUN_FLOAT && out.name);
  in_bytes = numel_of(&in) * sizeof(float);
  out_bytes = numel_of(&out) * sizeof(float);
  x = (float*)malloc(in_bytes);
  y = (float*)malloc(out_bytes);
  for (i = 0; i < in_bytes / sizeof(float); ++i) x[i] = (float)(i % 7) / 7.0f;
  {
    int64_t shape[8];
    for (i = 0; i < in.rank; ++i) shape[i] = in.shape[i] < 0 ? 1 : in.shape[i];
    feed.name = in.name;
    feed.dtype = EDGE_RUN_FLOAT;
    feed.rank = in.rank;
    feed.shape = shape;
    feed.data = x;
    feed.nbytes = in_bytes;
    memset(&res, 0, sizeof res);
    res.data = y;
    res.nbytes = out_bytes;
    if (n_out == 1) {
      edge_run_tensor bad = feed;
      edge_run_tensor small = res;
      CHECK_ERR(edge_run_run(NULL, &feed, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "session is NULL");
      CHECK_ERR(edge_run_run(s, NULL, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "array is NULL");
      CHECK_ERR(edge_run_run(s, &feed, 1, NULL, 1), EDGE_RUN_INVALID_INPUT, "array is NULL");
      CHECK_ERR(edge_run_run(s, &feed, 0, &res, 1), EDGE_RUN_INVALID_INPUT, "0 inputs given");
      CHECK_ERR(edge_run_run(s, &feed, 1, &res, 2), EDGE_RUN_INVALID_INPUT, "2 outputs given");
      bad.nbytes = in_bytes - 4;
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "bytes");
      bad = feed;
      bad.dtype = EDGE_RUN_INT32; /* same element size, wrong type */
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "expected float32");
      bad.dtype = (edge_run_dtype)99;
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "unknown dtype 99");
      bad = feed;
      bad.data = NULL;
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "NULL data");
      bad = feed;
      bad.shape = NULL;
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "NULL shape");
      bad = feed;
      bad.name = "no_such_input";
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "no input named 'no_such_input'");
      bad = feed;
      bad.rank = in.rank + 1; /* wrong rank (nbytes still matches: extra dim 1) */
      shape[in.rank] = 1;
      CHECK_ERR(edge_run_run(s, &bad, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "expected float32");
      small.nbytes = out_bytes - 1;
      CHECK_ERR(edge_run_run(s, &feed, 1, &small, 1), EDGE_RUN_INVALID_INPUT, "the buffer holds");
      /* Caller-owned and runtime-owned outputs give the same numbers; unnamed input works. */
      CHECK(edge_run_run(s, &feed, 1, &res, 1) == EDGE_RUN_OK);
      CHECK(res.nbytes == out_bytes && res.data == y && res.dtype == EDGE_RUN_FLOAT);
      memset(&res2, 0, sizeof res2);
      feed.name = NULL;
      CHECK(edge_run_run(s, &feed, 1, &res2, 1) == EDGE_RUN_OK);
      CHECK(res2.data != NULL && res2.nbytes == out_bytes && res2.rank == res.rank);
      CHECK(res2.data && memcmp(res2.data, y, out_bytes) == 0);
      CHECK(edge_run_session_last_error(s)[0] != '\0'); /* the session keeps its last failure */
    }
  }
  edge_run_session_destroy(s);
  /* Used after destroy: refused by the registry, and destroying twice is a no-op. */
  CHECK_ERR(edge_run_input_count(s, &n_in), EDGE_RUN_INVALID_INPUT, "not live");
  CHECK_ERR(edge_run_run(s, &feed, 1, &res, 1), EDGE_RUN_INVALID_INPUT, "not live");
  edge_run_session_destroy(s);
  free(x);
  free(y);
}

/* mnist-8 from memory: output equals test_data_set_0 within 1e-4 (relative to the max). */
static int test_mnist(const char* dir) {
  char path[4096];
  pb_tensor in, ref;
  FILE* f;
  long size;
  char* bytes;
  edge_run_session* s = NULL;
  edge_run_tensor feed, res;
  size_t i;
  float max_abs = 0, max_diff = 0;
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  f = fopen(path, "rb");
  if (!f) {
    printf("EDGE-SKIP: %s not found (../shared missing)\n", path);
    return 77;
  }
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  bytes = (char*)malloc((size_t)size);
  CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  CHECK(edge_run_session_create_from_memory(bytes, (size_t)size, NULL, &s) == EDGE_RUN_OK);
  free(bytes); /* the session keeps its own copy */
  snprintf(path, sizeof path, "%s/test_data_set_0/input_0.pb", dir);
  CHECK(pb_read_float_tensor(path, &in) == 0);
  snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", dir);
  CHECK(pb_read_float_tensor(path, &ref) == 0);
  if (!s || !in.data || !ref.data) return 1;
  feed.name = NULL;
  feed.dtype = EDGE_RUN_FLOAT;
  feed.rank = in.rank;
  feed.shape = in.dims;
  feed.data = in.data;
  feed.nbytes = in.numel * sizeof(float);
  memset(&res, 0, sizeof res);
  CHECK(edge_run_run(s, &feed, 1, &res, 1) == EDGE_RUN_OK);
  CHECK(res.nbytes == ref.numel * sizeof(float));
  for (i = 0; res.data && i < ref.numel; ++i) {
    float d = fabsf(((const float*)res.data)[i] - ref.data[i]);
    if (d > max_diff) max_diff = d;
    if (fabsf(ref.data[i]) > max_abs) max_abs = fabsf(ref.data[i]);
  }
  printf("mnist-8 test_data_set_0: max |diff| %g (max |ref| %g)\n", max_diff, max_abs);
  CHECK(max_diff <= 1e-4f * (max_abs > 1 ? max_abs : 1));
  edge_run_session_destroy(s);
  free(in.data);
  free(ref.data);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "--mnist") == 0) {
    int rc = test_mnist(argv[2]);
    if (rc == 77) return 77;
  } else if (argc == 2) {
    test_basics();
    test_bad_create(argv[1]);
    test_session(argv[1]);
  } else {
    fprintf(stderr, "usage: edge_capi_test MODEL.onnx | --mnist MNIST_DIR\n");
    return 2;
  }
  if (g_failures) fprintf(stderr, "%d check(s) failed\n", g_failures);
  else printf("all C API checks passed\n");
  return g_failures ? 1 : 0;
}
