/* examples/aot/train.c: trains seed_mlp from a library compiled ahead of time, with
   no minigrad, LLVM or C++ at run time, and writes a PyTorch-readable checkpoint.

     minigradc compile seed_mlp --data data/mnist10k -o out
     cc -std=c11 -I out examples/aot/train.c out/libseed_mlp.a -lm -o train
     mkdir digits && for f in train_data train_label test_data test_label; do
       gunzip -c data/mnist10k/$f.npy.gz > digits/$f.npy; done
     ./train digits out/seed_mlp.prep 3 0 model.safetensors

   Rows are taken in order (minigradc train --no-shuffle), every batch, the last
   partial one included (n_rows < SEED_MLP_BATCH runs the same step); the checkpoint equals minigradc's tensor for tensor, bit for bit (tests/e2e/aot.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_mlp.h"

/* The projection below must add each product, rounded to double, to its sum: no fused
   multiply-add (clang honours the standard pragma; GCC, which ignores it, the
   optimize pragma). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static void die(const char* what, const char* detail) {
  fprintf(stderr, "train: %s: %s\n", what, detail);
  exit(1);
}

/* A .npy file of uint8 (the bundled digits): its values, and its shape's rows and columns. */
static uint8_t* read_npy_u8(const char* path, int64_t* rows, int64_t* cols) {
  FILE* f = fopen(path, "rb");
  unsigned char head[10];
  if (!f || fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) != 0) die(path, "not a .npy file");
  size_t len = head[8] | (size_t)head[9] << 8; /* format 1.0 */
  char* dict = calloc(len + 1, 1);
  if (head[6] != 1 || fread(dict, 1, len, f) != len) die(path, "not a version 1 .npy header");
  const char* shape = strstr(dict, "'shape': (");
  if (!strstr(dict, "'descr': '|u1'") || !shape) die(path, "expected uint8 data with a shape");
  char* end;
  *rows = strtoll(shape + 10, &end, 10);
  *cols = *end == ',' && end[1] == ' ' && end[2] != ')' ? strtoll(end + 2, NULL, 10) : 1;
  size_t n = (size_t)(*rows * *cols);
  uint8_t* data = malloc(n);
  if (!data || fread(data, 1, n, f) != n) die(path, "truncated");
  free(dict);
  fclose(f);
  return data;
}

static uint8_t* read_split(const char* dir, const char* name, int64_t* rows, int64_t* cols) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.npy", dir, name);
  return read_npy_u8(path, rows, cols);
}

/* The preprocessing file (layout in seed_mlp.h) applied to n raw rows, in minigradc's
   order (runtime/preprocess.cpp): the PCA projection sums (x[k] - mean[k]) * w[k][j]
   over k = 0..F-1 in order in double and rounds the sum to float; the scaler then
   computes (double(v) - offset) / divisor and rounds to float. */
static float* preprocess(const char* path, const uint8_t* raw, int64_t n, int64_t in_cols) {
  FILE* f = fopen(path, "rb");
  char magic[8];
  int64_t h[4]; /* in_features, out_features, pca, scale */
  if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "MGPREP1\n", 8) != 0 || fread(h, 8, 4, f) != 4) die(path, "not a preprocessing file");
  if (h[0] != in_cols || h[1] != SEED_MLP_FEATURES) die(path, "fitted for another data shape");
  int64_t fi = h[0], fo = h[1], k = h[2];
  double *mean = malloc(8 * fi), *w = malloc(8 * fi * (k ? k : 1)), *off = malloc(8 * fo), *div = malloc(8 * fo);
  if ((k && (fread(mean, 8, fi, f) != (size_t)fi || fread(w, 8, fi * k, f) != (size_t)(fi * k))) ||
      (h[3] && (fread(off, 8, fo, f) != (size_t)fo || fread(div, 8, fo, f) != (size_t)fo)))
    die(path, "truncated");
  float* out = malloc(sizeof(float) * n * fo);
  double* v = calloc(fo, sizeof(double));
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < fo; ++j) v[j] = k ? 0.0 : (double)raw[r * fi + j];
    for (int64_t i = 0; k && i < fi; ++i) { /* sum over i in order, one sum per j */
      double c = (double)raw[r * fi + i] - mean[i];
      for (int64_t j = 0; j < k; ++j) v[j] += c * w[i * k + j];
    }
    for (int64_t j = 0; j < fo; ++j) {
      double x = (double)(float)v[j];
      out[r * fo + j] = h[3] ? (float)((x - off[j]) / div[j]) : (float)x;
    }
  }
  free(v);
  free(mean), free(w), free(off), free(div), fclose(f);
  return out;
}

