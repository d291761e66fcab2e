"""C++ source of the one-pass CPU kernels (a Python extension, compiled once, cached on disk).

The kernels take lists of tensors: each param is read and written in place where it lives,
with its grad and its state, one tensor after the other (in list order, as torch's for-loop,
so params that alias each other see the same values), each in one pass over memory.

``*_group`` entry points read ``p.grad`` and ``optimizer.state[p]`` themselves, so a step
costs no Python work per tensor; ``*_lists`` take explicit tensor lists. Both return the
indices of the tensors they did not take (no state yet, not dense, another device or dtype,
a tensor subclass such as DTensor, mismatched layouts): the caller runs those itself.

Arithmetic: float32 and float64 mirror torch's CPU ops (scalars rounded to the tensor dtype,
the same operation order, one FMA exactly where torch's kernels contract a multiply-add), so
Rprop is bit-identical to ``torch.optim`` and RMSprop is too when given torch's own sqrt
routine (``sqrt_fn``), otherwise within one sqrt ulp. float16 and bfloat16 are computed in
float32 and rounded once on store, as torch's fused optimizers do.
"""

CPU_KERNEL_SOURCE = r"""
#include <torch/extension.h>
#include <c10/util/BFloat16.h>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace {

enum WeightDecay { WD_NONE = 0, WD_COUPLED = 1, WD_DECOUPLED = 2 };
enum Momentum { MOM_NONE = 0, MOM_TORCH = 1, MOM_LR_INSIDE = 2 };
constexpr int kMaxBuffers = 3;
// Below this many elements one thread is faster than waking the OpenMP team.
constexpr int64_t kParallelMin = 1 << 15;
constexpr int64_t kBlock = 1024;  // elements per cache block of the VML path (L1-resident)
// Work is handed out in chunks, dynamically: on shared vCPUs a thread that loses its core
// delays one chunk, not a static half of the tensor that the other thread then waits for.
constexpr int64_t kChunk = 1 << 16;

struct Item {
  void* w;
  const void* g;
  void* b[kMaxBuffers];
  void* step;
  bool step_double;
  int64_t n;
  at::ScalarType dtype;
};

template <typename T>
using SqrtFn = void (*)(int, const T*, T*);

// ---------------------------------------------------------------------------------- RMSprop
struct RmsArgs {
  double lr, alpha, eps, wd, mom;
  int wd_mode, mom_mode;
  bool centered, eps_in_sqrt, maximize;
  void* sqrt_f32;
  void* sqrt_f64;
};

// One element's update, split at the square root so a vectorized external sqrt (VML) can be
// applied to a whole cache block in between. torch's CPU ops contract a*b+c into one FMA
// (addcmul, add with alpha, lerp): mirrored with std::fma, so rounding matches.
template <typename S, typename T, int WD, bool CENTERED, bool EPS_IN_SQRT>
inline T rms_before_sqrt(S* __restrict w, const S* __restrict g, S* __restrict v,
                         S* __restrict ga, int64_t i, T sgn, T lr, T alpha, T one_m_alpha,
                         T eps, T wd, bool lerp_low, T& gi_out) {
  T wi = static_cast<T>(w[i]);
  T gi = static_cast<T>(g[i]) * sgn;
  if (WD == WD_COUPLED) gi = std::fma(wi, wd, gi);
  if (WD == WD_DECOUPLED) w[i] = static_cast<S>(wi - (wi * wd) * lr);
  T vi = std::fma(one_m_alpha * gi, gi, static_cast<T>(v[i]) * alpha);
  v[i] = static_cast<S>(vi);
  T d = vi;
  if (CENTERED) {
    T gai = static_cast<T>(ga[i]);
    T diff = gi - gai;
    gai = lerp_low ? std::fma(one_m_alpha, diff, gai) : std::fma(one_m_alpha - (T)1, diff, gi);
    ga[i] = static_cast<S>(gai);
    d = std::fma(-gai, gai, vi);
  }
  gi_out = gi;
  return EPS_IN_SQRT ? d + eps : d;
}

template <typename S, typename T, int MOM, bool EPS_IN_SQRT>
inline void rms_after_sqrt(S* __restrict w, S* __restrict b, int64_t i, T gi, T root, T lr,
                           T neg_lr, T eps, T mom) {
  T d = EPS_IN_SQRT ? root : root + eps;
  T wi = static_cast<T>(w[i]);
  if (MOM == MOM_TORCH) {
    T bi = static_cast<T>(b[i]) * mom + gi / d;
    b[i] = static_cast<S>(bi);
    wi = std::fma(bi, neg_lr, wi);
  } else if (MOM == MOM_LR_INSIDE) {
    T bi = static_cast<T>(b[i]) * mom + (gi / d) * lr;
    b[i] = static_cast<S>(bi);
    wi = wi - bi;
  } else {
    wi = wi + (neg_lr * gi) / d;
  }
  w[i] = static_cast<S>(wi);
}

template <typename T>
struct RmsScalars {
  T sgn, lr, neg_lr, alpha, one_m_alpha, eps, wd, mom;
  bool lerp_low;
};

// The loops take their buffers as __restrict parameters: with that promise the compiler
// vectorizes them (a lambda capturing the pointers loses it and falls back to scalar code).
template <typename S, typename T, int WD, bool CENTERED, int MOM, bool EPS_IN_SQRT>
void rms_fused(S* __restrict w, const S* __restrict g, S* __restrict v, S* __restrict ga,
               S* __restrict b, int64_t lo, int64_t hi, const RmsScalars<T>& k) {
  const T sgn = k.sgn, lr = k.lr, neg_lr = k.neg_lr, alpha = k.alpha,
          one_m_alpha = k.one_m_alpha, eps = k.eps, wd = k.wd, mom = k.mom;
  const bool lerp_low = k.lerp_low;
  for (int64_t i = lo; i < hi; ++i) {
    T gi;
    T d = rms_before_sqrt<S, T, WD, CENTERED, EPS_IN_SQRT>(w, g, v, ga, i, sgn, lr, alpha,
                                                          one_m_alpha, eps, wd, lerp_low, gi);
    rms_after_sqrt<S, T, MOM, EPS_IN_SQRT>(w, b, i, gi, std::sqrt(d), lr, neg_lr, eps, mom);
  }
}

// torch's own sqrt (MKL VML) on L1-sized blocks: still one pass over main memory.
template <typename S, typename T, int WD, bool CENTERED, int MOM, bool EPS_IN_SQRT>
void rms_blocked(S* __restrict w, const S* __restrict g, S* __restrict v, S* __restrict ga,
                 S* __restrict b, int64_t lo, int64_t hi, const RmsScalars<T>& k,
                 SqrtFn<T> vsqrt) {
  T tmp[kBlock];
  T gs[kBlock];
  for (int64_t start = lo; start < hi; start += kBlock) {
    const int64_t m = (hi - start) < kBlock ? (hi - start) : kBlock;
    for (int64_t j = 0; j < m; ++j)
      tmp[j] = rms_before_sqrt<S, T, WD, CENTERED, EPS_IN_SQRT>(
          w, g, v, ga, start + j, k.sgn, k.lr, k.alpha, k.one_m_alpha, k.eps, k.wd, k.lerp_low,
          gs[j]);
    vsqrt((int)m, tmp, tmp);
    for (int64_t j = 0; j < m; ++j)
      rms_after_sqrt<S, T, MOM, EPS_IN_SQRT>(w, b, start + j, gs[j], tmp[j], k.lr, k.neg_lr,
                                             k.eps, k.mom);
  }
}

template <typename S, typename T, int WD, bool CENTERED, int MOM, bool EPS_IN_SQRT>
void rmsprop_tensor(const Item& it, const RmsArgs& a, int nthreads) {
  S* w = static_cast<S*>(it.w);
  const S* g = static_cast<const S*>(it.g);
  S* v = static_cast<S*>(it.b[0]);
  S* ga = static_cast<S*>(it.b[1]);
  S* b = static_cast<S*>(it.b[2]);
  const int64_t n = it.n;
  // Scalars are rounded to the compute type once, as torch's CPU kernels do.
  RmsScalars<T> k{a.maximize ? (T)-1 : (T)1, (T)a.lr, (T)(-a.lr), (T)a.alpha,
                  (T)(1.0 - a.alpha), (T)a.eps, (T)a.wd, (T)a.mom, false};
  k.lerp_low = std::fabs(k.one_m_alpha) < (T)0.5;
  const int nt = n >= kParallelMin ? nthreads : 1;
  SqrtFn<T> vsqrt = reinterpret_cast<SqrtFn<T>>(
      std::is_same<T, double>::value ? a.sqrt_f64 : a.sqrt_f32);
  // A small tensor runs on the calling thread: even a one-thread OpenMP region costs
  // microseconds, which 2,000 small tensors would pay 2,000 times.
  if (nt <= 1) {
    if (vsqrt == nullptr) rms_fused<S, T, WD, CENTERED, MOM, EPS_IN_SQRT>(w, g, v, ga, b, 0, n, k);
    else rms_blocked<S, T, WD, CENTERED, MOM, EPS_IN_SQRT>(w, g, v, ga, b, 0, n, k, vsqrt);
    return;
  }
  const int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    const int64_t lo = c * kChunk, hi = (c + 1) * kChunk < n ? (c + 1) * kChunk : n;
    if (vsqrt == nullptr) rms_fused<S, T, WD, CENTERED, MOM, EPS_IN_SQRT>(w, g, v, ga, b, lo, hi, k);
    else rms_blocked<S, T, WD, CENTERED, MOM, EPS_IN_SQRT>(w, g, v, ga, b, lo, hi, k, vsqrt);
  }
}

using RmsFn = void (*)(const Item&, const RmsArgs&, int);

template <typename S, typename T, int WD, bool C, int M>
RmsFn pick_eps(bool e) {
  return e ? &rmsprop_tensor<S, T, WD, C, M, true> : &rmsprop_tensor<S, T, WD, C, M, false>;
}
template <typename S, typename T, int WD, bool C>
RmsFn pick_mom(int m, bool e) {
  if (m == MOM_TORCH) return pick_eps<S, T, WD, C, MOM_TORCH>(e);
  if (m == MOM_LR_INSIDE) return pick_eps<S, T, WD, C, MOM_LR_INSIDE>(e);
  return pick_eps<S, T, WD, C, MOM_NONE>(e);
}
template <typename S, typename T, int WD>
RmsFn pick_centered(bool c, int m, bool e) {
  return c ? pick_mom<S, T, WD, true>(m, e) : pick_mom<S, T, WD, false>(m, e);
}
template <typename S, typename T>
RmsFn pick_rms(const RmsArgs& a) {
  if (a.wd_mode == WD_COUPLED) return pick_centered<S, T, WD_COUPLED>(a.centered, a.mom_mode, a.eps_in_sqrt);
  if (a.wd_mode == WD_DECOUPLED) return pick_centered<S, T, WD_DECOUPLED>(a.centered, a.mom_mode, a.eps_in_sqrt);
  return pick_centered<S, T, WD_NONE>(a.centered, a.mom_mode, a.eps_in_sqrt);
}

// ------------------------------------------------------------------------------------ Rprop
struct RpropArgs {
  double etaminus, etaplus, lo, hi, wd;
  bool maximize;
};

// torch's sign(): NaN maps to 0.
template <typename T>
inline T sign_of(T x) {
  return x > 0 ? (T)1 : (x < 0 ? (T)-1 : (T)0);
}

// torch's clamp(x, lo, hi) = min(max(x, lo), hi), a NaN in x or in a bound propagating.
template <typename T>
inline T clamp_nan(T x, T lo, T hi) {
  if (std::isnan(x) || std::isnan(lo)) return std::numeric_limits<T>::quiet_NaN();
  x = x < lo ? lo : x;
  if (std::isnan(hi)) return std::numeric_limits<T>::quiet_NaN();
  return x > hi ? hi : x;
}

// Rounds to the storage type where torch's per-op kernels store a result (a no-op when the
// storage type is the compute type): Rprop on float16/bfloat16 then matches torch too.
template <typename S, typename T>
inline T rnd(T x) {
  return static_cast<T>(static_cast<S>(x));
}

template <typename T>
struct RpropScalars {
  T sgn, etaminus, etaplus, lo, hi, wd;
};

template <typename S, typename T, bool WD>
void rprop_range(S* __restrict w, const S* __restrict g, S* __restrict prev,
                 S* __restrict step_size, int64_t lo_i, int64_t hi_i, const RpropScalars<T>& k) {
  const T sgn = k.sgn, etaminus = k.etaminus, etaplus = k.etaplus, lo = k.lo, hi = k.hi,
          wd = k.wd;
  for (int64_t i = lo_i; i < hi_i; ++i) {
    T wi = static_cast<T>(w[i]);
    T gi = static_cast<T>(g[i]) * sgn;
    if (WD) gi = rnd<S>(std::fma(wi, wd, gi));
    // torch: s = sign(g * prev) (NaN -> 0), then masked assignments in sequence, each mask
    // read from the previous result: s>0 -> etaplus, then <0 -> etaminus, then ==0 -> 1
    // (so etas below or equal to 0 end where torch's do)
    T f = sign_of(rnd<S>(gi * static_cast<T>(prev[i])));
    f = f > 0 ? etaplus : f;
    f = f < 0 ? etaminus : f;
    f = f == 0 ? (T)1 : f;
    T ss = rnd<S>(clamp_nan(rnd<S>(static_cast<T>(step_size[i]) * f), lo, hi));
    step_size[i] = static_cast<S>(ss);
    T gz = (f == etaminus) ? (T)0 : gi;
    w[i] = static_cast<S>(wi + ((T)-1 * sign_of(gz)) * ss);
    prev[i] = static_cast<S>(gz);
  }
}

template <typename S, typename T, bool WD>
void rprop_tensor(const Item& it, const RpropArgs& a, int nthreads) {
  S* w = static_cast<S*>(it.w);
  const S* g = static_cast<const S*>(it.g);
  S* prev = static_cast<S*>(it.b[0]);
  S* step_size = static_cast<S*>(it.b[1]);
  const int64_t n = it.n;
  // torch rounds these scalars to the tensor dtype (index_put, clamp, eq)
  const RpropScalars<T> k{a.maximize ? (T)-1 : (T)1, rnd<S>((T)a.etaminus),
                          rnd<S>((T)a.etaplus), rnd<S>((T)a.lo), rnd<S>((T)a.hi), (T)a.wd};
  const int nt = n >= kParallelMin ? nthreads : 1;
  if (nt <= 1) {  // on the calling thread: see rmsprop_tensor
    rprop_range<S, T, WD>(w, g, prev, step_size, 0, n, k);
    return;
  }
  const int64_t nchunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (int64_t c = 0; c < nchunks; ++c)
    rprop_range<S, T, WD>(w, g, prev, step_size, c * kChunk,
                          (c + 1) * kChunk < n ? (c + 1) * kChunk : n, k);
}

using RpropFn = void (*)(const Item&, const RpropArgs&, int);

template <typename S, typename T>
RpropFn pick_rprop(const RpropArgs& a) {
  return a.wd != 0.0 ? &rprop_tensor<S, T, true> : &rprop_tensor<S, T, false>;
}

// ------------------------------------------------------------------------------ gathering
bool kernel_dtype(at::ScalarType t) {
  return t == at::kFloat || t == at::kDouble || t == at::kHalf || t == at::kBFloat16;
}

// A plain dense CPU tensor whose data the kernel may address directly.
bool plain_cpu(const at::Tensor& t) {
  return t.defined() && t.layout() == at::kStrided && t.device().is_cpu() &&
         !t.key_set().has(c10::DispatchKey::Python) && t.has_storage() && !t.is_neg() &&
         !t.is_conj();
}

// Same dtype, sizes and strides as the param: then element k of every buffer is at the
// same storage offset, and the update can walk memory linearly.
bool same_layout(const at::Tensor& t, const at::Tensor& p) {
  return plain_cpu(t) && t.scalar_type() == p.scalar_type() && t.sizes() == p.sizes() &&
         t.strides() == p.strides();
}

// Fills `item` when p, g, buffers and step are fit for the kernel. Tensors are passed by
// pointer: copying an at::Tensor that a Python object owns costs a round trip to the
// interpreter (its refcount), which 2,000 small tensors would pay thousands of times.
// A grad whose memory partly overlaps its param's: one pass cannot give torch's results
// (torch reads the whole grad before it writes the param, or refuses), so the caller decides.
bool partial_overlap(const at::Tensor& p, const at::Tensor& g) {
  const char* a = static_cast<const char*>(p.data_ptr());
  const char* b = static_cast<const char*>(g.data_ptr());
  const int64_t bytes = p.numel() * (int64_t)p.element_size();
  return a != b && a < b + bytes && b < a + bytes;
}

enum Fit { FIT_OK, FIT_NO, FIT_OVERLAP };

Fit make_item(const at::Tensor& p, const at::Tensor& g, const at::Tensor* const* bufs,
              int nbufs, const at::Tensor* step, Item& item) {
  if (!plain_cpu(p) || !kernel_dtype(p.scalar_type()) || !p.is_non_overlapping_and_dense())
    return FIT_NO;
  if (!same_layout(g, p)) return FIT_NO;
  for (int k = 0; k < nbufs; ++k)
    if (bufs[k] != nullptr && !same_layout(*bufs[k], p)) return FIT_NO;
  if (partial_overlap(p, g)) return FIT_OVERLAP;
  if (step != nullptr) {
    if (!plain_cpu(*step) || step->numel() != 1 ||
        (step->scalar_type() != at::kFloat && step->scalar_type() != at::kDouble))
      return FIT_NO;
    item.step = step->data_ptr();
    item.step_double = step->scalar_type() == at::kDouble;
  } else {
    item.step = nullptr;
    item.step_double = false;
  }
  item.w = p.data_ptr();
  item.g = g.data_ptr();
  for (int k = 0; k < kMaxBuffers; ++k)
    item.b[k] = k < nbufs && bufs[k] != nullptr ? bufs[k]->data_ptr() : nullptr;
  item.n = p.numel();
  item.dtype = p.scalar_type();
  return FIT_OK;
}

// The tensor a Python object holds (owned by that object), or null for anything else.
const at::Tensor* tensor_in(PyObject* obj) {
  return (obj != nullptr && THPVariable_Check(obj)) ? &THPVariable_Unpack(obj) : nullptr;
}

// Look up optimizer.state[p] without calling Tensor.__hash__ (a Python function): a
// tensor's hash is its id, so the dict is probed with that hash; on any mismatch the probe
// misses, and the caller's slow path finds the entry the ordinary way.
PyObject* state_of(PyObject* state, PyObject* param) {
#if PY_VERSION_HEX < 0x030D0000
  return _PyDict_GetItem_KnownHash(state, param, (Py_hash_t)(intptr_t)param);
#else
  return nullptr;
#endif
}

struct Gathered {
  std::vector<Item> items;
  std::vector<int64_t> leftover;
  bool sparse = false;
  // The first param whose state exists but lacks a buffer (or "step"), and that key; and
  // the first param whose grad partly overlaps it. Either stops the step before any write.
  int64_t missing = -1;
  py::object missing_key;
  int64_t overlap = -1;
  // Strong references to the memory of every tensor the step touches, released after the
  // kernels ran (with the GIL held): another thread replacing optimizer.state[p][...] or
  // p.grad while the GIL is released cannot free memory the kernels still write.
  std::vector<c10::Storage> keep;
  void hold(const Item& item, const at::Tensor& p, const at::Tensor& g,
            const at::Tensor* const* bufs, int nbufs, const at::Tensor* step) {
    keep.push_back(p.storage());
    keep.push_back(g.storage());
    for (int k = 0; k < nbufs; ++k)
      if (bufs[k] != nullptr) keep.push_back(bufs[k]->storage());
    if (step != nullptr) keep.push_back(step->storage());
    items.push_back(item);
  }
  bool stopped() const { return sparse || missing >= 0 || overlap >= 0; }
};

// `names`: the state key of each buffer slot of the kernel, None for a slot it does not use
// with these options; `step_name`: "step".
Gathered gather_group(py::list params, py::dict state, py::tuple names, py::object step_name) {
  Gathered out;
  const Py_ssize_t count = PyList_GET_SIZE(params.ptr());
  const int nbufs = (int)PyTuple_GET_SIZE(names.ptr());
  TORCH_CHECK(nbufs <= kMaxBuffers, "too many state buffers");
  PyObject* keys[kMaxBuffers];
  for (int k = 0; k < nbufs; ++k) {
    keys[k] = PyTuple_GET_ITEM(names.ptr(), k);
    if (keys[k] == Py_None) keys[k] = nullptr;
  }
  out.items.reserve(count);
  const at::Tensor* bufs[kMaxBuffers];
  for (Py_ssize_t i = 0; i < count; ++i) {
    PyObject* obj = PyList_GET_ITEM(params.ptr(), i);
    const at::Tensor* p = tensor_in(obj);
    if (p == nullptr) {
      out.leftover.push_back(i);
      continue;
    }
    const at::Tensor& g = p->grad();
    if (!g.defined()) continue;  // no grad: no update, as torch
    if (g.layout() != at::kStrided) out.sparse = true;
    PyObject* st = state_of(state.ptr(), obj);
    if (st == nullptr || !PyDict_Check(st) || PyDict_GET_SIZE(st) == 0) {
      out.leftover.push_back(i);  // no state yet: the caller creates it, as torch
      continue;
    }
    bool ok = true;
    for (int k = 0; k <= nbufs && ok; ++k) {
      PyObject* key = k < nbufs ? keys[k] : step_name.ptr();
      if (key == nullptr) {
        bufs[k] = nullptr;
        continue;
      }
      PyObject* value = PyDict_GetItem(st, key);
      if (value == nullptr && out.missing < 0) {  // torch.optim raises KeyError here
        out.missing = i;
        out.missing_key = py::reinterpret_borrow<py::object>(key);
      }
      const at::Tensor* t = tensor_in(value);
      if (k < nbufs) bufs[k] = t;
      ok = t != nullptr;
    }
    const at::Tensor* step = ok ? tensor_in(PyDict_GetItem(st, step_name.ptr())) : nullptr;
    Item item;
    const Fit fit = step == nullptr ? FIT_NO : make_item(*p, g, bufs, nbufs, step, item);
    if (fit == FIT_OVERLAP && out.overlap < 0) out.overlap = i;
    if (fit != FIT_OK) {
      out.leftover.push_back(i);
      continue;
    }
    out.hold(item, *p, g, bufs, nbufs, step);
  }
  return out;
}

// `buffers`: one list per kernel slot (None for an unused slot); `steps`: a list or None.
Gathered gather_lists(py::list params, py::list grads, py::list buffers, py::object steps) {
  Gathered out;
  const Py_ssize_t count = PyList_GET_SIZE(params.ptr());
  const int nbufs = (int)PyList_GET_SIZE(buffers.ptr());
  TORCH_CHECK(nbufs <= kMaxBuffers, "too many state buffers");
  TORCH_CHECK(PyList_GET_SIZE(grads.ptr()) == count, "params and grads differ in length");
  PyObject* lists[kMaxBuffers];
  for (int k = 0; k < nbufs; ++k) {
    lists[k] = PyList_GET_ITEM(buffers.ptr(), k);
    if (lists[k] == Py_None) lists[k] = nullptr;
    else TORCH_CHECK(PyList_Check(lists[k]) && PyList_GET_SIZE(lists[k]) == count,
                     "each state buffer must be a list as long as params");
  }
  PyObject* step_list = steps.is_none() ? nullptr : steps.ptr();
  TORCH_CHECK(step_list == nullptr || (PyList_Check(step_list) &&
                                       PyList_GET_SIZE(step_list) == count),
              "steps must be None or a list as long as params");
  out.items.reserve(count);
  const at::Tensor* bufs[kMaxBuffers];
  for (Py_ssize_t i = 0; i < count; ++i) {
    const at::Tensor* p = tensor_in(PyList_GET_ITEM(params.ptr(), i));
    const at::Tensor* g = tensor_in(PyList_GET_ITEM(grads.ptr(), i));
    bool ok = p != nullptr && g != nullptr;
    for (int k = 0; k < nbufs && ok; ++k) {
      bufs[k] = nullptr;
      if (lists[k] != nullptr) {
        bufs[k] = tensor_in(PyList_GET_ITEM(lists[k], i));
        ok = bufs[k] != nullptr;
      }
    }
    const at::Tensor* step = nullptr;
    if (ok && step_list != nullptr) {
      step = tensor_in(PyList_GET_ITEM(step_list, i));
      ok = step != nullptr;
    }
    Item item;
    if (ok && make_item(*p, *g, bufs, nbufs, step, item) == FIT_OK)
      out.hold(item, *p, *g, bufs, nbufs, step);
    else out.leftover.push_back(i);
  }
  return out;
}

void bump_step(const Item& it) {
  if (it.step == nullptr) return;
  if (it.step_double) *static_cast<double*>(it.step) += 1.0;
  else *static_cast<float*>(it.step) += 1.0f;
}

void run_rmsprop(const std::vector<Item>& items, const RmsArgs& a, int nthreads) {
  const RmsFn f32 = pick_rms<float, float>(a), f64 = pick_rms<double, double>(a),
              f16 = pick_rms<_Float16, float>(a), bf16 = pick_rms<c10::BFloat16, float>(a);
  py::gil_scoped_release release;
  for (const Item& it : items) {
    bump_step(it);
    switch (it.dtype) {
      case at::kFloat: f32(it, a, nthreads); break;
      case at::kDouble: f64(it, a, nthreads); break;
      case at::kHalf: f16(it, a, nthreads); break;
      default: bf16(it, a, nthreads); break;
    }
  }
}

void run_rprop(const std::vector<Item>& items, const RpropArgs& a, int nthreads) {
  const RpropFn f32 = pick_rprop<float, float>(a), f64 = pick_rprop<double, double>(a),
                f16 = pick_rprop<_Float16, float>(a), bf16 = pick_rprop<c10::BFloat16, float>(a);
  py::gil_scoped_release release;
  for (const Item& it : items) {
    bump_step(it);
    switch (it.dtype) {
      case at::kFloat: f32(it, a, nthreads); break;
      case at::kDouble: f64(it, a, nthreads); break;
      case at::kHalf: f16(it, a, nthreads); break;
      default: bf16(it, a, nthreads); break;
    }
  }
}

RmsArgs rms_args(double lr, double alpha, double eps, double wd, double mom, int wd_mode,
                 int mom_mode, bool centered, bool eps_in_sqrt, bool maximize,
                 int64_t sqrt_f32, int64_t sqrt_f64) {
  return RmsArgs{lr, alpha, eps, wd, mom, wd_mode, mom_mode, centered, eps_in_sqrt, maximize,
                 reinterpret_cast<void*>(sqrt_f32), reinterpret_cast<void*>(sqrt_f64)};
}

// The result: (indices left to the caller, whether a grad was sparse, (index, key) of a
// state without a buffer or None, index of a grad overlapping its param or -1). With any of
// the last three nothing was updated, so the caller can refuse before any update.
py::tuple finish(Gathered& got) {
  py::object missing = py::none();
  if (got.missing >= 0) missing = py::make_tuple(got.missing, got.missing_key);
  return py::make_tuple(got.leftover, got.sparse, missing, got.overlap);
}

}  // namespace

py::tuple rmsprop_group(py::list params, py::dict state, py::tuple names, py::object step_name,
                        double lr, double alpha, double eps, double wd, double mom, int wd_mode,
                        int mom_mode, bool centered, bool eps_in_sqrt, bool maximize,
                        int64_t sqrt_f32, int64_t sqrt_f64, int nthreads) {
  Gathered got = gather_group(params, state, names, step_name);
  if (!got.stopped())
    run_rmsprop(got.items, rms_args(lr, alpha, eps, wd, mom, wd_mode, mom_mode, centered,
                                     eps_in_sqrt, maximize, sqrt_f32, sqrt_f64), nthreads);
  return finish(got);
}

py::tuple rmsprop_lists(py::list params, py::list grads, py::list buffers, py::object steps,
                        double lr, double alpha, double eps, double wd, double mom, int wd_mode,
                        int mom_mode, bool centered, bool eps_in_sqrt, bool maximize,
                        int64_t sqrt_f32, int64_t sqrt_f64, int nthreads) {
  Gathered got = gather_lists(params, grads, buffers, steps);
  run_rmsprop(got.items, rms_args(lr, alpha, eps, wd, mom, wd_mode, mom_mode, centered,
                                   eps_in_sqrt, maximize, sqrt_f32, sqrt_f64), nthreads);
  return finish(got);
}

py::tuple rprop_group(py::list params, py::dict state, py::tuple names, py::object step_name,
                      double etaminus, double etaplus, double lo, double hi, double wd,
                      bool maximize, int nthreads) {
  Gathered got = gather_group(params, state, names, step_name);
  if (!got.stopped()) run_rprop(got.items, RpropArgs{etaminus, etaplus, lo, hi, wd, maximize}, nthreads);
  return finish(got);
}

py::tuple rprop_lists(py::list params, py::list grads, py::list buffers, py::object steps,
                      double etaminus, double etaplus, double lo, double hi, double wd,
                      bool maximize, int nthreads) {
  Gathered got = gather_lists(params, grads, buffers, steps);
  run_rprop(got.items, RpropArgs{etaminus, etaplus, lo, hi, wd, maximize}, nthreads);
  return finish(got);
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("rmsprop_group", &rmsprop_group);
  m.def("rmsprop_lists", &rmsprop_lists);
  m.def("rprop_group", &rprop_group);
  m.def("rprop_lists", &rprop_lists);
}
"""
