package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/model"
)

// bnReference is BatchNorm in float64, written from the equations of its
// doc comment with two passes (mean, then centred variance): the output
// for x [T, B, C·S], and the running statistics after the step (the same
// as before in inference).
func bnReference(l *BatchNorm, x []float32, T, B int, training bool) (y, rm, rv []float64) {
	C, S, F := l.C, l.N/l.C, l.N
	groups, rows := 1, T*B
	if l.perStep() {
		groups, rows = T, B
	}
	k := 1.0
	if l.Config.Mode == BNTD {
		k = float64(l.Config.Alpha) * float64(l.Config.Threshold)
	}
	y = make([]float64, len(x))
	rm, rv = make([]float64, len(l.Mean.Data)), make([]float64, len(l.Var.Data))
	for i := range rm {
		rm[i], rv[i] = float64(l.Mean.Data[i]), float64(l.Var.Data[i])
	}
	mom, eps := float64(l.Config.Momentum), float64(l.Config.Eps)
	for g := range groups {
		for c := range C {
			p := c
			if l.perStep() {
				p = g*C + c
			}
			var idx []int
			for r := g * rows; r < (g+1)*rows; r++ {
				for s := range S {
					idx = append(idx, r*F+c*S+s)
				}
			}
			mu, v := rm[p], rv[p]
			if training {
				mu, v = 0, 0
				for _, i := range idx {
					mu += float64(x[i])
				}
				mu /= float64(len(idx))
				for _, i := range idx {
					v += (float64(x[i]) - mu) * (float64(x[i]) - mu)
				}
				v /= float64(len(idx))
				rm[p] = (1-mom)*rm[p] + mom*mu
				rv[p] = (1-mom)*rv[p] + mom*v*float64(len(idx))/float64(len(idx)-1)
			}
			b := 0.0
			if l.Bias != nil {
				b = float64(l.Bias.Data[c])
			}
			for _, i := range idx {
				y[i] = float64(l.Weight.Data[p])*k*(float64(x[i])-mu)/math.Sqrt(v+eps) + b
			}
		}
	}
	return y, rm, rv
}

// randomBN returns a BatchNorm layer of the mode with random γ, β and
// running statistics (so that none of them is its default and a mix-up
// shows).
func randomBN(rng *rand.Rand, mode BNMode, T, C, S int) *BatchNorm {
	l := NewBatchNorm("bn", C, C*S, BatchNormConfig{Mode: mode, Steps: T, Eps: float32(1e-5 + rng.Float64()*1e-3),
		Momentum: float32(0.05 + rng.Float64()*0.5), Alpha: float32(0.5 + rng.Float64()), Threshold: float32(0.5 + rng.Float64())})
	for i := range l.Weight.Data {
		l.Weight.Data[i] = float32(0.5 + rng.Float64())
		l.Mean.Data[i] = float32(rng.Float64() - 0.5)
		l.Var.Data[i] = float32(0.5 + rng.Float64())
	}
	if l.Bias != nil {
		copy(l.Bias.Data, randSlice(rng, C, -1, 1))
	}
	return l
}

// TestBatchNormReference checks the forward pass, in training and in
// inference and in every mode, against bnReference for random shapes, and
// the running statistics after a training step (and their being left
// alone in inference). Tolerance: values are of order 1 and the float32
// output is rounded once from float64 (relative error 6e-8); the batch
// variance comes from Σx² − M·μ², whose cancellation costs at most a
// factor μ²/σ² ≈ 10 here: 1e-5 is a margin of 100 over both.
func TestBatchNormReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 3))
	for trial := range 60 {
		mode := []BNMode{BNShared, BNPerStep, BNTD}[trial%3]
		training := trial%2 == 0
		T, B, C, S := 1+rng.IntN(4), 2+rng.IntN(3), 1+rng.IntN(4), 1+rng.IntN(6)
		l := randomBN(rng, mode, T, C, S)
		l.SetTraining(map[bool]*rand.Rand{true: rng}[training])
		x := randSlice(rng, T*B*C*S, -2, 3)
		want, rm, rv := bnReference(l, x, T, B, training)
		tp := autograd.NewTape()
		y := l.Forward(tp, tp.Constant(x, T, B, C*S))
		name := fmt.Sprintf("%s training=%v T=%d B=%d C=%d S=%d", mode, training, T, B, C, S)
		near := func(what string, got []float32, want []float64) {
			t.Helper()
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*(1+math.Abs(want[i])) || math.IsNaN(d) {
					t.Fatalf("%s: %s[%d] = %v, want %v", name, what, i, got[i], want[i])
				}
			}
		}
		near("y", y.Data, want)
		near("running_mean", l.Mean.Data, rm)
		near("running_var", l.Var.Data, rv)
	}
}

