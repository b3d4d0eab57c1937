# Reference measurement for the Open Neuromorphic SNN library benchmark's shape, run by hand
# (never by CI or go test) with Debian's python3-torch:
#   /usr/bin/python3 bench/reference/on_benchmark.py [NEURONS] [THREADS]
#
# The benchmark (open-neuromorphic.github.io, content/english/blog/
# spiking-neural-network-framework-benchmarking/docker/run_benchmark.py and utils.py): one
# nn.Linear(n, n) (with bias) and one snnTorch Leaky(beta=0.95) layer, input torch.randn(T=500,
# B=16, n), stepped in Python one time step at a time as snnTorch's entry does (fc on the step's
# input, then the neuron), the output the stacked spikes [T, B, n], the loss output.sum().
# It times the forward pass alone, and the backward pass alone (loss.backward(retain_graph=True)
# on one recorded forward pass), each over at least 2 s and 3 runs after one warm-up call.
#
# snnTorch's Leaky written with plain PyTorch: reset by subtraction of the threshold (1) with
# reset = H(mem_prev - thr) detached, mem = beta*mem + cur - reset*thr, spk = H(mem - thr), and
# snnTorch's default surrogate, the arctangent with alpha = 2:
#   dS/dmem = alpha/2 / (1 + (pi/2 * alpha * (mem - thr))^2).
# Prints the median forward and backward times and the peak resident memory of the process
# (ru_maxrss: one forward and one backward pass, plus PyTorch and the input).
import math, resource, sys, time
import torch
import torch.nn as nn


class ATan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).float()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        alpha = 2.0
        return alpha / 2 / (1 + (math.pi / 2 * alpha * x).pow(2)) * g


spike = ATan.apply


class Model(nn.Module):
    def __init__(self, n, beta=0.95, thr=1.0):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.beta, self.thr = beta, thr

    def forward(self, x):
        mem = torch.zeros(x.shape[1], x.shape[2])
        out = []
        for inp in x:
            cur = self.fc(inp)
            reset = (mem - self.thr > 0).float()  # detached: no graph through the comparison
            mem = self.beta * mem + cur - reset * self.thr
            out.append(spike(mem - self.thr))
        return torch.stack(out)


def timeit(f, min_runs=3, min_time=2.0):
    f()  # warm-up call
    times = []
    while sum(times) <= min_time or len(times) < min_runs:
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return times


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    T, B = 500, 16
    model = Model(n)
    x = torch.randn(T, B, n)
    with torch.no_grad():
        model(x)
    fwd = timeit(lambda: model(x))
    out = model(x)
    loss = out.sum()
    bwd = timeit(lambda: loss.backward(retain_graph=True))
    med = lambda v: sorted(v)[len(v) // 2]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"torch {torch.__version__}, {threads} threads, n = {n}, T = {T}, B = {B}: "
          f"forward median {med(fwd):.3f} s ({len(fwd)} runs), backward median {med(bwd):.3f} s "
          f"({len(bwd)} runs), peak RSS {rss / 1e6:.0f} MB, spikes {out.sum().item():.0f}")


if __name__ == "__main__":
    main()
