/*
 * The C reference for the CPU benchmark: one LARS step as two passes over
 * ResNet-50-like layers, the same math as the WebAssembly kernels:
 *   pass 1: per-layer Σw², Σg², accumulated in double (vectorized with
 *           `omp simd` reductions, which need -fopenmp-simd, not -ffast-math);
 *   rule:   timm-style trust ratio per layer, into the 7 coefficients;
 *   pass 2: d = gs·g + wd·w; b = mu·buf + a·d; w -= step·(cb·b + cd·d), with
 *           u = b when cb = 1 and cd = 0, the shortcut the WASM and JS
 *           backends take for plain momentum.
 * The order of the passes is a choice: `per-layer` (the default) runs pass 1
 * and pass 2 of each layer back to back, so pass 2 finds the layer in cache;
 * `two-pass` runs pass 1 over every layer first, as lars-ts must (it checks
 * every norm for NaN/Inf, and may clip globally, before changing anything).
 * `norms` and `update` time one pass alone (pass 2 with the norms of the
 * first step), to see where a two-pass step spends its time.
 * Usage: larsStep f32|f64 runs warmup size1,size2,... [per-layer|two-pass|norms|update]
 * Prints one JSON line: {"times":[ms, ...]} for the timed steps.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint32_t rng = 12345;
static double next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return (rng / 4294967296.0 - 0.5) * 2;
}

/* Σw², Σg² of one layer, accumulated in double. */
#define DEFINE_NORMS(T, NAME)                                                             \
  static void NAME(const T *wl, const T *gl, long n, double *ww_out, double *gg_out) {    \
    double ww = 0, gg = 0;                                                                \
    _Pragma("omp simd reduction(+ : ww, gg)") for (long i = 0; i < n; i++) {              \
      ww += (double)wl[i] * wl[i];                                                        \
      gg += (double)gl[i] * gl[i];                                                        \
    }                                                                                     \
    *ww_out = ww;                                                                         \
    *gg_out = gg;                                                                         \
  }

/* The timm-style coefficients of one layer from its norms, then its fused update. */
#define DEFINE_UPDATE(T, NAME)                                                            \
  static void NAME(T *wm, const T *gl, T *bl, long n, double ww, double gg, int first) {  \
    const double lr = 0.1, wd = 1e-4, mu = 0.9, eta = 1e-3;                               \
    const double wn = sqrt(ww), gn = sqrt(gg);                                            \
    const double ratio = wn > 0 && gn > 0 ? eta * wn / (gn + wd * wn) : 1.0;             \
    const T gs = (T)ratio, wdc = (T)(wd * ratio), m = (T)(first ? 0.0 : mu);              \
    const T a = 1, cb = 1, cd = 0, step = (T)lr;                                          \
    if (cb == 1 && cd == 0) { /* plain momentum: u = b, as the WASM and JS backends */    \
      for (long i = 0; i < n; i++) {                                                      \
        const T wi = wm[i];                                                               \
        const T b = m * bl[i] + a * (gs * gl[i] + wdc * wi);                              \
        bl[i] = b;                                                                        \
        wm[i] = wi - step * b;                                                            \
      }                                                                                   \
    } else {                                                                              \
      for (long i = 0; i < n; i++) {                                                      \
        const T wi = wm[i];                                                               \
        const T d = gs * gl[i] + wdc * wi;                                                \
        const T b = m * bl[i] + a * d;                                                    \
        bl[i] = b;                                                                        \
        wm[i] = wi - step * (cb * b + cd * d);                                            \
      }                                                                                   \
    }                                                                                     \
  }

/* One step. per_layer: norms then update of each layer while it is in cache;
 * else all norms first, then all updates (the order lars-ts must keep).
 * Mode NORMS_ONLY / UPDATE_ONLY: just that pass (the update with the norms in ww, gg). */