// TestBatchNormRunningStats checks the running statistics after two
// training steps and the inference output, computed by hand with
// PyTorch's rule (torch.nn.BatchNorm2d docs): one channel of the values
// 1, 2, 3, 4 (T = 2, B = 1, S = 2) has μ = 2.5, biased σ² = 1.25 and
// unbiased variance 5/3. From running_mean 0 and running_var 1, momentum
// 0.1: after one step 0.1·2.5 = 0.25 and 0.9 + 0.1·5/3 = 1.0666667;
// after the second, 0.9·0.25 + 0.25 = 0.475 and 0.9·1.0666667 + 0.1666667
// = 1.1266667. The training output is (x − 2.5)/√(1.25 + 1e-5), the
// inference output (x − 0.475)/√(1.1266667 + 1e-5).
func TestBatchNormRunningStats(t *testing.T) {
	l := NewBatchNorm("bn", 1, 2, BatchNormConfig{})
	x := []float32{1, 2, 3, 4}
	tp := autograd.NewTape()
	run := func() []float32 { tp.Reset(); return l.Forward(tp, tp.Constant(x, 2, 1, 2)).Data }
	l.SetTraining(rand.New(rand.NewPCG(1, 1)))
	steps := []struct{ mean, variance float64 }{{0.25, 1.0666667}, {0.475, 1.1266667}}
	for i, want := range steps {
		y := run()
		for j, v := range x {
			if w := (float64(v) - 2.5) / math.Sqrt(1.25+1e-5); math.Abs(float64(y[j])-w) > 1e-6 {
				t.Errorf("step %d: y[%d] = %v, want %v", i, j, y[j], w)
			}
		}
		if math.Abs(float64(l.Mean.Data[0])-want.mean) > 1e-6 || math.Abs(float64(l.Var.Data[0])-want.variance) > 1e-6 {
			t.Errorf("step %d: running mean %v, var %v; want %v, %v", i, l.Mean.Data[0], l.Var.Data[0], want.mean, want.variance)
		}
	}
	l.SetTraining(nil)
	y := run()
	for j, v := range x {
		if w := (float64(v) - 0.475) / math.Sqrt(1.1266667+1e-5); math.Abs(float64(y[j])-w) > 1e-6 {
			t.Errorf("inference: y[%d] = %v, want %v", j, y[j], w)
		}
	}
	if l.Mean.Data[0] != float32(0.475) && math.Abs(float64(l.Mean.Data[0])-0.475) > 1e-6 {
		t.Errorf("inference moved the running mean to %v", l.Mean.Data[0])
	}
	before := l.Var.Data[0]
	run()
	if l.Var.Data[0] != before {
		t.Errorf("inference moved the running variance from %v to %v", before, l.Var.Data[0])
	}
}

// TestBatchNormGradient checks the gradients of the input, γ and β by
// finite differences, in training (the batch statistics are functions of
// the input, so their gradient flows too) and in inference, in every
// mode.
func TestBatchNormGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, mode := range []BNMode{BNShared, BNPerStep, BNTD} {
		for _, training := range []bool{true, false} {
			const T, B, C, S = 3, 3, 2, 2
			l := randomBN(rng, mode, T, C, S)
			l.SetTraining(map[bool]*rand.Rand{true: rng}[training])
			x := autograd.NewParam("x", randSlice(rng, T*B*C*S, -2, 2), T, B, C*S)
			f := func(tp *autograd.Tape) *autograd.Var { return l.Forward(tp, tp.Param(x)) }
			in := []*autograd.Param{x, l.Weight}
			if l.Bias != nil {
				in = append(in, l.Bias)
			}
			if err := gradcheck.Check(f, in, gradcheck.Options{}); err != nil {
				t.Errorf("%s training=%v: %v", mode, training, err)
			}
		}
	}
}

