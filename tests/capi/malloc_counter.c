/* Counts heap allocations of the whole process for the robot-loop tests: replaces malloc,
 * calloc, realloc and the aligned allocators (glibc: forwarding to __libc_*), which also
 * covers C++ operator new. robot_loop_heap_allocations() is what loop_stats.h asks for. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

static long g_allocs = 0;

long robot_loop_heap_allocations(void) { return __atomic_load_n(&g_allocs, __ATOMIC_RELAXED); }

static void count(void) { __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED); }

void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
  count();
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
void* aligned_alloc(size_t a, size_t n) {
  count();
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  void* p;
  count();
  p = __libc_memalign(a, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
