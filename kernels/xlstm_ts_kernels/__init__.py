"""Triton kernels for the xLSTM cells (imported lazily by xlstm_ts.ops.dispatch)."""
