"""C++ source of the CPU kernels' Python binding: gathering, the cached plan, threads, dispatch.

The update loops themselves are in ``cpu_math_source``, one library per CPU capability; the
loader hands this extension the table of the one torch itself runs with (``set_table``). This
translation unit, compiled once without instruction-set flags, reads ``p.grad`` and
``optimizer.state[p]`` itself and splits the work of all tensors of a group over threads.

The plan: the first step of a param group records, per param, its state dict and buffers,
their pointers and layouts, and holds strong references to them. Later steps reuse it while
the params list, ``optimizer.state`` and each param's state dict are the same objects with the
same dict versions, and every pointer still matches: what changed is rebuilt. Only the grads
(``p.grad``, often a new tensor each step) are read and checked every step. While the kernels
run without the GIL, the plan holds every state tensor and the step holds every grad's storage,
so no tensor the step writes or reads can be freed by another thread.

``*_group`` entry points return (indices left to the caller, a grad was sparse, (index, key) of
a state lacking a buffer or None, index of a grad partly overlapping its param or -1); with any
of the last three nothing is updated. ``*_lists`` take explicit tensor lists (no plan).
"""

BINDING_SOURCE = r"""
#include "optbridge_kernels.h"
#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/csrc/autograd/python_variable.h>
#include <algorithm>
#include <vector>

namespace py = pybind11;
using optbridge::Item;
using optbridge::KernelTable;
using optbridge::kMaxBuffers;
using optbridge::RangeFn;

namespace {

// Below this many elements in a whole group one thread is faster than waking the team.
constexpr int64_t kParallelMin = 1 << 15;
// Work is handed out in chunks, dynamically: on shared vCPUs a thread that loses its core
// delays one chunk, not a static half of the group that the other thread then waits for.
constexpr int64_t kChunk = 1 << 16;

// The loops of the CPU capability torch runs with, from their own library (set_table): each
// capability is a separate library so that no inline function compiled for a wider
// instruction set can be shared with a narrower one.
const KernelTable* g_table = nullptr;

const KernelTable* table() {
  TORCH_CHECK(g_table != nullptr, "optbridge: set_table was not called");
  return g_table;
}

int dtype_index(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return optbridge::F32;
    case at::kDouble: return optbridge::F64;
    case at::kHalf: return optbridge::F16;
    case at::kBFloat16: return optbridge::BF16;
    default: return -1;
  }
}

// A plain dense CPU tensor whose data the kernel may address directly.
bool plain_cpu(const at::Tensor& t) {
  return t.defined() && t.layout() == at::kStrided && t.device().is_cpu() &&
         !t.key_set().has(c10::DispatchKey::Python) && t.has_storage() && !t.is_neg() &&
         !t.is_conj();
}

// Same dtype, sizes and strides as the param: element k of both is at the same offset.
bool same_layout(const at::Tensor& t, const at::Tensor& p) {
  return plain_cpu(t) && t.scalar_type() == p.scalar_type() && t.sizes() == p.sizes() &&
         t.strides() == p.strides();
}

// A grad whose memory partly overlaps its param's: one pass cannot give torch's results
// (torch reads the whole grad before it writes the param, or refuses), so the caller decides.
bool partial_overlap(const at::Tensor& p, const at::Tensor& g) {
  const char* a = static_cast<const char*>(p.data_ptr());
  const char* b = static_cast<const char*>(g.data_ptr());
  const int64_t bytes = p.numel() * (int64_t)p.element_size();
  return a != b && a < b + bytes && b < a + bytes;
}

bool fits_param(const at::Tensor& p) {
  return plain_cpu(p) && dtype_index(p.scalar_type()) >= 0 && p.is_non_overlapping_and_dense();
}

bool fits_step(const at::Tensor& s) {
  return plain_cpu(s) && s.numel() == 1 &&
         (s.scalar_type() == at::kFloat || s.scalar_type() == at::kDouble);
}

const at::Tensor* tensor_in(PyObject* obj) {
  return (obj != nullptr && THPVariable_Check(obj)) ? &THPVariable_Unpack(obj) : nullptr;
}

// optimizer.state[p] without calling Tensor.__hash__ (a Python function): a tensor's hash is
// its id, so the dict is probed with that hash.
PyObject* state_of(PyObject* state, PyObject* param) {
#if PY_VERSION_HEX < 0x030D0000
  return _PyDict_GetItem_KnownHash(state, param, (Py_hash_t)(intptr_t)param);
#else
  PyObject* found = PyDict_GetItemWithError(state, param);
  if (found == nullptr) PyErr_Clear();
  return found;
#endif
}

// A dict's version (PEP 509): changes with every insertion, deletion or replacement.
uint64_t version(PyObject* dict) {
#if PY_VERSION_HEX < 0x030E0000
  return reinterpret_cast<PyDictObject*>(dict)->ma_version_tag;
#else
  static uint64_t never = 0;
  return ++never;  // no version to read: every step looks the state up again
#endif
}

struct Entry {
  PyObject* param = nullptr;  // identity; `p` keeps the object alive, so it cannot be reused
  at::Tensor p;
  py::object state;  // the param's state dict
  uint64_t state_version = 0;
  at::Tensor held[kMaxBuffers + 1];  // buffers, then step
  // Their memory (and p's): p.data = ... or set_() from another thread swaps a tensor's
  // storage, which must outlive the step that writes it.
  c10::Storage keep[kMaxBuffers + 2];
  std::vector<int64_t> sizes, strides;
  Item item{};
  bool ready = false;

  void reset() { *this = Entry(); }
  void hold_storage() {
    keep[0] = p.storage();
    for (int k = 0; k <= kMaxBuffers; ++k)
      if (held[k].defined()) keep[k + 1] = held[k].storage();
  }
  // Still the tensors and memory the entry was built from (p.data = ..., set_ change them).
  bool current(const at::Tensor& now) const {
    if (!ready || now.data_ptr() != item.w || !now.sizes().equals(sizes) ||
        !now.strides().equals(strides) || version(state.ptr()) != state_version)
      return false;
    for (int k = 0; k < kMaxBuffers; ++k)
      if (held[k].defined() && held[k].data_ptr() != item.b[k]) return false;
    return held[kMaxBuffers].data_ptr() == item.step;
  }
};

struct Outcome {
  std::vector<int64_t> leftover;
  bool sparse = false;
  int64_t missing = -1;
  py::object missing_key;
  int64_t overlap = -1;
  bool stopped() const { return sparse || missing >= 0 || overlap >= 0; }
  py::tuple result() const {
    py::object m = py::none();
    if (missing >= 0) m = py::make_tuple(missing, missing_key);
    return py::make_tuple(leftover, sparse, m, overlap);
  }
};

struct Plan {
  py::object params, state, names;
  uint64_t state_version = 0;
  std::vector<Entry> entries;
  std::vector<Item> items;
  std::vector<c10::Storage> grads;  // this step's grads, held while the kernels run
  bool busy = false;                // a step of another thread is running on this plan
};

// Fills e from optimizer.state[p]: false (and maybe out.missing) when the kernel cannot take it.
bool build_entry(Entry& e, PyObject* obj, const at::Tensor& p, PyObject* state,
                 PyObject* const* keys, int nbufs, PyObject* step_name, int64_t index,
                 Outcome& out) {
  e.reset();
  PyObject* st = state_of(state, obj);
  if (st == nullptr || !PyDict_Check(st) || PyDict_GET_SIZE(st) == 0) return false;
  const at::Tensor* found[kMaxBuffers + 1] = {};
  for (int k = 0; k <= nbufs; ++k) {
    PyObject* key = k < nbufs ? keys[k] : step_name;
    if (key == nullptr) continue;
    PyObject* value = PyDict_GetItem(st, key);
    if (value == nullptr) {  // torch.optim raises KeyError here
      if (out.missing < 0) {
        out.missing = index;
        out.missing_key = py::reinterpret_borrow<py::object>(key);
      }
      return false;
    }
    found[k < nbufs ? k : kMaxBuffers] = tensor_in(value);
    if (found[k < nbufs ? k : kMaxBuffers] == nullptr) return false;
  }
  if (!fits_param(p) || !fits_step(*found[kMaxBuffers])) return false;
  for (int k = 0; k < nbufs; ++k)
    if (found[k] != nullptr && !same_layout(*found[k], p)) return false;
  e.param = obj;
  e.p = p;
  e.state = py::reinterpret_borrow<py::object>(st);
  e.state_version = version(st);
  e.sizes = p.sizes().vec();
  e.strides = p.strides().vec();
  e.item.w = p.data_ptr();
  for (int k = 0; k < kMaxBuffers; ++k) {
    if (k < nbufs && found[k] != nullptr) e.held[k] = *found[k];
    e.item.b[k] = e.held[k].defined() ? e.held[k].data_ptr() : nullptr;
  }
  e.held[kMaxBuffers] = *found[kMaxBuffers];
  e.hold_storage();
  e.item.step = e.held[kMaxBuffers].data_ptr();
  e.item.step_double = e.held[kMaxBuffers].scalar_type() == at::kDouble;
  e.item.n = p.numel();
  e.item.dtype = dtype_index(p.scalar_type());
  e.ready = true;
  return true;
}

bool same_names(const py::object& a, const py::tuple& b) {
  if (!a || PyTuple_GET_SIZE(a.ptr()) != PyTuple_GET_SIZE(b.ptr())) return false;
  for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(b.ptr()); ++k)
    if (PyTuple_GET_ITEM(a.ptr(), k) != PyTuple_GET_ITEM(b.ptr(), k)) return false;
  return true;
}

Outcome gather_group(Plan& plan, py::list params, py::dict state, py::tuple names,
                     py::object step_name) {
  Outcome out;
  const Py_ssize_t count = PyList_GET_SIZE(params.ptr());
  const int nbufs = (int)PyTuple_GET_SIZE(names.ptr());
  TORCH_CHECK(nbufs <= kMaxBuffers, "too many state buffers");
  PyObject* keys[kMaxBuffers];
  for (int k = 0; k < nbufs; ++k) {
    keys[k] = PyTuple_GET_ITEM(names.ptr(), k);
    if (keys[k] == Py_None) keys[k] = nullptr;
  }
  if (!plan.params.is(params) || !plan.state.is(state) || !same_names(plan.names, names) ||
      version(state.ptr()) != plan.state_version || (Py_ssize_t)plan.entries.size() != count) {
    plan.entries.clear();
    plan.entries.resize(count);
    plan.params = params;
    plan.state = state;
    plan.names = names;
    plan.state_version = version(state.ptr());
  }
  plan.items.clear();
  plan.grads.clear();
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
    Entry& e = plan.entries[i];
    if (!(e.param == obj && e.current(*p)) &&
        !build_entry(e, obj, *p, state.ptr(), keys, nbufs, step_name.ptr(), i, out)) {
      out.leftover.push_back(i);
      continue;
    }
    if (!same_layout(g, *p)) {
      out.leftover.push_back(i);
      continue;
    }
    if (partial_overlap(*p, g)) {
      if (out.overlap < 0) out.overlap = i;
      out.leftover.push_back(i);
      continue;
    }
    Item item = e.item;
    item.g = g.const_data_ptr();
    plan.items.push_back(item);
    plan.grads.push_back(g.storage());
  }
  return out;
}

// `buffers`: one list per kernel slot (None for an unused slot); `steps`: a list or None.
Outcome gather_lists(Plan& plan, py::list params, py::list grads, py::list buffers,
                     py::object steps) {
  Outcome out;
  const Py_ssize_t count = PyList_GET_SIZE(params.ptr());
  const int nbufs = (int)PyList_GET_SIZE(buffers.ptr());
  TORCH_CHECK(nbufs <= kMaxBuffers, "too many state buffers");
  TORCH_CHECK(PyList_GET_SIZE(grads.ptr()) == count, "params and grads differ in length");
  PyObject* lists[kMaxBuffers] = {};
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
  plan.entries.assign(count, Entry());
  plan.items.clear();
  plan.grads.clear();
  for (Py_ssize_t i = 0; i < count; ++i) {
    const at::Tensor* p = tensor_in(PyList_GET_ITEM(params.ptr(), i));
    const at::Tensor* g = tensor_in(PyList_GET_ITEM(grads.ptr(), i));
    bool ok = p != nullptr && g != nullptr && fits_param(*p) && same_layout(*g, *p) &&
              !partial_overlap(*p, *g);
    Entry& e = plan.entries[i];
    for (int k = 0; k < nbufs && ok; ++k) {
      if (lists[k] == nullptr) continue;
      const at::Tensor* b = tensor_in(PyList_GET_ITEM(lists[k], i));
      ok = b != nullptr && same_layout(*b, *p);
      if (ok) e.held[k] = *b;
    }
    if (ok && step_list != nullptr) {
      const at::Tensor* s = tensor_in(PyList_GET_ITEM(step_list, i));
      ok = s != nullptr && fits_step(*s);
      if (ok) e.held[kMaxBuffers] = *s;
    }
    if (!ok) {
      out.leftover.push_back(i);
      continue;
    }
    Item item{};
    item.w = p->data_ptr();
    item.g = g->const_data_ptr();
    for (int k = 0; k < kMaxBuffers; ++k)
      item.b[k] = e.held[k].defined() ? e.held[k].data_ptr() : nullptr;
    item.step = e.held[kMaxBuffers].defined() ? e.held[kMaxBuffers].data_ptr() : nullptr;
    item.step_double = item.step != nullptr &&
                       e.held[kMaxBuffers].scalar_type() == at::kDouble;
    item.n = p->numel();
    item.dtype = dtype_index(p->scalar_type());
    e.p = *p;
    e.hold_storage();
    plan.items.push_back(item);
    plan.grads.push_back(g->storage());
  }
  return out;
}

// Every item of the step, split over the threads as one range of elements.
void run_items(const std::vector<Item>& items, RangeFn const* fns, const void* args,
               int nthreads) {
  for (const Item& it : items) {
    if (it.step == nullptr) continue;
    if (it.step_double) *static_cast<double*>(it.step) += 1.0;
    else *static_cast<float*>(it.step) += 1.0f;
  }
  std::vector<int64_t> start(items.size() + 1, 0);
  for (size_t k = 0; k < items.size(); ++k) start[k + 1] = start[k] + items[k].n;
  const int64_t total = start.back();
  if (nthreads <= 1 || total < kParallelMin) {
    for (const Item& it : items) fns[it.dtype](it, 0, it.n, args);
    return;
  }
  // small enough that every thread gets several chunks, a whole number of cache lines
  const int64_t chunk = std::max<int64_t>(
      4096, std::min<int64_t>(kChunk, (total / (nthreads * 8) + 63) / 64 * 64));
  const int64_t nchunks = (total + chunk - 1) / chunk;
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1)
  for (int64_t c = 0; c < nchunks; ++c) {
    int64_t lo = c * chunk;
    const int64_t hi = std::min(total, lo + chunk);
    size_t k = std::upper_bound(start.begin(), start.end(), lo) - start.begin() - 1;
    for (; lo < hi && k < items.size(); ++k) {
      const int64_t end = std::min(hi, start[k + 1]);
      if (end > lo) fns[items[k].dtype](items[k], lo - start[k], end - start[k], args);
      lo = std::max(lo, end);
    }
  }
}

template <typename Gather>
py::tuple step(Plan& shared, Gather gather, RangeFn const* fns, const void* args, int nthreads) {
  Plan local;  // a step already running on the shared plan (another thread) gets its own
  Plan& plan = shared.busy ? local : shared;
  Outcome out = gather(plan);
  if (!out.stopped()) {
    plan.busy = true;
    {
      py::gil_scoped_release release;
      run_items(plan.items, fns, args, nthreads);
    }
    plan.busy = false;
  }
  plan.grads.clear();  // with the GIL: the last reference may free a Python-owned storage
  return out.result();
}

optbridge::RmsArgs rms_args(double lr, double alpha, double eps, double wd, double mom,
                            int wd_mode, int mom_mode, bool centered, bool eps_in_sqrt,
                            bool maximize, int64_t sqrt_f32, int64_t sqrt_f64) {
  return optbridge::RmsArgs{lr, alpha, eps, wd, mom, wd_mode, mom_mode, centered, eps_in_sqrt,
                            maximize, reinterpret_cast<void*>(sqrt_f32),
                            reinterpret_cast<void*>(sqrt_f64)};
}

void rms_fns(const optbridge::RmsArgs& a, RangeFn* fns) {
  for (int d = 0; d < optbridge::NUM_DTYPES; ++d)
    fns[d] = table()->rms[d][a.wd_mode][a.centered ? 1 : 0][a.mom_mode];
}

void rprop_fns(double wd, RangeFn* fns) {
  for (int d = 0; d < optbridge::NUM_DTYPES; ++d) fns[d] = table()->rprop[d][wd != 0.0];
}

}  // namespace

PYBIND11_MODULE(OPTBRIDGE_MODULE, m) {
  py::class_<Plan>(m, "Plan").def(py::init<>());
  m.def("set_table", [](int64_t address) {
    g_table = reinterpret_cast<const KernelTable*>(address);
  });
  m.def("rmsprop_group", [](Plan& plan, py::list params, py::dict state, py::tuple names,
                            py::object step_name, double lr, double alpha, double eps, double wd,
                            double mom, int wd_mode, int mom_mode, bool centered,
                            bool eps_in_sqrt, bool maximize, int64_t sqrt_f32, int64_t sqrt_f64,
                            int nthreads) {
    const auto a = rms_args(lr, alpha, eps, wd, mom, wd_mode, mom_mode, centered, eps_in_sqrt,
                            maximize, sqrt_f32, sqrt_f64);
    RangeFn fns[optbridge::NUM_DTYPES];
    rms_fns(a, fns);
    return step(plan, [&](Plan& p) { return gather_group(p, params, state, names, step_name); },
                fns, &a, nthreads);
  });
  m.def("rmsprop_lists", [](py::list params, py::list grads, py::list buffers, py::object steps,
                            double lr, double alpha, double eps, double wd, double mom,
                            int wd_mode, int mom_mode, bool centered, bool eps_in_sqrt,
                            bool maximize, int64_t sqrt_f32, int64_t sqrt_f64, int nthreads) {
    const auto a = rms_args(lr, alpha, eps, wd, mom, wd_mode, mom_mode, centered, eps_in_sqrt,
                            maximize, sqrt_f32, sqrt_f64);
    RangeFn fns[optbridge::NUM_DTYPES];
    rms_fns(a, fns);
    Plan plan;
    return step(plan, [&](Plan& p) { return gather_lists(p, params, grads, buffers, steps); },
                fns, &a, nthreads);
  });
  m.def("rprop_group", [](Plan& plan, py::list params, py::dict state, py::tuple names,
                          py::object step_name, double etaminus, double etaplus, double lo,
                          double hi, double wd, bool maximize, int nthreads) {
    const optbridge::RpropArgs a{etaminus, etaplus, lo, hi, wd, maximize};
    RangeFn fns[optbridge::NUM_DTYPES];
    rprop_fns(wd, fns);
    return step(plan, [&](Plan& p) { return gather_group(p, params, state, names, step_name); },
                fns, &a, nthreads);
  });
  m.def("rprop_lists", [](py::list params, py::list grads, py::list buffers, py::object steps,
                          double etaminus, double etaplus, double lo, double hi, double wd,
                          bool maximize, int nthreads) {
    const optbridge::RpropArgs a{etaminus, etaplus, lo, hi, wd, maximize};
    RangeFn fns[optbridge::NUM_DTYPES];
    rprop_fns(wd, fns);
    Plan plan;
    return step(plan, [&](Plan& p) { return gather_lists(p, params, grads, buffers, steps); },
                fns, &a, nthreads);
  });
}
"""
