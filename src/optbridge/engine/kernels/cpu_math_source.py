"""C++ source of the vectorized CPU update loops, compiled once per CPU capability.

``COMMON_HEADER`` declares what the loops and the binding (``cpu_source``) share. ``MATH_SOURCE``
is compiled once per CPU capability, as torch compiles its own CPU kernels (``DEFAULT``, and on
x86 ``AVX2`` and ``AVX512``), each with its instruction-set flags and ``CPU_CAPABILITY`` macros
so that ``at::vec::Vectorized`` maps to that width, each into its own library. The loader picks
the one torch itself runs with (``torch.backends.cpu.get_cpu_capability()``, which honours
``ATEN_CPU_CAPABILITY``).

Every option combination is one pass over memory: each vector of elements is loaded once from
the param, the grad and each buffer, updated in registers and stored once. Arithmetic mirrors
torch's CPU ops (scalars rounded to the compute type, the same operation order, one FMA exactly
where torch's kernels contract a multiply-add), so the results are those of the scalar
reference: float16 and bfloat16 are computed in float32 and rounded once on store (RMSprop), or
rounded where torch's per-op kernels store a result (Rprop).
"""

COMMON_HEADER = r"""
#pragma once
#include <cstdint>

namespace optbridge {

enum DType { F32 = 0, F64 = 1, F16 = 2, BF16 = 3, NUM_DTYPES = 4 };
enum WeightDecay { WD_NONE = 0, WD_COUPLED = 1, WD_DECOUPLED = 2 };
enum Momentum { MOM_NONE = 0, MOM_TORCH = 1, MOM_LR_INSIDE = 2 };
constexpr int kMaxBuffers = 3;

// One tensor's update: raw pointers valid while the binding holds their storage.
struct Item {
  void* w;
  const void* g;
  void* b[kMaxBuffers];
  void* step;
  bool step_double;
  int64_t n;
  int dtype;
};

struct RmsArgs {
  double lr, alpha, eps, wd, mom;
  int wd_mode, mom_mode;
  bool centered, eps_in_sqrt, maximize;
  void* sqrt_f32;  // torch's own (MKL VML) sqrt, or null for IEEE sqrt
  void* sqrt_f64;
};

struct RpropArgs {
  double etaminus, etaplus, lo, hi, wd;
  bool maximize;
};

// Updates elements [lo, hi) of one item; args is RmsArgs or RpropArgs.
using RangeFn = void (*)(const Item&, int64_t lo, int64_t hi, const void* args);

struct KernelTable {
  RangeFn rms[NUM_DTYPES][3][2][3];  // [dtype][weight decay][centered][momentum]
  RangeFn rprop[NUM_DTYPES][2];      // [dtype][weight decay]
};

}  // namespace optbridge
"""

