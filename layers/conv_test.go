package layers

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/autograd/gradcheck"
	"github.com/spikegrad/spikegrad/model"
)

// refConv is the convolution by its definition (Conv2d's doc), a plain loop
// in float64. It returns the result and, per output, Σ |w·x| + |b|, the
// scale of its rounding error.
func refConv(g convGeom, n int, x, w, b []float32) (y, mag []float64) {
	cg, og := g.in/g.groups, g.out/g.groups
	y = make([]float64, n*g.out*g.oh*g.ow)
	mag = make([]float64, len(y))
	for f := range n {
		for o := range g.out {
			gr := o / og
			for i := range g.oh {
				for j := range g.ow {
					var s, m float64
					if b != nil {
						s, m = float64(b[o]), math.Abs(float64(b[o]))
					}
					for c := range cg {
						for u := range g.kh {
							for v := range g.kw {
								iy, ix := i*g.sh-g.ph+u*g.dh, j*g.sw-g.pw+v*g.dw
								if iy < 0 || iy >= g.h || ix < 0 || ix >= g.w {
									continue
								}
								p := float64(w[((o*cg+c)*g.kh+u)*g.kw+v]) * float64(x[((f*g.in+gr*cg+c)*g.h+iy)*g.w+ix])
								s += p
								m += math.Abs(p)
							}
						}
					}
					k := ((f*g.out+o)*g.oh+i)*g.ow + j
					y[k], mag[k] = s, m
				}
			}
		}
	}
	return y, mag
}

// TestConv2dReference compares Conv2d with refConv on random shapes, odd
// sizes and stride/padding/dilation/groups combinations. The two sum in
// different orders, so they are not bit-identical; the bound is the
// standard one for a float32 sum of n = K + 1 terms (K products and the
// bias; Higham, Accuracy and Stability, §3.1): |y − y_exact| ≤ γ_n · Σ|terms|
// with γ_n = n·u/(1 − n·u), u = 2⁻²⁴, against the float64 reference, whose
// own error is negligible at this scale.
func TestConv2dReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	type cfg struct {
		in, out, h, w, kh, kw, sh, sw, ph, pw, dh, dw, groups int
	}
	cases := []cfg{
		{1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1, 1},
		{3, 4, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1},
		{2, 6, 11, 8, 3, 2, 2, 3, 1, 0, 1, 1, 2},
		{4, 4, 9, 9, 3, 3, 2, 2, 2, 2, 2, 2, 4}, // depthwise, dilated
		{6, 3, 13, 7, 5, 1, 3, 1, 2, 0, 1, 1, 3},
		{2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 1}, // dilated kernel as large as the padded input
	}
	for len(cases) < 14 { // random combinations, those that validate
		groups := 1 + rng.IntN(3)
		c := cfg{in: groups * (1 + rng.IntN(3)), out: groups * (1 + rng.IntN(3)), h: 4 + rng.IntN(9), w: 4 + rng.IntN(9),
			kh: 1 + rng.IntN(4), kw: 1 + rng.IntN(4), sh: 1 + rng.IntN(3), sw: 1 + rng.IntN(3), ph: rng.IntN(3), pw: rng.IntN(3),
			dh: 1 + rng.IntN(2), dw: 1 + rng.IntN(2), groups: groups}
		if conv2dSpec(c.in, c.h, c.w, c.out, [2]int{c.kh, c.kw}, Conv2dConfig{Stride: [2]int{c.sh, c.sw}, Padding: [2]int{c.ph, c.pw},
			Dilation: [2]int{c.dh, c.dw}, Groups: c.groups}).Validate() == nil {
			cases = append(cases, c)
		}
	}
	for _, c := range cases {
		for _, bias := range []bool{true, false} {
			l := NewConv2d("conv", c.in, c.h, c.w, c.out, [2]int{c.kh, c.kw}, Conv2dConfig{Stride: [2]int{c.sh, c.sw},
				Padding: [2]int{c.ph, c.pw}, Dilation: [2]int{c.dh, c.dw}, Groups: c.groups, NoBias: !bias, RNG: rng})
			T, B := 3, 2
			x := randSlice(rng, T*B*c.in*c.h*c.w, -1, 1)
			tp := autograd.NewTape()
			y := l.Forward(tp, tp.Input(x, T, B, c.in*c.h*c.w))
			var b []float32
			if bias {
				b = l.Bias.Data
			}
			ref, mag := refConv(l.g, T*B, x, l.Weight.Data, b)
			if got, want := y.Shape(), []int{T, B, l.Outputs()}; !slices.Equal(got, want) {
				t.Fatalf("%+v: shape %v, want %v", c, got, want)
			}
			n := float64(l.g.k() + 1)
			u := math.Ldexp(1, -24)
			gamma := n * u / (1 - n*u)
			for i := range ref {
				if d := math.Abs(float64(y.Data[i]) - ref[i]); d > gamma*mag[i] {
					t.Fatalf("%+v bias %v: y[%d] = %v, reference %v: error %g above γ_%v·Σ|terms| = %g", c, bias, i, y.Data[i], ref[i], d, n, gamma*mag[i])
				}
			}
		}
	}
}

