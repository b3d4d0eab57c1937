# Reference measurement for docs/benchmarks.md ("Recurrent layers"): the step time of snnTorch's
# RLeaky in a network of the Spiking Heidelberg Digits' shape, written with plain PyTorch (snnTorch
# itself is not installable here). Run by hand with Debian's python3-torch, never by CI:
#
#   OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/reference/shd_rleaky.py THREADS [ITERS] [--hoist]
#
# side by side, in the same session, with
#
#   go test ./layers -run '^$' -bench SHDShape -cpu THREADS
#
# Network (as BenchmarkSHDShape in layers/recurrent_bench_test.go): 700 binary inputs at 5 %
# activity -> nn.Linear(700, 256) -> RLeaky(256, all to all) -> nn.Linear(256, 20) -> Leaky(20,
# reset "none", the membrane read out), T = 100, batch 64; loss: the cross-entropy of the read-out
# membrane summed over time steps (snnTorch tutorial 5's loss) with fixed random labels; one
# forward and backward pass per iteration, gradients zeroed after it (no optimizer step). It
# prints the median milliseconds per iteration (one training step of the whole sequence), wall
# and process CPU time (as BenchmarkSHDShape's ns/op and cpu-ms/op).
#
# Transcribed from snnTorch 0.9.1 (snntorch/_neurons/rleaky.py, class RLeaky, and the LIF base
# class's fire and mem_reset in snntorch/_neurons/neurons.py), defaults unless noted:
#   reset  = H(mem[t-1] - threshold), detached            (mem_reset: spike_grad(...).clone().detach())
#   mem[t] = beta.clamp(0, 1)*mem[t-1] + input[t] + recurrent(spk[t-1]) - reset*threshold
#                                                        (_base_state_function, _base_sub: "subtract")
#   spk[t] = spike_grad(mem[t] - threshold)         (fire; graded_spikes_factor 1)
#   recurrent = nn.Linear(N, N) with its bias            (all_to_all=True, linear_features=N,
#                                                         learn_recurrent=True)
#   spk[-1] = mem[-1] = 0                                (reset_mem / zeros_like on first call)
#   reset_delay=True (the default): no second reset within the step.
# Surrogate: the fast sigmoid of slope 25, d/dx = 1/(25|x| + 1)^2 (snnTorch's
# surrogate.fast_sigmoid(), and spikegrad's default), in place of RLeaky's default ATan (alpha 2):
# both networks then compute the same thing, and the surrogate's cost is the same order either way.
# As in snnTorch's tutorials, every layer is stepped in Python at every time step, the input
# projection included (fc1 applied to x[t] inside the loop); with --hoist fc1 is applied to the
# whole sequence at once before the loop (one [T*B, 700] x [700, 256] product), as spikegrad does.
# The spikegrad layer has no recurrent bias (the Linear in front has one); snnTorch's is kept here.
import statistics
import sys
import time

import torch
import torch.nn as nn

from surrogate import spike  # bench/reference/surrogate.py: snnTorch's fast_sigmoid(slope=25)

T, B, IN, H, OUT = 100, 64, 700, 256, 20


class RLeaky(nn.Module):
    # snntorch.RLeaky(beta, linear_features=N, spike_grad=fast_sigmoid()), reset "subtract".
    def __init__(self, n, beta, threshold=1.0):
        super().__init__()
        self.register_buffer("beta", torch.as_tensor(beta))
        self.register_buffer("threshold", torch.as_tensor(threshold))
        self.recurrent = nn.Linear(n, n)

    def forward(self, input_, spk, mem):
        reset = spike(mem - self.threshold).clone().detach()
        mem = self.beta.clamp(0, 1) * mem + input_ + self.recurrent(spk) - reset * self.threshold
        spk = spike(mem - self.threshold)
        return spk, mem


class Leaky(nn.Module):
    # snntorch.Leaky(beta, reset_mechanism="none"): the read-out, its membrane used.
    def __init__(self, beta, threshold=1.0):
        super().__init__()
        self.register_buffer("beta", torch.as_tensor(beta))
        self.register_buffer("threshold", torch.as_tensor(threshold))

    def forward(self, input_, mem):
        mem = self.beta.clamp(0, 1) * mem + input_
        spk = spike(mem - self.threshold)
        return spk, mem


class Net(nn.Module):
    def __init__(self, hoist):
        super().__init__()
        self.hoist = hoist
        self.fc1 = nn.Linear(IN, H)
        self.rlif1 = RLeaky(H, beta=0.95)
        self.fc2 = nn.Linear(H, OUT)
        self.out = Leaky(beta=0.9)

    def forward(self, x):
        spk1 = torch.zeros(B, H)
        mem1 = torch.zeros(B, H)
        mem2 = torch.zeros(B, OUT)
        # unbind, not cur[t]: indexing would make every step's backward add into a
        # zeroed copy of the whole sequence.
        cur = self.fc1(x).unbind(0) if self.hoist else None
        mems = []
        for t in range(T):
            cur1 = cur[t] if self.hoist else self.fc1(x[t])
            spk1, mem1 = self.rlif1(cur1, spk1, mem1)
            _, mem2 = self.out(self.fc2(spk1), mem2)
            mems.append(mem2)
        return torch.stack(mems)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    threads = int(args[0]) if args else 1
    iters = int(args[1]) if len(args) > 1 else 10
    hoist = "--hoist" in sys.argv
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = (torch.rand(T, B, IN) < 0.05).float()
    labels = torch.randint(0, OUT, (B,))
    net = Net(hoist)
    ce = nn.CrossEntropyLoss()
    times, cpus = [], []
    for i in range(iters + 2):  # two warm-up iterations
        t0, c0 = time.perf_counter(), time.process_time()
        mem = net(x)
        loss = sum(ce(mem[t], labels) for t in range(T))
        loss.backward()
        net.zero_grad()
        if i >= 2:
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    # Wall time, and the process's CPU time (all threads): steadier on a shared machine.
    print(f"torch {torch.__version__} threads={threads} hoist={hoist} iters={iters}: "
          f"median {1e3 * statistics.median(times):.1f} ms/step "
          f"(min {1e3 * min(times):.1f}, max {1e3 * max(times):.1f}), "
          f"cpu median {1e3 * statistics.median(cpus):.1f} ms/step")


if __name__ == "__main__":
    main()