/* The state_dict tensors as safetensors: I32 as I64, Linear weights as [out, in]. */
static void save(const char* path, const unsigned char* state) {
  char json[1 << 16];
  size_t at = 0, offset = 0;
  at += snprintf(json + at, sizeof json - at, "{\"__metadata__\":{\"format\":\"pt\"}");
  for (int t = 0; t < SEED_MLP_TENSOR_COUNT; ++t) {
    const seed_mlp_tensor* s = &seed_mlp_tensors[t];
    if (!s->in_state_dict) continue;
    size_t bytes = s->dtype == SEED_MLP_I32 ? s->bytes * 2 : s->bytes;
    const char* dt = s->dtype == SEED_MLP_F32 ? "F32" : s->dtype == SEED_MLP_F64 ? "F64" : "I64";
    at += snprintf(json + at, sizeof json - at, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", s->name, dt);
    for (int d = 0; d < s->rank; ++d)
      at += snprintf(json + at, sizeof json - at, "%s%lld", d ? "," : "", (long long)s->shape[s->transposed ? 1 - d : d]);
    at += snprintf(json + at, sizeof json - at, "],\"data_offsets\":[%zu,%zu]}", offset, offset + bytes);
    offset += bytes;
  }
  at += snprintf(json + at, sizeof json - at, "}");
  while (at % 8) json[at++] = ' ';
  FILE* f = fopen(path, "wb");
  uint64_t len = at;
  if (!f || fwrite(&len, 8, 1, f) != 1 || fwrite(json, 1, at, f) != at) die(path, "cannot write");
  for (int t = 0; t < SEED_MLP_TENSOR_COUNT; ++t) {
    const seed_mlp_tensor* s = &seed_mlp_tensors[t];
    if (!s->in_state_dict) continue;
    const unsigned char* p = state + s->offset;
    int64_t n = s->dtype == SEED_MLP_F64 ? s->bytes / 8 : s->bytes / 4;
    for (int64_t k = 0; k < n; ++k) {
      int64_t src = k; /* file element k: [out, in] of a stored [in, out] */
      if (s->transposed) src = (k % s->shape[0]) * s->shape[1] + k / s->shape[0];
      if (s->dtype == SEED_MLP_I32) {
        int64_t v = ((const int32_t*)p)[src];
        fwrite(&v, 8, 1, f);
      } else {
        fwrite(p + src * (s->dtype == SEED_MLP_F64 ? 8 : 4), s->dtype == SEED_MLP_F64 ? 8 : 4, 1, f);
      }
    }
  }
  if (fclose(f) != 0) die(path, "cannot write");
}

int main(int argc, char** argv) {
  if (argc != 6) die("usage", "train DATA_DIR PREP_FILE EPOCHS SEED CHECKPOINT");
  int64_t n, cols, nl, one, tn, tl;
  uint8_t* raw = read_split(argv[1], "train_data", &n, &cols);
  uint8_t* labels8 = read_split(argv[1], "train_label", &nl, &one);
  uint8_t* test_raw = read_split(argv[1], "test_data", &tn, &cols);
  uint8_t* test_labels8 = read_split(argv[1], "test_label", &tl, &one);
  if (nl != n || tl != tn) die(argv[1], "as many labels as rows are needed");
  float* x = preprocess(argv[2], raw, n, cols);
  float* test_x = preprocess(argv[2], test_raw, tn, cols);
  int32_t* labels = malloc(sizeof(int32_t) * n);
  for (int64_t i = 0; i < n; ++i) labels[i] = labels8[i];
  void* state = aligned_alloc(SEED_MLP_ALIGN, SEED_MLP_STATE_BYTES);
  void* arena = aligned_alloc(SEED_MLP_ALIGN, SEED_MLP_ARENA_BYTES);
  float* logits = malloc(sizeof(float) * SEED_MLP_BATCH * SEED_MLP_CLASSES);
  if (!state || !arena || seed_mlp_init(state, strtoull(argv[4], NULL, 10)) != SEED_MLP_OK) die("init", "failed");
  int epochs = atoi(argv[3]);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double loss = 0;
    int64_t correct = 0, batches = 0;
    /* Every batch, in order; the last may have fewer rows, and the same step serves it. */
    for (int64_t start = 0; start < n; start += SEED_MLP_BATCH, ++batches) {
      int64_t rows = n - start < SEED_MLP_BATCH ? n - start : SEED_MLP_BATCH;
      seed_mlp_metrics m;
      int32_t rc = seed_mlp_train_step(state, arena, x + start * SEED_MLP_FEATURES, labels + start, rows, &m);
      if (rc != SEED_MLP_OK) die("train_step", rc == SEED_MLP_ERR_CHECK ? "a check failed" : "bad arguments");
      loss += m.loss, correct += m.correct;
    }
    /* Test accuracy: predict in batches, the last one partial. */
    int64_t right = 0;
    for (int64_t start = 0; start < tn; start += SEED_MLP_BATCH) {
      int64_t rows = tn - start < SEED_MLP_BATCH ? tn - start : SEED_MLP_BATCH;
      if (seed_mlp_predict(state, arena, test_x + start * SEED_MLP_FEATURES, rows, logits) != SEED_MLP_OK)
        die("predict", "failed");
      for (int64_t r = 0; r < rows; ++r) {
        int best = 0;
        for (int c = 1; c < SEED_MLP_CLASSES; ++c)
          if (logits[r * SEED_MLP_CLASSES + c] > logits[r * SEED_MLP_CLASSES + best]) best = c;
        right += best == test_labels8[start + r];
      }
    }
    printf("epoch %d: train loss %.4f accuracy %.4f, test accuracy %.4f\n", epoch, loss / batches,
           (double)correct / (double)n, (double)right / (double)tn);
  }
  save(argv[5], state);
  free(raw), free(labels8), free(test_raw), free(test_labels8), free(x), free(test_x), free(labels);
  free(state), free(arena), free(logits);
  return 0;
}