// TestConv1dReference checks Conv1d against refConv as a convolution of
// height 1, within the bound of TestConv2dReference.
func TestConv1dReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 2))
	for _, c := range []struct{ in, out, l, k, s, p, d, g int }{
		{1, 2, 9, 3, 1, 0, 1, 1}, {4, 6, 17, 5, 2, 2, 2, 2}, {3, 3, 8, 3, 3, 1, 1, 3}, {2, 4, 5, 5, 1, 2, 1, 1},
	} {
		l := NewConv1d("conv", c.in, c.l, c.out, c.k, Conv1dConfig{Stride: c.s, Padding: c.p, Dilation: c.d, Groups: c.g, RNG: rng})
		x := randSlice(rng, 2*3*c.in*c.l, -1, 1)
		tp := autograd.NewTape()
		y := l.Forward(tp, tp.Input(x, 2, 3, c.in*c.l))
		ref, mag := refConv(l.g, 6, x, l.Weight.Data, l.Bias.Data)
		if want := (c.l+2*c.p-c.d*(c.k-1)-1)/c.s + 1; l.OutSize() != want {
			t.Fatalf("%+v: OutSize %d, want %d (torch.nn.Conv1d's formula)", c, l.OutSize(), want)
		}
		n := float64(l.g.k() + 1)
		u := math.Ldexp(1, -24)
		for i := range ref {
			if d := math.Abs(float64(y.Data[i]) - ref[i]); d > n*u/(1-n*u)*mag[i] {
				t.Fatalf("%+v: y[%d] = %v, reference %v", c, i, y.Data[i], ref[i])
			}
		}
	}
}

// refPool is a pooling by its definition: the maximum, sum or mean of each
// window in row-major window order.
func refPool(s model.Pool2d, planes int, x []float32) []float32 {
	oh, ow := s.OutSize()
	y := make([]float32, 0, planes*oh*ow)
	for pl := range planes {
		for i := range oh {
			for j := range ow {
				var sum float32
				best := float32(math.Inf(-1))
				for u := range s.Kernel[0] {
					for v := range s.Kernel[1] {
						iy, ix := i*s.Stride[0]-s.Padding[0]+u, j*s.Stride[1]-s.Padding[1]+v
						if iy < 0 || iy >= s.H || ix < 0 || ix >= s.W {
							continue
						}
						val := x[(pl*s.H+iy)*s.W+ix]
						sum += val
						best = max(best, val)
					}
				}
				switch s.Op {
				case model.KindMaxPool2d:
					y = append(y, best)
				case model.KindAvgPool2d:
					y = append(y, sum*(1/float32(s.Kernel[0]*s.Kernel[1])))
				default:
					y = append(y, sum)
				}
			}
		}
	}
	return y
}

func newPool(kind, name string, c, h, w int, k [2]int, cf Pool2dConfig) Layer {
	switch kind {
	case model.KindMaxPool2d:
		return NewMaxPool2d(name, c, h, w, k, cf)
	case model.KindAvgPool2d:
		return NewAvgPool2d(name, c, h, w, k, cf)
	}
	return NewSumPool2d(name, c, h, w, k, cf)
}

// TestPoolReference checks the pools against refPool. They add the same
// values in the same order, so the results are bit-identical.
func TestPoolReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 3))
	for _, kind := range []string{model.KindMaxPool2d, model.KindAvgPool2d, model.KindSumPool2d} {
		for _, c := range []struct{ c, h, w, kh, kw, sh, sw, ph, pw int }{
			{1, 4, 4, 2, 2, 0, 0, 0, 0}, {3, 7, 9, 3, 2, 2, 1, 1, 1}, {2, 5, 5, 5, 5, 0, 0, 2, 2}, {2, 11, 6, 3, 3, 1, 2, 0, 1},
		} {
			l := newPool(kind, "pool", c.c, c.h, c.w, [2]int{c.kh, c.kw}, Pool2dConfig{Stride: [2]int{c.sh, c.sw}, Padding: [2]int{c.ph, c.pw}})
			x := randSlice(rng, 2*2*c.c*c.h*c.w, -1, 1)
			tp := autograd.NewTape()
			y := l.Forward(tp, tp.Input(x, 2, 2, c.c*c.h*c.w))
			p, _ := l.Spec().Payload()
			s := *p.(*model.Pool2d)
			want := refPool(s, 4*c.c, x)
			oh, ow := s.OutSize()
			if y.Dim(2) != c.c*oh*ow {
				t.Fatalf("%s %+v: %d outputs, want %d", kind, c, y.Dim(2), c.c*oh*ow)
			}
			for i := range want {
				if y.Data[i] != want[i] {
					t.Fatalf("%s %+v: y[%d] = %v, reference %v", kind, c, i, y.Data[i], want[i])
				}
			}
		}
	}
}

