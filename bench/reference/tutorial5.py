# Reference measurement for docs/benchmarks.md ("Training"): run with Debian's python3-torch,
#   python3 bench/reference/tutorial5.py /usr/share/datasets/fashion-mnist SEED

# snnTorch tutorial 5 (784-1000-10 Leaky, T=25, batch 128, Adam 5e-4, summed membrane CE)
# written with plain PyTorch: the Leaky neuron as snnTorch defines it (reset by subtraction,
# reset = H(mem_prev - thr) detached, fast-sigmoid surrogate of slope 25).
import gzip, struct, sys, time
import numpy as np
import torch
import torch.nn as nn

from surrogate import spike  # bench/reference/surrogate.py: the fast sigmoid of slope 25

torch.set_num_threads(1)

def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data[4 + 4 * nd:], dtype=np.uint8).reshape(dims)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 1000)
        self.fc2 = nn.Linear(1000, 10)
    def forward(self, x, T=25, beta=0.95, thr=1.0):
        m1 = torch.zeros(x.shape[0], 1000)
        m2 = torch.zeros(x.shape[0], 10)
        spk2s, mem2s = [], []
        cur1 = self.fc1(x)  # hoisted: the same value at every step
        for _ in range(T):
            r1 = spike(m1 - thr).detach()
            m1 = beta * m1 + cur1 - r1 * thr
            s1 = spike(m1 - thr)
            cur2 = self.fc2(s1)
            r2 = spike(m2 - thr).detach()
            m2 = beta * m2 + cur2 - r2 * thr
            s2 = spike(m2 - thr)
            spk2s.append(s2); mem2s.append(m2)
        return torch.stack(spk2s), torch.stack(mem2s)

def main(root, seed):
    torch.manual_seed(seed)
    tx = torch.tensor(idx(f"{root}/train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    ty = torch.tensor(idx(f"{root}/train-labels-idx1-ubyte.gz"), dtype=torch.long)
    vx = torch.tensor(idx(f"{root}/t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
    vy = torch.tensor(idx(f"{root}/t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=5e-4, betas=(0.9, 0.999))
    ce = nn.CrossEntropyLoss()
    perm = torch.randperm(len(tx))
    t0 = time.time()
    steps = len(tx) // 128
    for i in range(steps):
        b = perm[i * 128:(i + 1) * 128]
        spk, mem = net(tx[b])
        loss = sum(ce(mem[t], ty[b]) for t in range(25))
        opt.zero_grad(); loss.backward(); opt.step()
    dt = time.time() - t0
    with torch.no_grad():
        correct = 0
        for i in range(0, len(vx), 500):
            spk, _ = net(vx[i:i + 500])
            correct += (spk.sum(0).argmax(1) == vy[i:i + 500]).sum().item()
    print(f"seed {seed}: test accuracy {100 * correct / len(vx):.2f}%, {1000 * dt / steps:.1f} ms/step")

main(sys.argv[1], int(sys.argv[2]))