enum { PER_LAYER, TWO_PASS, NORMS_ONLY, UPDATE_ONLY };
#define DEFINE_STEP(T, NAME, NORMS, UPDATE)                                               \
  static void NAME(T *w, const T *g, T *buf, const long *start, int layers, int first,    \
                   int mode, double *ww, double *gg) {                                    \
    const int per_layer = mode == PER_LAYER;                                              \
    for (int l = 0; l < layers && mode != UPDATE_ONLY; l++) {                             \
      const long s = start[l], n = start[l + 1] - s;                                      \
      NORMS(w + s, g + s, n, &ww[l], &gg[l]);                                             \
      if (per_layer) UPDATE(w + s, g + s, buf + s, n, ww[l], gg[l], first);               \
    }                                                                                     \
    if (mode == TWO_PASS || mode == UPDATE_ONLY)                                          \
      for (int l = 0; l < layers; l++) {                                                  \
        const long s = start[l], n = start[l + 1] - s;                                    \
        UPDATE(w + s, g + s, buf + s, n, ww[l], gg[l], first);                            \
      }                                                                                   \
  }

DEFINE_NORMS(float, norms_f32)
DEFINE_NORMS(double, norms_f64)
DEFINE_UPDATE(float, update_f32)
DEFINE_UPDATE(double, update_f64)
DEFINE_STEP(float, step_f32, norms_f32, update_f32)
DEFINE_STEP(double, step_f64, norms_f64, update_f64)

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s f32|f64 runs warmup size1,size2,... [per-layer|two-pass|norms|update]\n", argv[0]);
    return 2;
  }
  const char *order = argc < 6 ? "per-layer" : argv[5];
  const int mode = strcmp(order, "two-pass") == 0 ? TWO_PASS
                   : strcmp(order, "norms") == 0  ? NORMS_ONLY
                   : strcmp(order, "update") == 0 ? UPDATE_ONLY
                                                  : PER_LAYER;
  const int f32 = strcmp(argv[1], "f32") == 0;
  const int runs = atoi(argv[2]), warmup = atoi(argv[3]);
  int layers = 1;
  for (const char *p = argv[4]; *p; p++) layers += *p == ',';
  long *start = malloc(sizeof(long) * (layers + 1));
  double *ww = malloc(sizeof(double) * layers), *gg = malloc(sizeof(double) * layers);
  start[0] = 0;
  char *text = argv[4];
  for (int l = 0; l < layers; l++) {
    start[l + 1] = start[l] + strtol(text, &text, 10);
    if (*text == ',') text++;
  }
  const long n = start[layers];
  const size_t size = f32 ? sizeof(float) : sizeof(double);
  void *w = aligned_alloc(64, (n * size + 63) / 64 * 64);
  void *g = aligned_alloc(64, (n * size + 63) / 64 * 64);
  void *buf = aligned_alloc(64, (n * size + 63) / 64 * 64);
  for (long i = 0; i < n; i++) {
    if (f32) {
      ((float *)w)[i] = (float)next_random();
      ((float *)g)[i] = (float)(0.01 * next_random());
      ((float *)buf)[i] = 0;
    } else {
      ((double *)w)[i] = next_random();
      ((double *)g)[i] = 0.01 * next_random();
      ((double *)buf)[i] = 0;
    }
  }
  printf("{\"times\":[");
  for (int r = 0; r < warmup + runs; r++) {
    /* The update-only mode takes its norms from one untimed norm pass first. */
    if (r == 0 && mode == UPDATE_ONLY) {
      if (f32) step_f32(w, g, buf, start, layers, 1, NORMS_ONLY, ww, gg);
      else step_f64(w, g, buf, start, layers, 1, NORMS_ONLY, ww, gg);
    }
    const double t0 = now_ms();
    if (f32) step_f32(w, g, buf, start, layers, r == 0, mode, ww, gg);
    else step_f64(w, g, buf, start, layers, r == 0, mode, ww, gg);
    const double t = now_ms() - t0;
    if (r >= warmup) printf("%s%.4f", r > warmup ? "," : "", t);
  }
  /* A checksum so the compiler cannot drop the work. */
  double sum = 0;
  for (long i = 0; i < n; i += 4096) sum += f32 ? ((float *)w)[i] : ((double *)w)[i];
  printf("],\"checksum\":%.17g}\n", sum);
  return 0;
}
