"""C++ source of the one-pass CPU kernels (compiled on first use, cached on disk).

Each kernel reads and writes every buffer once per step. The operation order and the float
rounding mirror torch's CPU ops (scalars rounded to the tensor dtype, one FMA exactly where
torch's kernels contract a multiply-add), so Rprop is bit-identical to ``torch.optim``; RMSprop
is too when given torch's own sqrt routine (``sqrt_fn``), otherwise within one sqrt ulp.
Options are template parameters so that every loop the compiler vectorizes is branch-free.
"""

CPU_KERNEL_SOURCE = r"""
#include <cstdint>
#include <cmath>

namespace {

enum WeightDecay { WD_NONE = 0, WD_COUPLED = 1, WD_DECOUPLED = 2 };
enum Momentum { MOM_NONE = 0, MOM_TORCH = 1, MOM_LR_INSIDE = 2 };

// One element's update, split at the square root so a vectorized external sqrt (VML) can be
// applied to a whole cache block in between. torch's CPU ops contract a*b+c into one FMA
// (addcmul, add with alpha, lerp): mirrored with std::fma, so rounding matches.
template <typename T, int WD, bool CENTERED, bool EPS_IN_SQRT>
inline T rms_before_sqrt(T* __restrict w, const T* __restrict g, T* __restrict v,
                         T* __restrict ga, int64_t i, T sgn, T lr, T alpha, T one_m_alpha,
                         T eps, T wd, bool lerp_low, T& gi_out) {
  T wi = w[i];
  T gi = g[i] * sgn;
  if (WD == WD_COUPLED) gi = std::fma(wi, wd, gi);
  if (WD == WD_DECOUPLED) w[i] = wi - (wi * wd) * lr;
  T vi = std::fma(one_m_alpha * gi, gi, v[i] * alpha);
  v[i] = vi;
  T d = vi;
  if (CENTERED) {
    T gai = ga[i];
    T diff = gi - gai;
    gai = lerp_low ? std::fma(one_m_alpha, diff, gai) : std::fma(one_m_alpha - (T)1, diff, gi);
    ga[i] = gai;
    d = std::fma(-gai, gai, vi);
  }
  gi_out = gi;
  return EPS_IN_SQRT ? d + eps : d;
}

template <typename T, int MOM, bool EPS_IN_SQRT>
inline void rms_after_sqrt(T* __restrict w, T* __restrict b, int64_t i, T gi, T root, T lr,
                           T neg_lr, T eps, T mom) {
  T d = EPS_IN_SQRT ? root : root + eps;
  T wi = w[i];
  if (MOM == MOM_TORCH) {
    T bi = b[i] * mom + gi / d;
    b[i] = bi;
    wi = std::fma(bi, neg_lr, wi);
  } else if (MOM == MOM_LR_INSIDE) {
    T bi = b[i] * mom + (gi / d) * lr;
    b[i] = bi;
    wi = wi - bi;
  } else {
    wi = wi + (neg_lr * gi) / d;
  }
  w[i] = wi;
}

template <typename T>
using SqrtFn = void (*)(int, const T*, T*);

constexpr int64_t kBlock = 1024;  // elements per cache block of the VML path (L1-resident)
// Work is handed out in chunks, dynamically: on shared vCPUs a thread that loses its core
// delays one chunk, not a static half of the buffer that the other thread then waits for.
constexpr int64_t kChunk = 1 << 16;

template <typename T, int WD, bool CENTERED, int MOM, bool EPS_IN_SQRT>
void rmsprop_loop(T* __restrict w, const T* __restrict g, T* __restrict v, T* __restrict ga,
                  T* __restrict b, int64_t n, T sgn, T lr, T neg_lr, T alpha, T one_m_alpha,
                  T eps, T wd, T mom, SqrtFn<T> vsqrt, int nthreads) {
  const bool lerp_low = std::fabs(one_m_alpha) < (T)0.5;
  if (vsqrt == nullptr) {
    // IEEE sqrt: one fused loop, each element read and written once.
    const int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1) if (nthreads > 1)
    for (int64_t c = 0; c < nchunks; ++c) {
      const int64_t end = (c + 1) * kChunk < n ? (c + 1) * kChunk : n;
      for (int64_t i = c * kChunk; i < end; ++i) {
        T gi;
        T d = rms_before_sqrt<T, WD, CENTERED, EPS_IN_SQRT>(w, g, v, ga, i, sgn, lr, alpha,
                                                           one_m_alpha, eps, wd, lerp_low, gi);
        rms_after_sqrt<T, MOM, EPS_IN_SQRT>(w, b, i, gi, std::sqrt(d), lr, neg_lr, eps, mom);
      }
    }
    return;
  }
  // torch's own sqrt (MKL VML) on L1-sized blocks: still one pass over main memory.
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, kChunk / kBlock) if (nthreads > 1)
  for (int64_t blk = 0; blk < nblocks; ++blk) {
    T tmp[kBlock];
    T gs[kBlock];
    const int64_t lo = blk * kBlock;
    const int64_t m = (n - lo) < kBlock ? (n - lo) : kBlock;
    for (int64_t j = 0; j < m; ++j)
      tmp[j] = rms_before_sqrt<T, WD, CENTERED, EPS_IN_SQRT>(w, g, v, ga, lo + j, sgn, lr, alpha,
                                                             one_m_alpha, eps, wd, lerp_low, gs[j]);
    vsqrt((int)m, tmp, tmp);
    for (int64_t j = 0; j < m; ++j)
      rms_after_sqrt<T, MOM, EPS_IN_SQRT>(w, b, lo + j, gs[j], tmp[j], lr, neg_lr, eps, mom);
  }
}

template <typename T, bool WD>
void rprop_loop(T* __restrict w, const T* __restrict g, T* __restrict prev,
                T* __restrict step_size, int64_t n, T sgn, T etaminus, T etaplus, T lo, T hi,
                T wd, int nthreads) {
  const int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1) if (nthreads > 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t end = (c + 1) * kChunk < n ? (c + 1) * kChunk : n;
    for (int64_t i = c * kChunk; i < end; ++i) {
      T wi = w[i];
      T gi = g[i] * sgn;
      if (WD) gi = std::fma(wi, wd, gi);
      T pr = gi * prev[i];
      // sign(g*prev) mapped to the factor; NaN stays NaN as in torch.
      T f = pr > 0 ? etaplus : (pr < 0 ? etaminus : (pr == 0 ? (T)1 : pr));
      T s = step_size[i] * f;
      s = s < lo ? lo : s;
      s = s > hi ? hi : s;
      step_size[i] = s;
      T gz = (f == etaminus) ? (T)0 : gi;
      T sg = gz > 0 ? (T)1 : (gz < 0 ? (T)-1 : (gz == 0 ? (T)0 : gz));
      w[i] = wi + ((T)-1 * sg) * s;
      prev[i] = gz;
    }
  }
}

template <typename T, int WD, bool C, int M>
void rms_eps(bool eps_in_sqrt, T* w, const T* g, T* v, T* ga, T* b, int64_t n, T sgn, T lr,
             T nlr, T a, T oma, T eps, T wd, T mom, SqrtFn<T> sq, int nt) {
  if (eps_in_sqrt) rmsprop_loop<T, WD, C, M, true>(w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
  else rmsprop_loop<T, WD, C, M, false>(w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
}

template <typename T, int WD, bool C>
void rms_mom(int m, bool e, T* w, const T* g, T* v, T* ga, T* b, int64_t n, T sgn, T lr, T nlr,
             T a, T oma, T eps, T wd, T mom, SqrtFn<T> sq, int nt) {
  if (m == MOM_TORCH) rms_eps<T, WD, C, MOM_TORCH>(e, w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
  else if (m == MOM_LR_INSIDE) rms_eps<T, WD, C, MOM_LR_INSIDE>(e, w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
  else rms_eps<T, WD, C, MOM_NONE>(e, w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
}

template <typename T, int WD>
void rms_centered(bool c, int m, bool e, T* w, const T* g, T* v, T* ga, T* b, int64_t n, T sgn,
                  T lr, T nlr, T a, T oma, T eps, T wd, T mom, SqrtFn<T> sq, int nt) {
  if (c) rms_mom<T, WD, true>(m, e, w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
  else rms_mom<T, WD, false>(m, e, w, g, v, ga, b, n, sgn, lr, nlr, a, oma, eps, wd, mom, sq, nt);
}

template <typename T>
void rmsprop_dispatch(T* w, const T* g, T* v, T* ga, T* b, int64_t n, double lr, double alpha,
                      double eps, double wd, double mom, int wd_mode, int centered, int mom_mode,
                      int eps_in_sqrt, int maximize, void* sqrt_fn, int nt) {
  SqrtFn<T> sq = reinterpret_cast<SqrtFn<T>>(sqrt_fn);
  // Scalars are rounded to T once, as torch's CPU kernels do with their Scalar arguments.
  T sgn = maximize ? (T)-1 : (T)1;
  T args[] = {(T)lr, (T)(-lr), (T)alpha, (T)(1.0 - alpha), (T)eps, (T)wd, (T)mom};
  bool c = centered != 0, e = eps_in_sqrt != 0;
  if (wd_mode == WD_COUPLED)
    rms_centered<T, WD_COUPLED>(c, mom_mode, e, w, g, v, ga, b, n, sgn, args[0], args[1], args[2], args[3], args[4], args[5], args[6], sq, nt);
  else if (wd_mode == WD_DECOUPLED)
    rms_centered<T, WD_DECOUPLED>(c, mom_mode, e, w, g, v, ga, b, n, sgn, args[0], args[1], args[2], args[3], args[4], args[5], args[6], sq, nt);
  else
    rms_centered<T, WD_NONE>(c, mom_mode, e, w, g, v, ga, b, n, sgn, args[0], args[1], args[2], args[3], args[4], args[5], args[6], sq, nt);
}

template <typename T>
void rprop_dispatch(T* w, const T* g, T* prev, T* ss, int64_t n, double etaminus, double etaplus,
                    double lo, double hi, double wd, int maximize, int nt) {
  T sgn = maximize ? (T)-1 : (T)1;
  if (wd != 0.0)
    rprop_loop<T, true>(w, g, prev, ss, n, sgn, (T)etaminus, (T)etaplus, (T)lo, (T)hi, (T)wd, nt);
  else
    rprop_loop<T, false>(w, g, prev, ss, n, sgn, (T)etaminus, (T)etaplus, (T)lo, (T)hi, (T)0, nt);
}

}  // namespace

extern "C" {

int optbridge_kernel_abi_version() { return 4; }

void rmsprop_f32(float* w, const float* g, float* v, float* ga, float* b, int64_t n, double lr,
                 double alpha, double eps, double wd, double mom, int wd_mode, int centered,
                 int mom_mode, int eps_in_sqrt, int maximize, void* sqrt_fn, int nt) {
  rmsprop_dispatch<float>(w, g, v, ga, b, n, lr, alpha, eps, wd, mom, wd_mode, centered, mom_mode, eps_in_sqrt, maximize, sqrt_fn, nt);
}

void rmsprop_f64(double* w, const double* g, double* v, double* ga, double* b, int64_t n,
                 double lr, double alpha, double eps, double wd, double mom, int wd_mode,
                 int centered, int mom_mode, int eps_in_sqrt, int maximize, void* sqrt_fn, int nt) {
  rmsprop_dispatch<double>(w, g, v, ga, b, n, lr, alpha, eps, wd, mom, wd_mode, centered, mom_mode, eps_in_sqrt, maximize, sqrt_fn, nt);
}

void rprop_f32(float* w, const float* g, float* prev, float* ss, int64_t n, double etaminus,
               double etaplus, double lo, double hi, double wd, int maximize, int nt) {
  rprop_dispatch<float>(w, g, prev, ss, n, etaminus, etaplus, lo, hi, wd, maximize, nt);
}

void rprop_f64(double* w, const double* g, double* prev, double* ss, int64_t n, double etaminus,
               double etaplus, double lo, double hi, double wd, int maximize, int nt) {
  rprop_dispatch<double>(w, g, prev, ss, n, etaminus, etaplus, lo, hi, wd, maximize, nt);
}

}  // extern "C"
"""
