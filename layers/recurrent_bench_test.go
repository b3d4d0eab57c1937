package layers

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/internal/procmem"
)

// BenchmarkSHDShape times one forward and backward pass of a network of
// the Spiking Heidelberg Digits' shape: 700 input channels through a Linear
// into 256 hidden neurons, 20 LI outputs, T = 100, batch 64, the input
// binary spikes at 5 % activity. The hidden layer is recurrent all to all
// (rlif), one to one (rlif-1to1), or a plain LIF for comparison (lif), or
// RadLIF with sparch's defaults, on its fused scan (radlif) or with its
// recurrence stepped (radlif-stepped, steppedRadLIF).
// Loss: the cross-entropy of the read-out membranes summed over the time
// steps (snnTorch's tutorials' loss, and bench/reference/shd_rleaky.py's),
// with fixed random labels. Besides the wall time it reports the process's
// CPU time per pass (cpu-ms/op, all threads), steadier on a shared machine.
// The kernels run on as many goroutines as -cpu gives the benchmark
// (GOMAXPROCS), so that -cpu 1 measures one thread.
func BenchmarkSHDShape(b *testing.B) {
	const T, B, In, H, Out = 100, 64, 700, 256, 20
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, T*B*In)
	for i := range x {
		if rng.Float64() < 0.05 {
			x[i] = 1
		}
	}
	labels := make([]int, B)
	for i := range labels {
		labels[i] = rng.IntN(Out)
	}
	lif := LIFConfig{Beta: 0.95}
	for _, c := range []struct {
		name   string
		hidden Neuron
	}{
		{"lif", NewLIF("hidden", H, lif)},
		{"rlif", NewRLIF("hidden", H, lif, RecurrentConfig{RNG: rng})},
		{"rlif-1to1", NewRLIF("hidden", H, lif, RecurrentConfig{OneToOne: true})},
		{"radlif", NewRadLIF("hidden", H, AdLIFConfig{RNG: rng})},
		{"radlif-stepped", steppedRadLIF{NewRadLIF("hidden", H, AdLIFConfig{RNG: rng})}},
	} {
		b.Run(c.name, func(b *testing.B) {
			defer kernels.SetThreads(kernels.SetThreads(runtime.GOMAXPROCS(0)))
			net := NewSequential(
				NewLinear("fc1", In, H, LinearConfig{RNG: rng}),
				c.hidden,
				NewLinear("fc2", H, Out, LinearConfig{RNG: rng}),
				NewLI("out", Out, LIConfig{Beta: 0.9}))
			params := net.Params()
			tp := autograd.NewTape()
			var tr *Trace
			cpu0, cpuOK := procmem.CPUTime()
			b.ResetTimer()
			for range b.N {
				tp.Reset()
				in := tp.Constant(x, T, B, In)
				in.SetBinary()
				tr = net.Forward(tp, in, 0)
				// Σ_t mean_b CE = T · (the mean over all T·B rows).
				tp.Backward(tp.Scale(tp.CrossEntropy(tr.Mem(), labels), T))
				for _, p := range params {
					p.ZeroGrad()
				}
			}
			b.StopTimer()
			if cpu1, ok := procmem.CPUTime(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/1e6/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

// steppedRadLIF is RadLIF with its recurrence stepped on the tape: per time
// step the recurrent product (autograd's MatMul, event-driven on sparse
// spikes) and one fused AdLIF scan step (T = 1), RadLIF's multi-step path
// before its fused scan, kept as the benchmark's point of comparison.
type steppedRadLIF struct{ *RadLIF }

func (l steppedRadLIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

func (l steppedRadLIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	const op = "steppedRadLIF.Scan"
	T, B := seqDims(op, x, l.N)
	v := l.recurrent(t)
	spks, mems := make([]*autograd.Var, T), make([]*autograd.Var, T)
	var s AdLIFState
	for i := range T {
		xi := t.Reshape(t.Slice(x, 0, i, i+1), B, l.N)
		cur := t.Reshape(radInput(t, xi, s.Spk, v), 1, B, l.N)
		spks[i], mems[i], s = runAdLIF(t, op, &l.adlifParams, &l.Config, cur, 1, B, l.N, s, nil)
	}
	return t.Concat(0, spks...), t.Concat(0, mems...)
}
