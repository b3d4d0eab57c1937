package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

// mlp is a dense two-layer classifier, in → hidden → classes, trained by
// plain SGD: the smallest complete training step.
type mlp struct {
	w1, b1, w2, b2 *autograd.Param
	x              []float32 // one batch [batch, in]
	labels         []int
	batch, in      int
	lr             float32
}

func newMLP(rng *rand.Rand, batch, in, hidden, classes int) *mlp {
	m := &mlp{batch: batch, in: in, lr: 0.1}
	// Uniform in ±1/√fan-in (the default Linear initialisation of PyTorch).
	m.w1 = scaledParam(rng, "w1", 1/math.Sqrt(float64(in)), in, hidden)
	m.b1 = scaledParam(rng, "b1", 1/math.Sqrt(float64(in)), hidden)
	m.w2 = scaledParam(rng, "w2", 1/math.Sqrt(float64(hidden)), hidden, classes)
	m.b2 = scaledParam(rng, "b2", 1/math.Sqrt(float64(hidden)), classes)
	m.x = make([]float32, batch*in)
	for i := range m.x {
		m.x[i] = float32(rng.Float64())
	}
	m.labels = make([]int, batch)
	for i := range m.labels {
		m.labels[i] = rng.IntN(classes)
	}
	return m
}

func scaledParam(rng *rand.Rand, name string, scale float64, shape ...int) *autograd.Param {
	p := autograd.NewParam(name, nil, shape...)
	for i := range p.Data {
		p.Data[i] = float32(scale * (2*rng.Float64() - 1))
	}
	return p
}

// step runs forward, backward and an SGD update on tp and resets it; it
// returns the loss. custom selects a Custom sigmoid in place of Sigmoid.
func (m *mlp) step(tp *autograd.Tape, custom bool) float32 {
	x := tp.Input(m.x, m.batch, m.in)
	h := tp.AddBias(tp.MatMul(x, tp.Param(m.w1)), tp.Param(m.b1))
	if custom {
		h = tp.Custom(h, logistic, logisticDeriv)
	} else {
		h = tp.Sigmoid(h)
	}
	logits := tp.AddBias(tp.MatMul(h, tp.Param(m.w2)), tp.Param(m.b2))
	loss := tp.CrossEntropy(logits, m.labels)
	tp.Backward(loss)
	l := loss.Item()
	for _, p := range []*autograd.Param{m.w1, m.b1, m.w2, m.b2} {
		for i, g := range p.Grad {
			p.Data[i] -= m.lr * g
		}
		p.ZeroGrad()
	}
	tp.Reset()
	return l
}

func logistic(x float32) float32 { return 1 / (1 + float32(math.Exp(-float64(x)))) }

func logisticDeriv(x float32) float32 {
	s := logistic(x)
	return s * (1 - s)
}

// TestTrainStepAllocs proves the arena: once the first step has sized the
// tape's pools and arena, a whole training step (forward, backward, SGD,
// Reset) allocates nothing, and the arena does not grow.
func TestTrainStepAllocs(t *testing.T) {
	for _, custom := range []bool{false, true} {
		m := newMLP(rand.New(rand.NewPCG(51, 52)), 16, 32, 24, 5)
		tp := autograd.NewTape()
		first := m.step(tp, custom) // warm-up: sizes the arena and pools
		held, _ := tp.ArenaBytes()
		var last float32
		allocs := testing.AllocsPerRun(50, func() { last = m.step(tp, custom) })
		if allocs != 0 {
			t.Errorf("custom=%v: %v allocations per step, want 0", custom, allocs)
		}
		if h, _ := tp.ArenaBytes(); h != held {
			t.Errorf("custom=%v: arena grew from %d to %d bytes", custom, held, h)
		}
		// 51 steps of SGD on one fixed batch must lower the loss: a check
		// that the step being measured really trains.
		if !(last < first) {
			t.Errorf("custom=%v: loss %v after training, %v before", custom, last, first)
		}
	}
}

// BenchmarkTrainStep measures one dense (non-spiking) 784-1000-10 training
// step with batch 128: two GEMMs forward, four backward, sigmoid, fused
// cross-entropy, SGD and Reset.
func BenchmarkTrainStep(b *testing.B) {
	const batch = 128
	m := newMLP(rand.New(rand.NewPCG(53, 54)), batch, 784, 1000, 10)
	m.lr = 0.01
	tp := autograd.NewTape()
	m.step(tp, false)
	b.ReportAllocs()
	steps := 0
	for b.Loop() {
		m.step(tp, false)
		steps++
	}
	b.ReportMetric(float64(batch*steps)/b.Elapsed().Seconds(), "samples/s")
}
