"""sLSTM Triton kernels: fused recurrent forward and backward (time loop inside the kernel)."""

from .wrapper import SLSTMFunction, slstm, slstm_step

__all__ = ["SLSTMFunction", "slstm", "slstm_step"]
