/* Latency statistics shared by the C and C++ robot-loop examples (C99, header-only). */
#ifndef ROBOT_LOOP_STATS_H_
#define ROBOT_LOOP_STATS_H_

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Test builds link tests/capi/malloc_counter.c, which defines this (heap allocations so
 * far in the process); plain builds leave it NULL and report "not counted". */
#ifdef __cplusplus
extern "C" {
#endif
long robot_loop_heap_allocations(void) __attribute__((weak));
#ifdef __cplusplus
}
#endif

static double loop_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Sleeps until the absolute CLOCK_MONOTONIC time `t_us` (returns at once when past). */
static void loop_sleep_until_us(double t_us) {
  struct timespec ts;
  ts.tv_sec = (time_t)(t_us / 1e6);
  ts.tv_nsec = (long)((t_us - (double)ts.tv_sec * 1e6) * 1e3);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
  }
}

static int loop_cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* Prints latency p50/p99/max, jitter (p99 - p50), misses and the latest wake-up (how long
 * after its slot an iteration started: scheduler delay); sorts `lat_us` in place.
 * Returns 0 when the loop allocated nothing (or allocations were not counted). */
static int loop_report(const char* what, double* lat_us, int n, int misses, double max_wake_late_us,
                       double period_us, long allocs) {
  double p50, p99;
  qsort(lat_us, (size_t)n, sizeof *lat_us, loop_cmp_double);
  p50 = lat_us[(n - 1) / 2];
  p99 = lat_us[(int)((n - 1) * 0.99)];
  printf("%s: %d iterations at %.0f Hz: latency p50 %.1f us, p99 %.1f us, max %.1f us; "
         "jitter (p99-p50) %.1f us; deadline misses %d; latest wake-up %.1f us after its slot\n",
         what, n, 1e6 / period_us, p50, p99, lat_us[n - 1], p99 - p50, misses, max_wake_late_us);
  if (allocs < 0) {
    printf("heap allocations in the loop: not counted (build with malloc_counter.c)\n");
    return 0;
  }
  printf("heap allocations in the loop: %ld\n", allocs);
  return allocs == 0 ? 0 : 1;
}

#endif /* ROBOT_LOOP_STATS_H_ */
