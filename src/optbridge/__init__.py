"""optbridge: fused RMSprop/Rprop for PyTorch, other frameworks' optimizer semantics on the same
engine, a simulated Ascend NPU, and the tooling behind the bilingual migration site."""

__version__ = "0.1.0"
