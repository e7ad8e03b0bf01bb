/* robot_loop: load a model once, then run it at a fixed rate on synthetic sensor frames,
 * as a robot's control loop would, through the C API (edge_run.h).
 *
 *   robot_loop MODEL.onnx [HZ=100] [ITERATIONS=500] [THREADS=1]
 *
 * Every buffer is allocated before the loop (input frame, caller-owned output, latency
 * log); inside it only the frame is rewritten and edge_run_run() called. Prints latency
 * p50/p99/max, jitter (p99 - p50) and deadline misses (an iteration whose inference ended
 * after its slot ended, late wake-ups included). Exit 0, 1 when the loop allocated on the heap (test builds count it),
 * 2 on bad usage or a runtime error (edge_run_exit_code). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_run.h"
#include "loop_stats.h"

static int die(const char* what, edge_run_status st) {
  fprintf(stderr, "robot_loop: %s: %s\n", what, edge_run_last_error());
  return edge_run_exit_code(st);
}

/* A synthetic sensor frame: a moving wave in [0, 1). */
static void fill_frame(float* x, size_t n, int step) {
  size_t i;
  for (i = 0; i < n; ++i) x[i] = 0.5f + 0.49f * sinf(0.05f * (float)step + 0.01f * (float)i);
}

int main(int argc, char** argv) {
  edge_run_options opts;
  edge_run_session* s = NULL;
  edge_run_value_info in_info;
  edge_run_tensor in, out;
  edge_run_status st;
  int64_t shape[8];
  size_t n_in = 0, n_out = 0, numel = 1, i;
  double hz, period_us, t0, *lat, wake_late = 0;
  int iters, k, misses = 0, rc;
  long allocs0 = 0;
  float *x, *y;
  if (argc < 2 || argc > 5) {
    fprintf(stderr, "usage: robot_loop MODEL.onnx [HZ=100] [ITERATIONS=500] [THREADS=1]\n");
    return 2;
  }
  hz = argc > 2 ? atof(argv[2]) : 100.0;
  iters = argc > 3 ? atoi(argv[3]) : 500;
  edge_run_options_init(&opts);
  opts.threads = argc > 4 ? atoi(argv[4]) : 1;
  if (hz <= 0 || iters < 1) {
    fprintf(stderr, "robot_loop: HZ and ITERATIONS must be positive\n");
    return 2;
  }
  period_us = 1e6 / hz;
  if ((st = edge_run_session_create_from_file(argv[1], &opts, &s)) != EDGE_RUN_OK) return die(argv[1], st);
  edge_run_input_count(s, &n_in);
  edge_run_output_count(s, &n_out);
  if ((st = edge_run_input_info(s, 0, &in_info)) != EDGE_RUN_OK) return die("input 0", st);
  if (n_in != 1 || n_out != 1 || in_info.dtype != EDGE_RUN_FLOAT || in_info.rank > 8) {
    fprintf(stderr, "robot_loop: expects one float input (rank <= 8) and one output\n");
    return 2;
  }
  for (i = 0; i < in_info.rank; ++i) {
    shape[i] = in_info.shape[i] < 0 ? 1 : in_info.shape[i]; /* dynamic dims (batch) = 1 */
    numel *= (size_t)shape[i];
  }
  x = (float*)malloc(numel * sizeof(float));
  lat = (double*)malloc((size_t)iters * sizeof(double));
  memset(&in, 0, sizeof in);
  in.dtype = EDGE_RUN_FLOAT;
  in.rank = in_info.rank;
  in.shape = shape;
  in.data = x;
  in.nbytes = numel * sizeof(float);
  /* Warm-up: the first runs plan the memory arena; a runtime-owned output tells its size. */
  fill_frame(x, numel, 0);
  memset(&out, 0, sizeof out);
  if ((st = edge_run_run(s, &in, 1, &out, 1)) != EDGE_RUN_OK) return die("warm-up run", st);
  y = (float*)malloc(out.nbytes);
  out.data = y;
  for (k = 0; k < 3; ++k) {
    if ((st = edge_run_run(s, &in, 1, &out, 1)) != EDGE_RUN_OK) return die("warm-up run", st);
  }

  if (robot_loop_heap_allocations) allocs0 = robot_loop_heap_allocations();
  t0 = loop_now_us() + period_us;
  for (k = 0; k < iters; ++k) {
    double slot = t0 + k * period_us, start, end;
    loop_sleep_until_us(slot);
    start = loop_now_us();
    if (start - slot > wake_late) wake_late = start - slot;
    fill_frame(x, numel, k);
    if ((st = edge_run_run(s, &in, 1, &out, 1)) != EDGE_RUN_OK) return die("run", st);
    end = loop_now_us();
    lat[k] = end - start;
    if (end > slot + period_us) ++misses;
  }
  rc = loop_report("robot_loop (C API)", lat, iters, misses, wake_late, period_us,
                   robot_loop_heap_allocations ? robot_loop_heap_allocations() - allocs0 : -1);
  printf("last output[0] = %g\n", (double)y[0]);
  edge_run_session_destroy(s);
  free(x);
  free(y);
  free(lat);
  return rc;
}
