/* A minimal reader for a float onnx.TensorProto file (test_data_set_N/input_0.pb and the like), in C99 for the
 * C API tests and the out-of-tree consumer: dims (field 1), data_type (2), float_data (4)
 * and raw_data (9); other fields are skipped. Returns 0 on success. */
#ifndef EDGE_TESTS_ONNX_TENSOR_PB_H_
#define EDGE_TESTS_ONNX_TENSOR_PB_H_

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pb_tensor {
  int64_t dims[8];
  size_t rank;
  int32_t data_type;
  float* data; /* malloc'd, numel floats */
  size_t numel;
} pb_tensor;

static int pb_varint(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  unsigned shift = 0;
  *v = 0;
  while (*p < end && shift < 64) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return 0;
    shift += 7;
  }
  return -1;
}

static int pb_read_float_tensor(const char* path, pb_tensor* t) {
  FILE* f = fopen(path, "rb");
  uint8_t* buf;
  long size;
  const uint8_t *p, *end;
  memset(t, 0, sizeof *t);
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (uint8_t*)malloc(size > 0 ? (size_t)size : 1);
  if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    fclose(f);
    free(buf);
    return -1;
  }
  fclose(f);
  p = buf;
  end = buf + size;
  while (p < end) {
    uint64_t key, v, len;
    int field, wire;
    if (pb_varint(&p, end, &key)) break;
    field = (int)(key >> 3);
    wire = (int)(key & 7);
    if (wire == 0) {
      if (pb_varint(&p, end, &v)) break;
      if (field == 1 && t->rank < 8) t->dims[t->rank++] = (int64_t)v;
      if (field == 2) t->data_type = (int32_t)v;
    } else if (wire == 2) {
      const uint8_t* q;
      if (pb_varint(&p, end, &len) || len > (uint64_t)(end - p)) break;
      q = p;
      p += len;
      if (field == 1) {
        while (q < p && t->rank < 8) {
          if (pb_varint(&q, p, &v)) break;
          t->dims[t->rank++] = (int64_t)v;
        }
      } else if (field == 9 || field == 4) {
        t->numel = (size_t)len / 4;
        free(t->data);
        t->data = (float*)malloc(len ? (size_t)len : 1);
        if (t->data) memcpy(t->data, q, (size_t)len);
      }
    } else if (wire == 1) {
      p += 8;
    } else if (wire == 5) {
      p += 4;
    } else {
      break;
    }
  }
  free(buf);
  return t->data && t->data_type == 1 ? 0 : -1;
}

#endif /* EDGE_TESTS_ONNX_TENSOR_PB_H_ */
