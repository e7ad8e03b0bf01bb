/* consumer MNIST_DIR: runs MNIST_DIR/model.onnx through the installed C API on
 * test_data_set_0 and compares with its output (exit 0 when within 1e-4 of the largest
 * reference value, 1 otherwise). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edge_run.h>

#include "onnx_tensor_pb.h"

int main(int argc, char** argv) {
  char path[4096];
  pb_tensor in, ref;
  edge_run_session* s = NULL;
  edge_run_tensor feed, out;
  float* y;
  size_t i;
  float max_diff = 0, max_abs = 0;
  if (argc != 2) return 2;
  snprintf(path, sizeof path, "%s/model.onnx", argv[1]);
  if (edge_run_session_create_from_file(path, NULL, &s) != EDGE_RUN_OK) {
    fprintf(stderr, "consumer: %s\n", edge_run_last_error());
    return 1;
  }
  snprintf(path, sizeof path, "%s/test_data_set_0/input_0.pb", argv[1]);
  if (pb_read_float_tensor(path, &in)) return 1;
  snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", argv[1]);
  if (pb_read_float_tensor(path, &ref)) return 1;
  feed.name = NULL;
  feed.dtype = EDGE_RUN_FLOAT;
  feed.rank = in.rank;
  feed.shape = in.dims;
  feed.data = in.data;
  feed.nbytes = in.numel * sizeof(float);
  y = (float*)calloc(ref.numel, sizeof(float));
  memset(&out, 0, sizeof out);
  out.data = y;
  out.nbytes = ref.numel * sizeof(float);
  if (edge_run_run(s, &feed, 1, &out, 1) != EDGE_RUN_OK) {
    fprintf(stderr, "consumer: %s\n", edge_run_last_error());
    return 1;
  }
  for (i = 0; i < ref.numel; ++i) {
    float d = fabsf(y[i] - ref.data[i]);
    if (d > max_diff) max_diff = d;
    if (fabsf(ref.data[i]) > max_abs) max_abs = fabsf(ref.data[i]);
  }
  printf("edge-run %s: %s max |diff| vs test_data_set_0 = %g\n", edge_run_version(), out.name, max_diff);
  edge_run_session_destroy(s);
  return max_diff <= 1e-4f * (max_abs > 1 ? max_abs : 1) ? 0 : 1;
}