MATH_SOURCE = r"""
#include "optbridge_kernels.h"
#include <ATen/cpu/vec/functional.h>
#include <ATen/cpu/vec/vec.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <cmath>
#include <limits>
#include <type_traits>

namespace optbridge {
inline namespace CPU_CAPABILITY {

using at::vec::Vectorized;
constexpr int64_t kBlock = 1024;  // elements per block of the VML sqrt path (L1-resident)

// torch's multiply-add: fused (one rounding) where its kernels are built with FMA (AVX2,
// AVX512), a*b+c in its DEFAULT build, as at::vec::fmadd is in each.
template <typename T>
inline Vectorized<T> fma(const Vectorized<T>& a, const Vectorized<T>& b, const Vectorized<T>& c) {
  return at::vec::fmadd(a, b, c);
}

// Storage type S <-> groups of compute vectors: float/double one vector of their own type;
// float16/bfloat16 one storage vector = two float vectors.
template <typename S> struct Io {
  using T = S;
  using V = Vectorized<S>;
  static constexpr int G = 1;
  static constexpr int64_t kStep = V::size();
  static void load(const S* p, int64_t c, V* out) { out[0] = V::loadu(p, c); }
  static void store(S* p, int64_t c, const V* in) { in[0].store(p, (int)c); }
  static void round(V*) {}
};
template <typename S> struct IoHalf {
  using T = float;
  using V = Vectorized<float>;
  using VS = Vectorized<S>;
  static constexpr int G = 2;
  static constexpr int64_t kStep = VS::size();
  static void load(const S* p, int64_t c, V* out) {
    auto both = at::vec::convert_to_float<S>(VS::loadu(p, c));
    out[0] = std::get<0>(both);
    out[1] = std::get<1>(both);
  }
  static void store(S* p, int64_t c, const V* in) {
    at::vec::convert_from_float<S>(in[0], in[1]).store(p, (int)c);
  }
  // Round to S and back, where torch's per-op kernels store an intermediate result.
  static void round(V* x) {
    auto both = at::vec::convert_to_float<S>(at::vec::convert_from_float<S>(x[0], x[1]));
    x[0] = std::get<0>(both);
    x[1] = std::get<1>(both);
  }
};
template <> struct Io<c10::Half> : IoHalf<c10::Half> {};
template <> struct Io<c10::BFloat16> : IoHalf<c10::BFloat16> {};

// Calls body(i, count) over [lo, hi) in steps of one storage vector, the tail with count < step.
template <typename S, typename Body>
inline void sweep(int64_t lo, int64_t hi, Body&& body) {
  constexpr int64_t step = Io<S>::kStep;
  int64_t i = lo;
  for (; i + step <= hi; i += step) body(i, step);
  if (i < hi) body(i, hi - i);
}

// ---------------------------------------------------------------------------------- RMSprop
template <typename T>
struct RmsK {
  Vectorized<T> sgn, lr, neg_lr, alpha, one_m_alpha, oma_m1, eps, wd, mom;
  bool lerp_low, eps_in_sqrt;
  explicit RmsK(const RmsArgs& a)
      : sgn((T)(a.maximize ? -1.0 : 1.0)), lr((T)a.lr), neg_lr((T)(-a.lr)), alpha((T)a.alpha),
        one_m_alpha((T)(1.0 - a.alpha)), oma_m1((T)(1.0 - a.alpha) - (T)1), eps((T)a.eps),
        wd((T)a.wd), mom((T)a.mom),
        lerp_low(std::fabs((T)(1.0 - a.alpha)) < (T)0.5), eps_in_sqrt(a.eps_in_sqrt) {}
};

// Up to the square root: updates v and ga in registers; returns the radicand and leaves the
// (signed, coupled-decayed) grad in gi. Decoupled decay is applied to w before (decay()).
template <typename S, bool COUPLED, bool C>
inline Vectorized<typename Io<S>::T> rms_before(const RmsK<typename Io<S>::T>& k,
                                                Vectorized<typename Io<S>::T>& w,
                                                const Vectorized<typename Io<S>::T>& g,
                                                Vectorized<typename Io<S>::T>& v,
                                                Vectorized<typename Io<S>::T>& ga,
                                                Vectorized<typename Io<S>::T>& gi) {
  gi = g * k.sgn;
  if constexpr (COUPLED) gi = fma(w, k.wd, gi);
  v = fma(k.one_m_alpha * gi, gi, v * k.alpha);
  auto d = v;
  if constexpr (C) {
    auto diff = gi - ga;
    ga = k.lerp_low ? fma(k.one_m_alpha, diff, ga) : fma(k.oma_m1, diff, gi);
    d = fma(ga.neg(), ga, v);
  }
  return k.eps_in_sqrt ? d + k.eps : d;
}

// Keras' decoupled decay, w - (w * wd) * lr, stored (rounded to S) before the update reads w.
template <typename S, int WD>
inline void decay(const RmsK<typename Io<S>::T>& k, Vectorized<typename Io<S>::T>* w) {
  if constexpr (WD == WD_DECOUPLED) {
    for (int j = 0; j < Io<S>::G; ++j) w[j] = w[j] - (w[j] * k.wd) * k.lr;
    Io<S>::round(w);
  }
}

template <typename S, int MOM>
inline void rms_after(const RmsK<typename Io<S>::T>& k, Vectorized<typename Io<S>::T>& w,
                      Vectorized<typename Io<S>::T>& b, const Vectorized<typename Io<S>::T>& gi,
                      const Vectorized<typename Io<S>::T>& root) {
  auto d = k.eps_in_sqrt ? root : root + k.eps;
  if constexpr (MOM == MOM_TORCH) {
    b = b * k.mom + gi / d;
    w = fma(b, k.neg_lr, w);
  } else if constexpr (MOM == MOM_LR_INSIDE) {
    b = b * k.mom + (gi / d) * k.lr;
    w = w - b;
  } else {
    w = w + (k.neg_lr * gi) / d;
  }
}

template <typename S, int WD, bool C, int MOM>
void rms_range(const Item& it, int64_t lo, int64_t hi, const void* raw) {
  using IO = Io<S>;
  using T = typename IO::T;
  using V = Vectorized<T>;
  constexpr int G = IO::G;
  const RmsArgs& a = *static_cast<const RmsArgs*>(raw);
  const RmsK<T> k(a);
  S* wp = static_cast<S*>(it.w);
  const S* gp = static_cast<const S*>(it.g);
  S* vp = static_cast<S*>(it.b[0]);
  S* gap = static_cast<S*>(it.b[1]);
  S* bp = static_cast<S*>(it.b[2]);
  using SqrtFn = void (*)(int, const T*, T*);
  const SqrtFn vsqrt =
      reinterpret_cast<SqrtFn>(std::is_same<T, double>::value ? a.sqrt_f64 : a.sqrt_f32);
  if (vsqrt == nullptr) {  // IEEE sqrt: the whole update in registers
    sweep<S>(lo, hi, [&](int64_t i, int64_t c) {
      V w[G], g[G], v[G], ga[G], b[G], gi;
      IO::load(wp + i, c, w);
      IO::load(gp + i, c, g);
      IO::load(vp + i, c, v);
      if constexpr (C) IO::load(gap + i, c, ga);
      if constexpr (MOM != MOM_NONE) IO::load(bp + i, c, b);
      decay<S, WD>(k, w);
      for (int j = 0; j < G; ++j) {
        V d = rms_before<S, WD == WD_COUPLED, C>(k, w[j], g[j], v[j], ga[j], gi);
        rms_after<S, MOM>(k, w[j], b[j], gi, d.sqrt());
      }
      IO::store(vp + i, c, v);
      if constexpr (C) IO::store(gap + i, c, ga);
      if constexpr (MOM != MOM_NONE) IO::store(bp + i, c, b);
      IO::store(wp + i, c, w);
    });
    return;
  }
  // torch's own sqrt (VML) on L1-sized blocks: radicands and grads of a block kept in
  // buffers, one call for the block, then the rest; still one pass over main memory.
  alignas(64) T rad[kBlock];
  alignas(64) T gs[kBlock];
  for (int64_t start = lo; start < hi; start += kBlock) {
    const int64_t end = hi - start < kBlock ? hi : start + kBlock;
    sweep<S>(start, end, [&](int64_t i, int64_t c) {
      V w[G], g[G], v[G], ga[G], gi;
      IO::load(wp + i, c, w);
      IO::load(gp + i, c, g);
      IO::load(vp + i, c, v);
      if constexpr (C) IO::load(gap + i, c, ga);
      decay<S, WD>(k, w);
      for (int j = 0; j < G; ++j) {
        const int64_t off = i - start + j * V::size();
        const int64_t cnt = c - j * V::size();
        if (cnt <= 0) break;
        V d = rms_before<S, WD == WD_COUPLED, C>(k, w[j], g[j], v[j], ga[j], gi);
        d.store(rad + off, (int)(cnt < V::size() ? cnt : V::size()));
        gi.store(gs + off, (int)(cnt < V::size() ? cnt : V::size()));
      }
      IO::store(vp + i, c, v);
      if constexpr (C) IO::store(gap + i, c, ga);
      if constexpr (WD == WD_DECOUPLED) IO::store(wp + i, c, w);
    });
    vsqrt((int)(end - start), rad, rad);
    sweep<S>(start, end, [&](int64_t i, int64_t c) {
      V w[G], b[G];
      IO::load(wp + i, c, w);
      if constexpr (MOM != MOM_NONE) IO::load(bp + i, c, b);
      for (int j = 0; j < G; ++j) {
        const int64_t off = i - start + j * V::size();
        const int64_t cnt = c - j * V::size();
        if (cnt <= 0) break;
        const int m = (int)(cnt < V::size() ? cnt : V::size());
        rms_after<S, MOM>(k, w[j], b[j], V::loadu(gs + off, m), V::loadu(rad + off, m));
      }
      if constexpr (MOM != MOM_NONE) IO::store(bp + i, c, b);
      IO::store(wp + i, c, w);
    });
  }
}

// ------------------------------------------------------------------------------------ Rprop
template <typename T>
inline Vectorized<T> sign_of(const Vectorized<T>& x) {  // torch's sign(): NaN -> 0
  const Vectorized<T> zero((T)0), one((T)1);
  return ((x > zero) & one) - ((x < zero) & one);
}

template <typename S, bool WD>
void rprop_range(const Item& it, int64_t lo, int64_t hi, const void* raw) {
  using IO = Io<S>;
  using T = typename IO::T;
  using V = Vectorized<T>;
  constexpr int G = IO::G;
  const RpropArgs& a = *static_cast<const RpropArgs*>(raw);
  // torch rounds these scalars to the tensor dtype (index_put, clamp, eq)
  auto rnd = [](double x) { return (T) static_cast<S>((T)x); };
  const V sgn((T)(a.maximize ? -1.0 : 1.0)), etaminus(rnd(a.etaminus)), etaplus(rnd(a.etaplus)),
      lo_v(rnd(a.lo)), hi_v(rnd(a.hi)), wd((T)a.wd), zero((T)0), one((T)1),
      nan(std::numeric_limits<T>::quiet_NaN());
  const bool lo_nan = std::isnan(rnd(a.lo)), hi_nan = std::isnan(rnd(a.hi));
  S* wp = static_cast<S*>(it.w);
  const S* gp = static_cast<const S*>(it.g);
  S* pp = static_cast<S*>(it.b[0]);
  S* sp = static_cast<S*>(it.b[1]);
  sweep<S>(lo, hi, [&](int64_t i, int64_t c) {
    V w[G], g[G], prev[G], ss[G], t[G];
    IO::load(wp + i, c, w);
    IO::load(gp + i, c, g);
    IO::load(pp + i, c, prev);
    IO::load(sp + i, c, ss);
    for (int j = 0; j < G; ++j) {
      g[j] = g[j] * sgn;
      if constexpr (WD) g[j] = fma(w[j], wd, g[j]);
    }
    if constexpr (WD) IO::round(g);
    for (int j = 0; j < G; ++j) t[j] = g[j] * prev[j];
    IO::round(t);
    for (int j = 0; j < G; ++j) {
      // torch assigns the factors mask after mask, each read from the previous result
      V f = sign_of(t[j]);
      f = V::blendv(f, etaplus, f > zero);
      f = V::blendv(f, etaminus, f < zero);
      f = V::blendv(f, one, f == zero);
      t[j] = f;
      ss[j] = ss[j] * f;
    }
    IO::round(ss);
    for (int j = 0; j < G; ++j) {  // torch's clamp: a NaN in the value or a bound propagates
      ss[j] = lo_nan ? nan : V::blendv(ss[j], lo_v, ss[j] < lo_v);
      ss[j] = hi_nan ? nan : V::blendv(ss[j], hi_v, ss[j] > hi_v);
    }
    IO::round(ss);
    for (int j = 0; j < G; ++j) {
      prev[j] = V::blendv(g[j], zero, t[j] == etaminus);
      w[j] = w[j] + sign_of(prev[j]).neg() * ss[j];
    }
    IO::store(sp + i, c, ss);
    IO::store(pp + i, c, prev);
    IO::store(wp + i, c, w);
  });
}

// ------------------------------------------------------------------------------------ table
template <typename S, int WD, bool C>
void fill_mom(KernelTable& t, int d) {
  t.rms[d][WD][C][MOM_NONE] = &rms_range<S, WD, C, MOM_NONE>;
  t.rms[d][WD][C][MOM_TORCH] = &rms_range<S, WD, C, MOM_TORCH>;
  t.rms[d][WD][C][MOM_LR_INSIDE] = &rms_range<S, WD, C, MOM_LR_INSIDE>;
}
template <typename S, int WD>
void fill_centered(KernelTable& t, int d) {
  fill_mom<S, WD, false>(t, d);
  fill_mom<S, WD, true>(t, d);
}
template <typename S>
void fill(KernelTable& t, int d) {
  fill_centered<S, WD_NONE>(t, d);
  fill_centered<S, WD_COUPLED>(t, d);
  fill_centered<S, WD_DECOUPLED>(t, d);
  t.rprop[d][0] = &rprop_range<S, false>;
  t.rprop[d][1] = &rprop_range<S, true>;
}

KernelTable make_table() {
  KernelTable t{};
  fill<float>(t, F32);
  fill<double>(t, F64);
  fill<c10::Half>(t, F16);
  fill<c10::BFloat16>(t, BF16);
  return t;
}

}  // namespace CPU_CAPABILITY
}  // namespace optbridge

// The loader finds the table by this name and hands its address to the binding.
extern "C" const optbridge::KernelTable* optbridge_table() {
  static const optbridge::KernelTable table = optbridge::make_table();
  return &table;
}
"""