// TestMaxPoolTies checks the documented tie rule: the first maximum in
// row-major window order takes the gradient.
func TestMaxPoolTies(t *testing.T) {
	l := NewMaxPool2d("pool", 1, 2, 2, [2]int{2, 2}, Pool2dConfig{})
	x := autograd.NewParam("x", []float32{0, 1, 1, 1}, 1, 1, 4) // three spikes tie
	tp := autograd.NewTape()
	y := l.Forward(tp, tp.Param(x))
	tp.Backward(tp.SumAll(y))
	if want := []float32{0, 1, 0, 0}; !slices.Equal(x.Grad, want) {
		t.Fatalf("gradient %v, want %v", x.Grad, want)
	}
}

// TestConvPoolGradients checks every layer of this family against finite
// differences (gradcheck's defaults: step 1e-2, atol 1e-3, rtol 1e-2; the
// layers are linear or piecewise linear, so there is no truncation error).
// The max pool's inputs are distinct multiples of 0.1, more than 2·step
// apart, so that no step moves a maximum.
func TestConvPoolGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	check := func(name string, l Layer, features int, x []float32) {
		t.Run(name, func(t *testing.T) {
			if x == nil {
				x = randSlice(rng, 2*2*features, -1, 1)
			}
			xp := autograd.NewParam("x", x, 2, 2, features)
			f := func(tp *autograd.Tape) *autograd.Var { return l.Forward(tp, tp.Param(xp)) }
			if err := gradcheck.Check(f, append([]*autograd.Param{xp}, l.Params()...), gradcheck.Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	check("conv2d", NewConv2d("c", 4, 5, 6, 6, [2]int{3, 2}, Conv2dConfig{Stride: [2]int{2, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{1, 2}, Groups: 2, RNG: rng}), 4*5*6, nil)
	check("conv2d-nobias", NewConv2d("c", 2, 4, 4, 3, [2]int{3, 3}, Conv2dConfig{NoBias: true, RNG: rng}), 2*4*4, nil)
	check("conv1d", NewConv1d("c", 2, 9, 4, 3, Conv1dConfig{Stride: 2, Padding: 1, Dilation: 2, Groups: 2, RNG: rng}), 2*9, nil)
	perm := rng.Perm(4 * 2 * 5 * 5)
	distinct := make([]float32, len(perm))
	for i, p := range perm {
		distinct[i] = float32(p) * 0.1
	}
	check("maxpool2d", NewMaxPool2d("p", 2, 5, 5, [2]int{3, 3}, Pool2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}), 2*5*5, distinct)
	check("avgpool2d", NewAvgPool2d("p", 2, 5, 5, [2]int{3, 2}, Pool2dConfig{Stride: [2]int{1, 2}, Padding: [2]int{1, 1}}), 2*5*5, nil)
	check("sumpool2d", NewSumPool2d("p", 2, 5, 5, [2]int{2, 2}, Pool2dConfig{}), 2*5*5, nil)
	check("flatten", NewFlatten("f", 7), 7, nil)
}

// TestConvConfigErrors checks that bad literals panic with a *ConfigError
// naming the layer and the field, and that Build returns the same faults
// as errors.
func TestConvConfigErrors(t *testing.T) {
	cases := []struct {
		f    func()
		want string
	}{
		{func() { NewConv2d("c1", 3, 4, 4, 8, [2]int{7, 3}, Conv2dConfig{}) },
			`layers: conv2d "c1": kernel = [7 3]: dilated kernel spans 7, more than the padded input (4 + 2·0)`},
		{func() { NewConv2d("c1", 3, 4, 4, 8, [2]int{3, 3}, Conv2dConfig{Dilation: [2]int{3, 1}}) },
			`layers: conv2d "c1": kernel = [3 3]: dilated kernel spans 7, more than the padded input (4 + 2·0)`},
		{func() { NewConv2d("c1", 3, 4, 4, 8, [2]int{3, 3}, Conv2dConfig{Stride: [2]int{-1, 1}}) },
			`layers: conv2d "c1": stride = [-1 1]: must be at least 1`},
		{func() { NewConv2d("c1", 3, 4, 4, 8, [2]int{3, 3}, Conv2dConfig{Groups: 2}) },
			`layers: conv2d "c1": groups = 2: must divide in = 3`},
		{func() { NewConv2d("c1", 4, 4, 4, 6, [2]int{3, 3}, Conv2dConfig{Groups: 4}) },
			`layers: conv2d "c1": groups = 4: must divide out = 6`},
		{func() { NewConv2d("c1", 0, 4, 4, 6, [2]int{3, 3}, Conv2dConfig{}) }, `layers: conv2d "c1": in = 0: must be positive`},
		{func() { NewConv2d("c1", 1, 4, 4, 6, [2]int{3, 3}, Conv2dConfig{Padding: [2]int{0, -1}}) },
			`layers: conv2d "c1": padding = [0 -1]: must be at least 0`},
		{func() { NewConv1d("c2", 2, 4, 2, 9, Conv1dConfig{Padding: 2}) },
			`layers: conv1d "c2": kernel = 9: dilated kernel spans 9, more than the padded input (4 + 2·2)`},
		{func() { NewConv1d("c2", 2, 4, 2, 3, Conv1dConfig{Stride: -2}) }, `layers: conv1d "c2": stride = -2: must be at least 1`},
		{func() { NewMaxPool2d("p", 2, 4, 4, [2]int{3, 3}, Pool2dConfig{Padding: [2]int{2, 0}}) },
			`layers: maxpool2d "p": padding = [2 0]: must be at most half the kernel`},
		{func() { NewSumPool2d("p", 2, 4, 4, [2]int{5, 1}, Pool2dConfig{}) },
			`layers: sumpool2d "p": kernel = [5 1]: larger than the padded input (4 + 2·0)`},
		{func() { NewAvgPool2d("p", 2, 4, 4, [2]int{2, 2}, Pool2dConfig{Stride: [2]int{0, -1}}) },
			`layers: avgpool2d "p": stride = [2 -1]: must be at least 1`},
		{func() { NewFlatten("f", 0) }, `layers: flatten "f": in = 0: must be positive`},
	}
	for _, c := range cases {
		err := configPanic(t, c.f)
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
	// The model path: a stride of 0 in a file is an error naming layer and field.
	m := &model.Model{Layers: []model.Layer{model.NewLayer("conv1", model.Conv2d{In: 1, Out: 2, H: 4, W: 4,
		Kernel: [2]int{3, 3}, Stride: [2]int{0, 1}, Dilation: [2]int{1, 1}, Groups: 1, Init: model.InitPyTorch})}}
	_, err := Build(m, nil)
	if want := `model: layer 0 "conv1" (conv2d): stride = [0 1]: must be at least 1`; err == nil || err.Error() != want {
		t.Fatalf("Build: %v, want %s", err, want)
	}
}

// TestConvBuildRoundTrip checks that Build makes every layer of this family
// again from its Spec, with the same forward pass once the weights are
// copied.
func TestConvBuildRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 5))
	net := NewSequential(
		NewConv2d("conv1", 2, 9, 9, 4, [2]int{3, 3}, Conv2dConfig{Padding: [2]int{1, 1}, Stride: [2]int{2, 1}, Groups: 2, RNG: rng}),
		NewMaxPool2d("pool1", 4, 5, 9, [2]int{2, 3}, Pool2dConfig{}),
		NewAvgPool2d("pool2", 4, 2, 3, [2]int{2, 2}, Pool2dConfig{Stride: [2]int{1, 1}}),
		NewSumPool2d("pool3", 4, 1, 2, [2]int{1, 2}, Pool2dConfig{}),
		NewFlatten("flat", 4),
		NewConv1d("conv2", 2, 2, 2, 2, Conv1dConfig{NoBias: true, RNG: rng}),
	)
	b, err := model.Marshal(net.Model())
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range again.Params() {
		copy(p.Data, net.Params()[i].Data)
	}
	x := randSlice(rng, 2*3*2*81, 0, 1)
	tp := autograd.NewTape()
	y1 := net.Forward(tp, tp.Input(x, 2, 3, 2*81), 0).Out
	y2 := again.Forward(tp, tp.Input(x, 2, 3, 2*81), 0).Out
	if !slices.Equal(y1.Data, y2.Data) || y1.Dim(2) != 2 {
		t.Fatalf("rebuilt network differs: %v vs %v", y1.Data, y2.Data)
	}
	if s := string(b); !strings.Contains(s, `"kind": "conv2d"`) || !strings.Contains(s, `"dilation": [`) {
		t.Fatalf("model.json lacks the conv2d config:\n%s", s)
	}
}
