"""Triton kernels for the xLSTM cells (imported lazily by xlstm_ts.ops.dispatch).

Entry points, same semantics as the PyTorch reference in :mod:`xlstm_ts.ops.reference`:

* :func:`mlstm` -- chunkwise-parallel mLSTM, forward + backward, any T, initial/final state.
* :func:`mlstm_step` -- one mLSTM step for streaming inference.
* :func:`slstm` / :func:`slstm_step` -- fused recurrent sLSTM, forward + backward.

CUDA tensors run compiled kernels. CPU tensors run through Triton's interpreter, which needs
``TRITON_INTERPRET=1`` in the environment *before triton is first imported*.
"""

from .mlstm import MLSTMChunkwiseFunction, mlstm, mlstm_chunkwise, mlstm_step
from .slstm import SLSTMFunction, slstm, slstm_step

__all__ = [
    "MLSTMChunkwiseFunction",
    "SLSTMFunction",
    "mlstm",
    "mlstm_chunkwise",
    "mlstm_step",
    "slstm",
    "slstm_step",
]
