"""torch_npu (``torch_npu.optim.NpuFusedRMSprop``)."""
