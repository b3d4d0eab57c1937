# Reference values for layers/batchnorm_test.go (TestBatchNormPyTorch): BatchNorm through time in the three
# modes of layers.BatchNorm, computed with Debian's python3-torch (PyTorch 1.13) and written to
# layers/testdata/batchnorm_torch.json. Never run by CI or go test; regenerate with
#   /usr/bin/python3 bench/reference/batchnorm.py > layers/testdata/batchnorm_torch.json
#
# The input is a sequence x [T, B, C*S] read as [T*B, C, 1, S] (channel-major, as layers.Conv2d lays out its
# output); its values and the weights of the summed loss L = sum(w * y) follow closed formulas that the Go test
# repeats. Modes:
#   shared:   torch.nn.BatchNorm2d over the T*B frames (SpikingJelly's SeqToANNContainer(BatchNorm2d))
#   per_step: one torch.nn.BatchNorm2d per step with bias None (BNTT's code: bn.bias = None)
#   tdbn:     torch.nn.BatchNorm2d(affine=False) scaled by alpha*V_th, then gamma and beta (tdBN)
# After the training step (batch statistics, running statistics updated once) it records the inference output
# (eval mode, running statistics) of the same input.
import json, math
import torch
import torch.nn as nn

T, B, C, S = 3, 2, 2, 3
EPS, MOM, ALPHA, VTH = 1e-5, 0.1, 0.7, 1.3

def inputs():
    n = T * B * C * S
    x = torch.tensor([math.sin(1 + 0.37 * i) * 2 + 0.5 * ((i // S) % C) for i in range(n)], dtype=torch.float32)
    w = torch.tensor([math.cos(0.11 * i) for i in range(n)], dtype=torch.float32)
    return x.reshape(T, B, C, 1, S), w.reshape(T, B, C, 1, S)

def gamma(k):  # gamma of channel c (and step t for per_step: k = t*C + c)
    return 1 + 0.1 * k

def beta(c):
    return 0.05 * c - 0.1

def run(mode):
    x, w = inputs()
    x.requires_grad_(True)
    if mode == "per_step":
        bns = [nn.BatchNorm2d(C, eps=EPS, momentum=MOM) for _ in range(T)]
        for t, bn in enumerate(bns):
            bn.bias = None
            with torch.no_grad():
                bn.weight.copy_(torch.tensor([gamma(t * C + c) for c in range(C)]))
        y = torch.stack([bns[t](x[t]) for t in range(T)])
        (y * w).sum().backward()
        for bn in bns:
            bn.eval()
        with torch.no_grad():
            yi = torch.stack([bns[t](x[t]) for t in range(T)])
        gw = torch.cat([bn.weight.grad for bn in bns])
        gb = None
        rm = torch.cat([bn.running_mean for bn in bns])
        rv = torch.cat([bn.running_var for bn in bns])
    else:
        g = torch.tensor([gamma(c) for c in range(C)], requires_grad=True)
        b = torch.tensor([beta(c) for c in range(C)], requires_grad=True)
        bn = nn.BatchNorm2d(C, eps=EPS, momentum=MOM, affine=False)
        k = ALPHA * VTH if mode == "tdbn" else 1.0
        f = lambda v: (k * bn(v.reshape(T * B, C, 1, S))) * g.reshape(1, C, 1, 1) + b.reshape(1, C, 1, 1)
        y = f(x)
        (y.reshape(T, B, C, 1, S) * w).sum().backward()
        bn.eval()
        with torch.no_grad():
            yi = f(x)
        gw, gb = g.grad, b.grad
        rm, rv = bn.running_mean, bn.running_var
    out = lambda v: None if v is None else [float(a) for a in v.detach().reshape(-1)]
    return {"y": out(y), "dx": out(x.grad), "dweight": out(gw), "dbias": out(gb),
            "running_mean": out(rm), "running_var": out(rv), "y_inference": out(yi)}

print(json.dumps({"source": "bench/reference/batchnorm.py, PyTorch " + torch.__version__,
                  "T": T, "B": B, "C": C, "S": S, "eps": EPS, "momentum": MOM, "alpha": ALPHA, "threshold": VTH,
                  "modes": {m: run(m) for m in ["shared", "per_step", "tdbn"]}}, indent=1))