// TestBatchNormConstantInput checks a constant input [B, F] in a
// Sequential: a BNPerStep layer gets it repeated over time (the same
// output as the repeated sequence, bit for bit), and a BNShared layer
// normalises it once with the statistics of the repeated sequence (equal
// up to float32 rounding, 1e-6 on values of order 1).
func TestBatchNormConstantInput(t *testing.T) {
	const T, B, C, S = 4, 3, 2, 3
	rng := rand.New(rand.NewPCG(4, 4))
	x := randSlice(rng, B*C*S, -1, 2)
	for _, mode := range []BNMode{BNPerStep, BNShared} {
		run := func(constant bool) []float32 {
			bn := NewBatchNorm("bn", C, C*S, BatchNormConfig{Mode: mode, Steps: T})
			net := NewSequential(bn, NewLIF("lif", C*S, LIFConfig{Beta: 0.9, Threshold: 0.5}))
			net.SetTraining(rng)
			tp := autograd.NewTape()
			in := tp.Constant(x, B, C*S)
			if !constant {
				in = tp.Repeat(in, T)
			}
			tr := net.Forward(tp, in, T)
			return append([]float32(nil), tr.Layers[1].Mem.Data...)
		}
		a, b := run(true), run(false)
		for i := range a {
			if mode == BNPerStep && a[i] != b[i] || math.Abs(float64(a[i]-b[i])) > 1e-6 {
				t.Fatalf("%s: membrane %d: %v from a constant input, %v from the repeated one", mode, i, a[i], b[i])
			}
		}
	}
}

// TestBatchNormAllocs: once a tape has seen a step, a training step
// (forward with the running-statistics update, backward) through
// Linear → BatchNorm → LIF allocates nothing, in each mode.
func TestBatchNormAllocs(t *testing.T) {
	const T, B = 4, 3
	rng := rand.New(rand.NewPCG(5, 5))
	x := randSlice(rng, T*B*6, 0, 1)
	for _, mode := range []BNMode{BNShared, BNPerStep, BNTD} {
		net := NewSequential(NewLinear("fc", 6, 8, LinearConfig{RNG: rng}),
			NewBatchNorm("bn", 2, 8, BatchNormConfig{Mode: mode, Steps: T}), NewLIF("lif", 8, LIFConfig{Beta: 0.9}))
		net.SetTraining(rng)
		params := net.Params()
		tp := autograd.NewTape()
		step := func() {
			tp.Reset()
			tr := net.Forward(tp, tp.Constant(x, T, B, 6), 0)
			tp.Backward(tp.SumAll(tr.Mem()))
			for _, p := range params {
				p.ZeroGrad()
			}
		}
		step()
		if n := testing.AllocsPerRun(20, step); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", mode, n)
		}
	}
}

