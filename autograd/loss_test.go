package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
)

func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	t.Run("LogSoftmax", func(t *testing.T) {
		x := uniformParam(rng, "x", -3, 3, nil, 2, 3, 4)
		check(t, func(tp *autograd.Tape) *autograd.Var { return tp.LogSoftmax(tp.Param(x)) }, x)
	})
	t.Run("CrossEntropy", func(t *testing.T) {
		x := uniformParam(rng, "x", -3, 3, nil, 4, 5)
		check(t, func(tp *autograd.Tape) *autograd.Var { return tp.CrossEntropy(tp.Param(x), []int{0, 4, 2, 2}) }, x)
	})
	t.Run("CrossEntropy3D", func(t *testing.T) {
		x := uniformParam(rng, "x", -3, 3, nil, 2, 3, 5)
		check(t, func(tp *autograd.Tape) *autograd.Var {
			return tp.CrossEntropy(tp.Param(x), []int{1, 4, 0, 0, 3, 2})
		}, x)
	})
	t.Run("CrossEntropyRepeatedLabels", func(t *testing.T) {
		// [T=3, B=2, C=4] with the 2 labels of the batch at every step.
		x := uniformParam(rng, "x", -3, 3, nil, 3, 2, 4)
		check(t, func(tp *autograd.Tape) *autograd.Var {
			return tp.CrossEntropy(tp.Param(x), []int{3, 1})
		}, x)
	})
	t.Run("CrossEntropyScaled", func(t *testing.T) {
		// The loss used as an intermediate value: its gradient seed is not 1.
		x := uniformParam(rng, "x", -3, 3, nil, 3, 4)
		check(t, func(tp *autograd.Tape) *autograd.Var {
			return tp.Scale(tp.CrossEntropy(tp.Param(x), []int{3, 1, 0}), 2.5)
		}, x)
	})
	t.Run("MSE", func(t *testing.T) {
		a := uniformParam(rng, "a", -1, 1, nil, 2, 3, 4)
		b := uniformParam(rng, "b", -1, 1, nil, 2, 3, 4)
		check(t, func(tp *autograd.Tape) *autograd.Var { return tp.MSE(tp.Param(a), tp.Param(b)) }, a, b)
	})
}

func TestLossValues(t *testing.T) {
	tp := autograd.NewTape()
	// Equal logits: every class has probability 1/2, so the loss is ln 2.
	wantData(t, "CE uniform", tp.CrossEntropy(tp.Constant([]float32{0, 0, 0, 0}, 2, 2), []int{0, 1}).Data, math.Ln2)
	// ln(e¹ + e² + e³) - 3 = ln(1 + e⁻¹ + e⁻²) = 0.40760596444438.
	x := tp.Constant([]float32{1, 2, 3}, 1, 3)
	wantData(t, "CE", tp.CrossEntropy(x, []int{2}).Data, 0.40760596444438)
	// log softmax [1,2,3] = [1,2,3] - ln(e¹+e²+e³) = [1,2,3] - 3.40760596444438.
	wantData(t, "LogSoftmax", tp.LogSoftmax(x).Data, -2.40760596444438, -1.40760596444438, -0.40760596444438)
	// Far-apart logits: no overflow. -log softmax([1000, 0])_1 = 1000 + ln(1 + e⁻¹⁰⁰⁰) = 1000.
	big := tp.Constant([]float32{1000, 0}, 1, 2)
	wantData(t, "CE big", tp.CrossEntropy(big, []int{1}).Data, 1000)
	wantData(t, "CE big right", tp.CrossEntropy(big, []int{0}).Data, 0)
	wantData(t, "LogSoftmax big", tp.LogSoftmax(big).Data, 0, -1000)
	// (0² + 2² + (-2)²) / 3 = 8/3.
	wantData(t, "MSE", tp.MSE(tp.Constant([]float32{1, 2, 3}, 3), tp.Constant([]float32{1, 0, 5}, 3)).Data, 8.0/3)

	ce := tp.CrossEntropy(x, []int{0})
	if ce.Dims() != 0 {
		t.Errorf("CrossEntropy shape %v, want a scalar []", ce.Shape())
	}
}

// TestCrossEntropyRepeatedLabels checks that B labels repeated over the
// first axis of logits [T, B, C] give the loss and gradient of the T·B
// labels written out, bit for bit: the same rows in the same order.
func TestCrossEntropyRepeatedLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	const T, B, C = 5, 3, 4
	labels := []int{2, 0, 3}
	var full []int
	for range T {
		full = append(full, labels...)
	}
	x := uniformParam(rng, "x", -3, 3, nil, T, B, C)
	run := func(l []int) (float32, []float32) {
		x.ZeroGrad()
		tp := autograd.NewTape()
		loss := tp.Scale(tp.CrossEntropy(tp.Param(x), l), 1.5)
		tp.Backward(loss)
		return loss.Item(), append([]float32(nil), x.Grad...)
	}
	l1, g1 := run(full)
	l2, g2 := run(labels)
	if l1 != l2 {
		t.Errorf("loss %v with repeated labels, %v with the labels written out", l2, l1)
	}
	for i := range g1 {
		if g1[i] != g2[i] {
			t.Fatalf("grad[%d] = %v with repeated labels, %v with the labels written out", i, g2[i], g1[i])
		}
	}
}

// TestCrossEntropyBackwardValues checks the gradient by hand: for logits
// [[0,0],[ln 3, 0]] with labels [0, 1], softmax is [[1/2,1/2],[3/4,1/4]], so
// dL/dx = (softmax - onehot)/2 = [[-1/4, 1/4], [3/8, -3/8]].
func TestCrossEntropyBackwardValues(t *testing.T) {
	p := autograd.NewParam("x", []float32{0, 0, float32(math.Log(3)), 0}, 2, 2)
	tp := autograd.NewTape()
	tp.Backward(tp.CrossEntropy(tp.Param(p), []int{0, 1}))
	wantData(t, "grad", p.Grad, -0.25, 0.25, 0.375, -0.375)
}

func TestLossShapeErrors(t *testing.T) {
	tp := autograd.NewTape()
	x := tp.New(2, 3)
	for _, c := range []struct {
		op string
		fn func()
	}{
		{"CrossEntropy", func() { tp.CrossEntropy(x, []int{0}) }},
		{"CrossEntropy", func() { tp.CrossEntropy(x, []int{0, 3}) }},
		{"CrossEntropy", func() { tp.CrossEntropy(tp.SumAll(x), []int{0}) }},
		// [2, 3, 4] has 6 rows, 3 in logits[0]: 2 labels fit neither.
		{"CrossEntropy", func() { tp.CrossEntropy(tp.New(2, 3, 4), []int{0, 1}) }},
		{"CrossEntropy", func() { tp.CrossEntropy(tp.New(2, 3, 4), []int{0, 1, 4}) }},
		{"LogSoftmax", func() { tp.LogSoftmax(tp.SumAll(x)) }},
		{"MSE", func() { tp.MSE(x, tp.New(3, 2)) }},
	} {
		wantShapeError(t, c.op, c.fn)
	}
}
