#!/usr/bin/python3
"""Reference mel band energies for datasets/audio_test.go, computed with
numpy alone from the textbook definitions (not from spikegrad's code):

  * frames of `frame` samples every `hop` samples, not centred, the last
    one zero-padded; periodic Hann window w[n] = 0.5 - 0.5 cos(2 pi n / frame);
  * power spectrum |rfft(frame * w, nfft)|^2 at bins f_j = j * rate / nfft;
  * mel scales: HTK, mel = 2595 log10(1 + f / 700) (HTK Book, sec. 5.4);
    Slaney's Auditory Toolbox, mel = 3 f / 200 below 1 kHz and
    15 + 27 ln(f / 1000) / ln(6.4) above (as librosa.hz_to_mel);
  * bands + 2 edges evenly spaced in mel between fmin and fmax; triangle k
    rises from edge k to edge k+1 and falls to edge k+2, evaluated at the bin
    frequencies (librosa.filters.mel); with area normalisation it is scaled
    by 2 / (edge[k+2] - edge[k]) (librosa's norm="slaney");
  * gammatone: centres = the inner points of bands + 2 evenly spaced on the
    ERB-rate scale 21.4 log10(1 + 0.00437 f) (Glasberg & Moore 1990, eq. 4),
    bandwidth b = 1.019 * 24.7 (4.37 f / 1000 + 1) (ERB, eq. 3; the 1.019 of
    Patterson et al. 1992), power weight (1 + ((f - c) / b)^2)^-4, the
    squared magnitude of a 4th-order gammatone near its centre; with area
    normalisation divided by b * 5 pi / 16 (the integral of (1 + x^2)^-4).

The signal is defined by a formula that the Go test evaluates identically.
Run from this folder: /usr/bin/python3 melref.py > melref.json
"""
import json
import numpy as np


def signal(n):
    i = np.arange(n, dtype=np.float64)
    x = (0.5 * np.sin(2 * np.pi * 440 * i / 8000)
         + 0.25 * np.sin(2 * np.pi * 1800 * i / 8000 + 0.3)
         + 0.1 * (((i * 7919) % 200) / 100 - 1))
    return x.astype(np.float32)


def hz_to_mel(f, scale):
    f = np.asarray(f, dtype=np.float64)
    if scale == "htk":
        return 2595 * np.log10(1 + f / 700)
    return np.where(f < 1000, f * 3 / 200, 15 + 27 * np.log(np.maximum(f, 1e-9) / 1000) / np.log(6.4))


def mel_to_hz(m, scale):
    m = np.asarray(m, dtype=np.float64)
    if scale == "htk":
        return 700 * (10 ** (m / 2595) - 1)
    return np.where(m < 15, m * 200 / 3, 1000 * np.exp((m - 15) * np.log(6.4) / 27))


def energies(x, rate, frame, hop, nfft, bands, fmin, fmax, scale, area, gammatone=False):
    n = len(x)
    frames = 1 if n <= frame else 1 + -(-(n - frame) // hop)
    xp = np.zeros((frames - 1) * hop + frame, dtype=np.float64)
    xp[:n] = x
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)
    spec = np.stack([np.abs(np.fft.rfft(xp[t * hop:t * hop + frame] * w, nfft)) ** 2 for t in range(frames)])
    f = np.arange(nfft // 2 + 1) * rate / nfft
    W = np.zeros((bands, nfft // 2 + 1))
    if gammatone:
        erbrate = lambda h: 21.4 * np.log10(1 + 0.00437 * h)
        e = np.linspace(erbrate(fmin), erbrate(fmax), bands + 2)
        centres = (10 ** (e / 21.4) - 1) / 0.00437
        for k in range(bands):
            c = centres[k + 1]
            b = 1.019 * 24.7 * (4.37 * c / 1000 + 1)
            W[k] = (1 + ((f - c) / b) ** 2) ** -4.0
            if area:
                W[k] /= b * 5 * np.pi / 16
        return spec @ W.T
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, scale), hz_to_mel(fmax, scale), bands + 2), scale)
    for k in range(bands):
        up = (f - edges[k]) / (edges[k + 1] - edges[k])
        down = (edges[k + 2] - f) / (edges[k + 2] - edges[k + 1])
        W[k] = np.maximum(0, np.minimum(up, down))
        if area:
            W[k] *= 2 / (edges[k + 2] - edges[k])
    return spec @ W.T


cases = []
for name, n, cfg in [
    ("htk", 1000, dict(rate=8000, frame=200, hop=80, nfft=256, bands=40, fmin=0.0, fmax=4000.0, scale="htk", area=False)),
    ("slaney-area", 777, dict(rate=8000, frame=256, hop=100, nfft=512, bands=24, fmin=100.0, fmax=3800.0, scale="slaney", area=True)),
    ("gammatone", 1000, dict(rate=8000, frame=200, hop=80, nfft=256, bands=32, fmin=50.0, fmax=4000.0, scale="htk", area=False, gammatone=True)),
    ("gammatone-area", 900, dict(rate=8000, frame=256, hop=128, nfft=512, bands=20, fmin=100.0, fmax=3500.0, scale="htk", area=True, gammatone=True)),
]:
    e = energies(signal(n), **cfg)
    cases.append(dict(name=name, samples=n, config=cfg, frames=int(e.shape[0]), energies=[float(v) for v in e.ravel()]))
print(json.dumps({"source": "datasets/testdata/audio/melref.py (numpy " + np.__version__ + ")", "cases": cases}))
