# The spike function of the reference scripts (tutorial5.py, shd_rleaky.py), imported from the
# scripts' folder: snnTorch's surrogate.fast_sigmoid(slope=25), a Heaviside step forward and
# 1/(25|x| + 1)^2 backward (snntorch/surrogate.py, class FastSigmoid), spikegrad's default.
import torch


class FastSigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).float()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (25 * x.abs() + 1.0) ** 2


spike = FastSigmoid.apply