// TestBatchNormFrozenStats checks that the running statistics are frozen
// Params: no gradient reaches them and an optimizer skips them.
func TestBatchNormFrozenStats(t *testing.T) {
	l := NewBatchNorm("bn", 2, 4, BatchNormConfig{})
	ps := l.Params()
	names := []string{"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}
	if len(ps) != 4 {
		t.Fatalf("%d params, want 4", len(ps))
	}
	for i, p := range ps {
		if p.Name != names[i] || p.Frozen != (i >= 2) {
			t.Errorf("param %d: %s frozen=%v; want %s frozen=%v", i, p.Name, p.Frozen, names[i], i >= 2)
		}
	}
	if ps := NewBatchNorm("bntt", 2, 4, BatchNormConfig{Mode: BNPerStep, Steps: 3}).Params(); len(ps) != 3 ||
		ps[0].Shape()[0] != 3 || ps[0].Shape()[1] != 2 || ps[1].Name != "bntt.running_mean" {
		t.Errorf("per-step params: %v", ps)
	}
}

// TestBatchNormErrors checks that bad configs and shapes give one clear
// error naming the layer and the field (or the shape).
func TestBatchNormErrors(t *testing.T) {
	cases := []struct {
		c        BatchNormConfig
		channels int
		n        int
		want     string
	}{
		{BatchNormConfig{}, 3, 8, `layers: batchnorm "bn": channels = 3: must divide n = 8`},
		{BatchNormConfig{}, 0, 8, `layers: batchnorm "bn": channels = 0: must be positive`},
		{BatchNormConfig{Mode: "per-step"}, 2, 8, `layers: batchnorm "bn": mode = "per-step": must be one of shared, per_step, tdbn`},
		{BatchNormConfig{Mode: BNPerStep}, 2, 8, `layers: batchnorm "bn": steps = 0: must be positive`},
		{BatchNormConfig{Eps: -1}, 2, 8, `layers: batchnorm "bn": eps = -1: must be a positive number (PyTorch's default is 1e-5)`},
		{BatchNormConfig{Momentum: 1.5}, 2, 8, `layers: batchnorm "bn": momentum = 1.5: must be in [0, 1] (PyTorch's default is 0.1)`},
		{BatchNormConfig{Mode: BNTD, Threshold: -1}, 2, 8, `layers: batchnorm "bn": threshold = -1: must be a positive number in mode tdbn`},
	}
	for _, c := range cases {
		err := configPanic(t, func() { NewBatchNorm("bn", c.channels, c.n, c.c) })
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v\nwant %s", c.c, err, c.want)
		}
	}
	// A model file's payload: the fields of the other modes must be 0.
	m := &model.Model{Layers: []model.Layer{model.NewLayer("bn", model.BatchNorm{N: 4, Channels: 2, Mode: model.BNShared, Steps: 4, Eps: 1e-5, Momentum: 0.1})}}
	if _, err := Build(m, nil); err == nil || err.Error() != `model: layer 0 "bn" (batchnorm): steps = 4: only mode per_step has steps: must be 0` {
		t.Errorf("steps in mode shared: %v", err)
	}
	m.Layers[0] = model.NewLayer("bn", model.BatchNorm{N: 4, Channels: 2, Mode: model.BNShared, Eps: 1e-5, Momentum: 0.1, Alpha: 1})
	if _, err := Build(m, nil); err == nil || err.Error() != `model: layer 0 "bn" (batchnorm): alpha = 1: only mode tdbn has alpha: must be 0` {
		t.Errorf("alpha in mode shared: %v", err)
	}
	shapePanic := func(f func()) (err error) {
		defer func() {
			if e, ok := recover().(error); ok {
				err = e
			}
		}()
		f()
		return nil
	}
	tp := autograd.NewTape()
	l := NewBatchNorm("bntt", 2, 4, BatchNormConfig{Mode: BNPerStep, Steps: 3})
	var se *autograd.ShapeError
	if err := shapePanic(func() { l.Forward(tp, tp.New(2, 5, 4)) }); !errors.As(err, &se) ||
		err.Error() != `autograd: BatchNorm.Forward: layer "bntt": mode per_step takes sequences [3, B, 4] (shapes [2 5 4])` {
		t.Errorf("wrong number of steps: %v", err)
	}
	if err := shapePanic(func() { l.Forward(tp, tp.New(3, 5, 6)) }); err == nil {
		t.Error("wrong feature size: no error")
	}
	l.SetTraining(rand.New(rand.NewPCG(1, 1)))
	if err := shapePanic(func() { NewBatchNorm("one", 4, 4, BatchNormConfig{}).Forward(tp, tp.New(1, 1, 4)) }); err != nil {
		t.Errorf("one value per channel in inference: %v", err)
	}
	one := NewBatchNorm("one", 4, 4, BatchNormConfig{})
	one.SetTraining(rand.New(rand.NewPCG(1, 1)))
	if err := shapePanic(func() { one.Forward(tp, tp.New(1, 1, 4)) }); err == nil {
		t.Error("one value per channel in training: no error")
	}
}

