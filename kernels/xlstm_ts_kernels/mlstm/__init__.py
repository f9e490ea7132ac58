"""mLSTM Triton kernels: chunkwise-parallel forward/backward and the streaming step."""

from .wrapper import MLSTMChunkwiseFunction, mlstm, mlstm_chunkwise, mlstm_step

__all__ = ["MLSTMChunkwiseFunction", "mlstm", "mlstm_chunkwise", "mlstm_step"]