// TestBatchNormPyTorch checks one training step (output, gradients of the
// input, γ and β of the loss Σ w·y, running statistics) and the inference
// output afterwards against PyTorch's, in every mode: the values in
// testdata/batchnorm_torch.json were computed by
// bench/reference/batchnorm.py with PyTorch 1.13 (torch.nn.BatchNorm2d;
// per-step ones with the bias removed for BNTT; α·V_th scaling for tdBN)
// on the input and loss weights that this test builds with the same
// formulas. Tolerance 1e-5 on values of order 1: both sides compute in
// float32 with other summation orders (about 1e-7 each).
func TestBatchNormPyTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/batchnorm_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		T, B, C, S                      int
		Eps, Momentum, Alpha, Threshold float32
		Modes                           map[string]struct {
			Y           []float64 `json:"y"`
			DX          []float64 `json:"dx"`
			DWeight     []float64 `json:"dweight"`
			DBias       []float64 `json:"dbias"`
			RunningMean []float64 `json:"running_mean"`
			RunningVar  []float64 `json:"running_var"`
			YInference  []float64 `json:"y_inference"`
		}
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	T, B, C, S := ref.T, ref.B, ref.C, ref.S
	n := T * B * C * S
	xs, ws := make([]float32, n), make([]float32, n)
	for i := range n { // the formulas of bench/reference/batchnorm.py
		xs[i] = float32(math.Sin(1+0.37*float64(i))*2 + 0.5*float64((i/S)%C))
		ws[i] = float32(math.Cos(0.11 * float64(i)))
	}
	for _, mode := range []BNMode{BNShared, BNPerStep, BNTD} {
		want, ok := ref.Modes[string(mode)]
		if !ok || len(want.Y) != n {
			t.Fatalf("%s: no reference values", mode)
		}
		l := NewBatchNorm("bn", C, C*S, BatchNormConfig{Mode: mode, Steps: T, Eps: ref.Eps, Momentum: ref.Momentum,
			Alpha: ref.Alpha, Threshold: ref.Threshold})
		for k := range l.Weight.Data {
			l.Weight.Data[k] = float32(1 + 0.1*float64(k))
		}
		if l.Bias != nil {
			for c := range l.Bias.Data {
				l.Bias.Data[c] = float32(0.05*float64(c) - 0.1)
			}
		}
		x := autograd.NewParam("x", slices.Clone(xs), T, B, C*S)
		l.SetTraining(rand.New(rand.NewPCG(1, 1)))
		tp := autograd.NewTape()
		y := l.Forward(tp, tp.Param(x))
		tp.Backward(tp.SumAll(tp.Mul(y, tp.Constant(ws, T, B, C*S))))
		got := map[string]struct {
			got  []float32
			want []float64
		}{"y": {slices.Clone(y.Data), want.Y}, "dx": {x.Grad, want.DX}, "dweight": {l.Weight.Grad, want.DWeight},
			"running_mean": {l.Mean.Data, want.RunningMean}, "running_var": {l.Var.Data, want.RunningVar}}
		if l.Bias != nil {
			got["dbias"] = struct {
				got  []float32
				want []float64
			}{l.Bias.Grad, want.DBias}
		}
		l.SetTraining(nil)
		tp.Reset()
		got["y_inference"] = struct {
			got  []float32
			want []float64
		}{l.Forward(tp, tp.Constant(xs, T, B, C*S)).Data, want.YInference}
		for name, g := range got {
			if len(g.got) != len(g.want) {
				t.Fatalf("%s %s: %d values, PyTorch %d", mode, name, len(g.got), len(g.want))
			}
			for i, w := range g.want {
				if d := math.Abs(float64(g.got[i]) - w); d > 1e-5*(1+math.Abs(w)) {
					t.Errorf("%s %s[%d] = %v, PyTorch %v", mode, name, i, g.got[i], w)
				}
			}
		}
	}
}

// TestBatchNormDamagedStats checks that inference refuses running
// statistics that it cannot use (a NaN mean, a negative variance, as a
// damaged weights file may hold) with an error naming the layer and the
// value, rather than giving NaN outputs.
func TestBatchNormDamagedStats(t *testing.T) {
	for _, c := range []struct {
		set  func(l *BatchNorm)
		want string
	}{
		{func(l *BatchNorm) { l.Mean.Data[1] = float32(math.NaN()) }, `layers: batchnorm "bn": running_mean[1] = NaN: must be finite (the running statistics of a damaged weights file?)`},
		{func(l *BatchNorm) { l.Var.Data[0] = -1 }, `layers: batchnorm "bn": running_var[0] = -1: must be finite and ≥ 0 (the running statistics of a damaged weights file?)`},
		{func(l *BatchNorm) { l.Var.Data[1] = float32(math.Inf(1)) }, `layers: batchnorm "bn": running_var[1] = +Inf: must be finite and ≥ 0 (the running statistics of a damaged weights file?)`},
	} {
		l := NewBatchNorm("bn", 2, 4, BatchNormConfig{})
		c.set(l)
		tp := autograd.NewTape()
		err := configPanic(t, func() { l.Forward(tp, tp.New(2, 3, 4)) })
		if err == nil || err.Error() != c.want {
			t.Errorf("%v\nwant %s", err, c.want)
		}
		l.SetTraining(rand.New(rand.NewPCG(1, 1))) // training does not read them
		l.Forward(tp, tp.New(2, 3, 4))
	}
}

// TestBatchNormNoWindows checks that a network with a BatchNorm layer
// refuses to run in windows of time steps (its statistics in training mix
// the steps of the whole sequence, and BNPerStep's γ belongs to absolute
// steps), naming the layer, rather than normalising each window on its
// own.
func TestBatchNormNoWindows(t *testing.T) {
	for _, mode := range []BNMode{BNShared, BNPerStep} {
		net := NewSequential(NewLinear("fc", 3, 4, LinearConfig{}), NewBatchNorm("bn", 4, 4, BatchNormConfig{Mode: mode, Steps: 6}),
			NewLIF("lif", 4, LIFConfig{Beta: 0.9}))
		err := net.CheckWindows()
		if err == nil || err.Error() != `layers: batchnorm "bn": cannot run in windows of time steps: *layers.BatchNorm is not known to map each time step on its own` {
			t.Errorf("%s: %v", mode, err)
		}
	}
}
