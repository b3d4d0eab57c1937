package infer

import (
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
)

// FixedConfig gives the integer widths of a fixed-point model. A zero field
// takes Loihi's width (Davies et al., IEEE Micro 2018).
type FixedConfig struct {
	// WeightBits is the width of a weight, sign included: 2 to 32; 0 means 8.
	WeightBits int
	// PerChannel gives each output channel (neuron) of a Linear layer its
	// own weight scale; false gives the layer one.
	PerChannel bool
	// MembraneBits is the width of the membrane and of the synaptic current,
	// sign included: 2 to 32; 0 means 24.
	MembraneBits int
	// DecayBits is the width of the fraction of a decay factor: 1 to 32; 0
	// means 12 (beta ≈ d / 4096).
	DecayBits int
	// InputBits is the width of an analog input value, sign included: 2 to
	// 32; 0 means 8. Spike inputs are not affected.
	InputBits int
	// InputMax is the largest magnitude of an analog input, mapped to
	// 2^(InputBits-1) - 1; larger values are clipped. 0 means 1, the range
	// of spikegrad's images ([0, 1]).
	InputMax float64
}

// LoihiConfig is the FixedConfig of Loihi's widths: the zero FixedConfig
// with its defaults filled in.
var LoihiConfig = FixedConfig{WeightBits: 8, MembraneBits: 24, DecayBits: 12, InputBits: 8, InputMax: 1}

// resolve fills the zero fields with their defaults and checks the ranges,
// naming the field at fault.
func (c FixedConfig) resolve() (FixedConfig, error) {
	fill := func(name string, v *int, def, lo, hi int) error {
		if *v == 0 {
			*v = def
			return nil
		}
		if *v < lo || *v > hi {
			return fmt.Errorf("infer: fixed point: %s = %d: must be %d to %d (0 for %d)", name, *v, lo, hi, def)
		}
		return nil
	}
	if err := fill("WeightBits", &c.WeightBits, 8, 2, 32); err != nil {
		return c, err
	}
	if err := fill("MembraneBits", &c.MembraneBits, 24, 2, 32); err != nil {
		return c, err
	}
	if err := fill("DecayBits", &c.DecayBits, 12, 1, 32); err != nil {
		return c, err
	}
	if err := fill("InputBits", &c.InputBits, 8, 2, 32); err != nil {
		return c, err
	}
	if c.InputMax == 0 {
		c.InputMax = 1
	}
	if !(c.InputMax > 0) || math.IsInf(c.InputMax, 0) {
		return c, fmt.Errorf("infer: fixed point: InputMax = %v: must be a finite number > 0 (0 for 1)", c.InputMax)
	}
	return c, nil
}

// FixedModel is a Model in fixed point (Quantize); Run runs it.
type FixedModel struct {
	Model  *Model
	Config FixedConfig // with the defaults filled in
	// InputScale is s_x, the real value of one unit of an analog input.
	InputScale  float64
	Layers      []FixedLayer
	in, classes int
	firstNeuron int
	eng         *Engine // the float engine of Model
}

// FixedLayer is one layer of a FixedModel. A Linear layer has Weight,
// WeightScale and Bias; a neuron layer has Scale, Beta (Alpha), Threshold.
type FixedLayer struct {
	Name, Kind string
	In, Out    int
	// Weight is W_q, [In, Out] input-major as Model's weights (held as
	// int64 whatever the width).
	Weight []int64
	// WeightScale is s_w: [Out] per channel, or [1].
	WeightScale []float64
	// InputScale is s_in: 1 for spikes, the model's InputScale for analog input.
	InputScale float64
	// Bias is b_q on the membrane scale of the next layer, [Out]; nil without.
	Bias []int64
	// Scale is the membrane scale s_m per neuron, [Out].
	Scale []float64
	// Alpha and Beta are the decay integers a and d, [Out] (Alpha: synaptic only).
	Alpha, Beta []int64
	// Threshold is thr_q per neuron, [Out] (spiking layers).
	Threshold []int64
	// Reset is the reset rule of a spiking layer (model.ResetSubtract, ...).
	Reset           string
	reset           kernels.ResetMode
	neuron, spiking bool
}

// Quantize returns the fixed-point form of m with the widths of q (see
// FixedConfig for the defaults). It fails, naming the field, on a width out
// of range, and, naming the layer, on a network arrangement the fixed-point
// engine does not run or whose sums could overflow 64 bits.
//
// A FixedModel is the same network with integer weights, states and decay
// factors of stated widths, as neuromorphic chips hold them; FixedModel.Run
// runs it with integer arithmetic only inside
// the time loop, so that the accuracy a chip of those widths would reach can
// be read beside the float engine's.
//
// Widths. FixedConfig's zero values are Intel Loihi's (Davies et al., "Loihi:
// a neuromorphic manycore processor with on-chip learning", IEEE Micro 38(1),
// 2018): synaptic weights of 8 bits (up to 9 with the sign; spikegrad uses 8
// bits with the sign, two's complement), a 24-bit membrane (and 24-bit
// synaptic current), and 12-bit decay constants. Inputs given as analog
// values (direct encoding) are quantised to 8 bits.
//
// Scales. Every integer stands for a real value times a scale. With
// Q_w = 2^(WeightBits-1) - 1 and Q_x = 2^(InputBits-1) - 1:
//
//	input      spikes are the integer 1 (scale 1); an analog input x becomes
//	           x_q = clamp(round(x / s_x), -Q_x, Q_x), s_x = InputMax / Q_x
//	           (round half away from zero), once per step of input (once per
//	           sample for a static image): the conversion a sensor's ADC does.
//	weights    W_q[k,j] = round(W[k,j] / s_w[j]) (symmetric, half away from
//	           zero), |W_q| <= Q_w, with s_w[j] = max_k |W[k,j]| / Q_w for each
//	           output channel j (PerChannel), or one s_w = max |W| / Q_w for
//	           the layer. The scale is never below thr_j / (s_in·2^(MembraneBits-2)),
//	           so that the threshold takes at most a quarter of the membrane's
//	           range (otherwise a small weight column would put the threshold
//	           beyond it); a column of zeros takes the layer's scale.
//	membrane   a neuron layer after Linear layer j counts in units of
//	           s_m[j] = s_w[j]·s_in (s_in = 1 for spikes, s_x for the network's
//	           analog input): the weight row of a spike is added as it is, as
//	           on Loihi, with no rescaling in the loop. Bias:
//	           b_q[j] = round(b[j] / s_m[j]); threshold thr_q[j] = round(thr[j] / s_m[j]).
//	decay      d = round(beta·2^DecayBits) (beta clamped to [0, 1] as in
//	           training), so beta ≈ d / 2^DecayBits; alpha likewise.
//
// Per-channel weight scales thus become per-neuron membrane scales and
// thresholds; the read-outs that compare membranes across neurons
// (membrane_sum, membrane_max) multiply each neuron's integer score by its
// scale after the last step, in float64, before the argmax.
//
// Equations, per step t and neuron j, all in integers (int64 arithmetic,
// states saturated to MembraneBits: clamped to [-2^(MB-1), 2^(MB-1) - 1]
// after every update, never wrapped):
//
//	I[t]  = Σ_{k: x_k ≠ 0} W_q[k,j]·x_q[k] + b_q[j]       (exact, int64)
//	dec(v, d) = (v·d + 2^(DB-1)) >> DB                     (round half up: floor(v·d/2^DB + 1/2))
//	lif:       v[t] = sat(dec(v[t-1], d) + I[t] - S[t-1]·thr_q)     reset subtract
//	           v[t] = sat(dec(v[t-1], d)·(1 - S[t-1]) + I[t])        reset zero
//	           v[t] = sat(dec(v[t-1], d) + I[t])                     reset none
//	synaptic:  y[t] = sat(dec(y[t-1], a) + I[t]), then the lif rule with y[t] for I[t]
//	li:        v[t] = sat(dec(v[t-1], d) + I[t])
//	spike:     S[t] = 1 if v[t] > thr_q, else 0
//
// These are the float equations of package layers (and of Engine) with every
// product rounded to the state's integer grid. The sum over inputs visits
// only the inputs that are nonzero: the weight rows of the inputs that
// spiked (counted as SynOps) or of the nonzero analog inputs (counted as
// MACs: the work done, which skips zero pixels).
//
// What differs from Loihi (its figures from Davies et al. 2018 and from
// Intel's bit-accurate Loihi model in Lava, lava.proc.lif.models.PyLifModelBitAcc):
// Loihi decays by v·(2^12 - δ_v) with δ_v the stored 12-bit constant
// (spikegrad stores d = 2^12 - δ_v, the same information) and rounds the
// product toward zero (sign·(|p| >> 12)) where spikegrad rounds half up;
// Loihi resets the membrane to zero in the step of the spike (and may hold it
// for a refractory period), where spikegrad keeps the training side's rules
// (the reset of a spike takes effect at the next step, by subtraction, to
// zero, or none); Loihi's synaptic current wraps around on overflow and only
// its membrane saturates, where spikegrad saturates both; Loihi scales weights
// by a shared power-of-two exponent per synapse group and shifts inputs and
// thresholds left by 6 bits (a threshold is a 17-bit number times 64), where
// spikegrad takes any real scale per layer or channel (it cancels into the
// threshold) and any integer threshold; and Loihi's thresholds are shared by
// compartment prototypes, where per-channel scales give every neuron its own.
// Analog input has no equivalent on Loihi (it takes spikes, or graded spikes
// on Loihi 2); here it is quantised to
// InputBits. Supported networks: each Linear takes spikes or the network's
// input and feeds a neuron layer, and each neuron layer follows a Linear
// (the networks spikegrad trains); other arrangements are refused with an
// error naming the layer.
func Quantize(m *Model, q FixedConfig) (*FixedModel, error) {
	q, err := q.resolve()
	if err != nil {
		return nil, err
	}
	e, err := New(m)
	if err != nil {
		return nil, err
	}
	qw := float64(int64(1)<<(q.WeightBits-1) - 1)
	qx := float64(int64(1)<<(q.InputBits-1) - 1)
	head := math.Ldexp(1, q.MembraneBits-2) // the threshold's share of the membrane range
	vmax := int64(1)<<(q.MembraneBits-1) - 1
	f := &FixedModel{Model: m, Config: q, InputScale: q.InputMax / qx, in: e.in, classes: e.classes, firstNeuron: e.firstNeuron, eng: e}
	decay := func(p []float32, n int) []int64 {
		d := make([]int64, n)
		for j := range d {
			d[j] = int64(math.Round(float64(p[min(j, len(p)-1)]) * math.Ldexp(1, q.DecayBits)))
		}
		return d
	}
	for i, l := range e.layers {
		if l.rho != nil || l.k != nil || l.ad != nil || l.rec != nil || !l.neuron && l.op != opLinear {
			return nil, fmt.Errorf("infer: fixed point: layer %q: kind %q has no fixed-point form", l.name, l.kind)
		}
		fl := FixedLayer{Name: l.name, Kind: l.kind, In: l.in, Out: l.out, reset: l.reset, neuron: l.neuron, spiking: l.spiking}
		if l.spiking {
			fl.Reset = map[kernels.ResetMode]string{kernels.ResetSubtract: model.ResetSubtract,
				kernels.ResetZero: model.ResetZero, kernels.ResetNone: model.ResetNone}[l.reset]
		}
		if l.neuron {
			if i == 0 || e.layers[i-1].neuron {
				return nil, fmt.Errorf("infer: fixed point: layer %q: a neuron layer must follow a Linear layer", l.name)
			}
			prev := &f.Layers[i-1]
			fl.Scale = make([]float64, l.out)
			for j := range fl.Scale {
				fl.Scale[j] = prev.WeightScale[min(j, len(prev.WeightScale)-1)] * prev.InputScale
			}
			fl.Beta = decay(l.beta, l.out)
			if l.alpha != nil {
				fl.Alpha = decay(l.alpha, l.out)
			}
			if l.spiking {
				fl.Threshold = make([]int64, l.out)
				for j := range fl.Threshold {
					fl.Threshold[j] = min(int64(math.Round(float64(l.thr[min(j, len(l.thr)-1)])/fl.Scale[j])), vmax)
				}
			}
			f.Layers = append(f.Layers, fl)
			continue
		}
		// A Linear layer.
		switch {
		case i > 0 && !e.layers[i-1].spiking:
			return nil, fmt.Errorf("infer: fixed point: layer %q: a Linear layer takes spikes or the network's input, not the analog output of %q", l.name, e.layers[i-1].name)
		case i+1 >= len(e.layers) || !e.layers[i+1].neuron:
			return nil, fmt.Errorf("infer: fixed point: layer %q: a Linear layer must feed a neuron layer", l.name)
		}
		fl.InputScale = 1
		analog := i == 0 && !m.Encoding.Binary()
		if analog {
			fl.InputScale = f.InputScale
		}
		if lim := math.Ldexp(1, 62); qw*qx*float64(l.in) >= lim || !analog && qw*float64(l.in) >= lim {
			return nil, fmt.Errorf("infer: fixed point: layer %q: %d inputs of %d bits times %d-bit weights could overflow a 64-bit sum", l.name, l.in, q.InputBits, q.WeightBits)
		}
		next := e.layers[i+1]
		thr := func(j int) float64 {
			if next.thr == nil {
				return 0
			}
			return float64(next.thr[min(j, len(next.thr)-1)])
		}
		// The largest magnitude per column, and of the layer.
		colMax := make([]float64, l.out)
		layerMax, thrMax := 0.0, 0.0
		for k := range l.in {
			for j, w := range l.w[k*l.out : (k+1)*l.out] {
				colMax[j] = max(colMax[j], math.Abs(float64(w)))
			}
		}
		for j := range colMax {
			layerMax, thrMax = max(layerMax, colMax[j]), max(thrMax, thr(j))
		}
		floor := func(t float64) float64 { return t / (fl.InputScale * head) }
		layerScale := max(layerMax/qw, floor(thrMax))
		if layerScale == 0 {
			layerScale = 1 / qw // all weights and thresholds zero: any scale
		}
		if q.PerChannel {
			fl.WeightScale = make([]float64, l.out)
			for j, c := range colMax {
				s := max(c/qw, floor(thr(j)))
				if s == 0 {
					s = layerScale
				}
				fl.WeightScale[j] = s
			}
		} else {
			fl.WeightScale = []float64{layerScale}
		}
		sw := func(j int) float64 { return fl.WeightScale[min(j, len(fl.WeightScale)-1)] }
		fl.Weight = make([]int64, len(l.w))
		for k := range l.in {
			for j, w := range l.w[k*l.out : (k+1)*l.out] {
				v := math.Round(float64(w) / sw(j))
				fl.Weight[k*l.out+j] = int64(max(-qw, min(qw, v)))
			}
		}
		if l.b != nil {
			fl.Bias = make([]int64, l.out)
			for j, b := range l.b {
				fl.Bias[j] = max(-vmax-1, min(vmax, int64(math.Round(float64(b)/(sw(j)*fl.InputScale)))))
			}
		}
		f.Layers = append(f.Layers, fl)
	}
	return f, nil
}

// fixedState is the state of one sample.
type fixedState struct {
	cur       [][]int64 // per layer: a Linear's current of the step
	mem, syn  [][]int64 // per neuron layer
	spk       [][]bool  // per spiking layer, the last step's spikes
	score     []int64
	xq        []int64
	count     []layerCount
	constDone []bool
}

func (f *FixedModel) newState() *fixedState {
	s := &fixedState{score: make([]int64, f.classes), xq: make([]int64, f.in), count: make([]layerCount, len(f.Layers)), constDone: make([]bool, len(f.Layers))}
	for _, l := range f.Layers {
		var cur, mem, syn []int64
		var spk []bool
		if l.neuron {
			mem = make([]int64, l.Out)
			if l.Alpha != nil {
				syn = make([]int64, l.Out)
			}
			if l.spiking {
				spk = make([]bool, l.Out)
			}
		} else {
			cur = make([]int64, l.Out)
		}
		s.cur, s.mem, s.syn, s.spk = append(s.cur, cur), append(s.mem, mem), append(s.syn, syn), append(s.spk, spk)
	}
	return s
}

func (s *fixedState) reset(f *FixedModel) {
	for i := range f.Layers {
		clear(s.mem[i])
		clear(s.syn[i])
		clear(s.spk[i])
		s.constDone[i] = false
	}
	clear(s.score)
	if f.Model.Readout == ReadoutMembraneMax {
		for i := range s.score {
			s.score[i] = math.MinInt64
		}
	}
}

// FixedTrace records a fixed-point run of one sample: per layer and step,
// the integer output (a Linear's current I, a spiking layer's spikes as 0 or
// 1, an li layer's membrane) and a neuron layer's membrane, [steps·Out].
type FixedTrace struct {
	Layers []FixedLayerTrace
}

// FixedLayerTrace is one layer's part of a FixedTrace.
type FixedLayerTrace struct {
	Name     string
	Out, Mem []int64
}

// Forward runs one sample from the resting state and returns its predicted
// class. x is its input, [steps·Inputs] time-major, or with constant set one
// step [Inputs] presented at every step. Analog input (direct encoding) is
// quantised to InputBits; other encodings take x as spikes (any nonzero value
// is one spike). tr, when not nil, records every step.
func (f *FixedModel) Forward(x []float32, steps int, constant bool, tr *FixedTrace) (int, error) {
	if steps <= 0 {
		return 0, fmt.Errorf("infer: fixed point: Forward: steps = %d: must be > 0", steps)
	}
	if constant && len(x) != f.in || !constant && len(x) != steps*f.in {
		return 0, fmt.Errorf("infer: fixed point: Forward: %d input values for %d steps of %d features (constant = %v)", len(x), steps, f.in, constant)
	}
	s := f.newState()
	if tr != nil {
		tr.Layers = tr.Layers[:0]
		for _, l := range f.Layers {
			lt := FixedLayerTrace{Name: l.Name, Out: make([]int64, steps*l.Out)}
			if l.neuron {
				lt.Mem = make([]int64, steps*l.Out)
			}
			tr.Layers = append(tr.Layers, lt)
		}
	}
	return f.forward(s, x, steps, constant, tr), nil
}

// forward runs one sample on s (reset first) and returns its class.
func (f *FixedModel) forward(s *fixedState, x []float32, steps int, constant bool, tr *FixedTrace) int {
	s.reset(f)
	binary := f.Model.Encoding.Binary()
	qx := int64(1)<<(f.Config.InputBits-1) - 1
	vmax := int64(1)<<(f.Config.MembraneBits-1) - 1
	vmin := -vmax - 1
	db := uint(f.Config.DecayBits)
	half := int64(1) << (db - 1)
	sat := func(v int64) int64 { return max(vmin, min(vmax, v)) }
	for t := range steps {
		if t == 0 || !constant {
			xt := x
			if !constant {
				xt = x[t*f.in : (t+1)*f.in]
			}
			for k, v := range xt {
				switch {
				case binary && v != 0:
					s.xq[k] = 1
				case binary:
					s.xq[k] = 0
				default:
					s.xq[k] = max(-qx, min(qx, int64(math.Round(float64(v)/f.InputScale))))
				}
			}
		}
		var in []int64 // the integer input of the current layer
		var inSpk []bool
		in = s.xq
		for i := range f.Layers {
			l := &f.Layers[i]
			c := &s.count[i]
			if !l.neuron {
				cur := s.cur[i]
				before := constant && i < f.firstNeuron
				if !(before && s.constDone[i]) {
					if l.Bias != nil {
						copy(cur, l.Bias)
					} else {
						clear(cur)
					}
					nnz := 0
					for k := range l.In {
						var v int64
						if inSpk != nil {
							if !inSpk[k] {
								continue
							}
							v = 1
						} else if v = in[k]; v == 0 {
							continue
						}
						nnz++
						row := l.Weight[k*l.Out : (k+1)*l.Out]
						if v == 1 {
							for j, w := range row {
								cur[j] += w
							}
						} else {
							for j, w := range row {
								cur[j] += w * v
							}
						}
					}
					if binary || inSpk != nil {
						c.synOps += float64(nnz * l.Out)
					} else {
						c.macs += float64(nnz * l.Out)
					}
					if before {
						s.constDone[i] = true
						c.denseOps += float64(l.In * l.Out)
					}
				}
				if !before {
					c.denseOps += float64(l.In * l.Out)
				}
				if tr != nil {
					copy(tr.Layers[i].Out[t*l.Out:], cur)
				}
				in, inSpk = cur, nil
				continue
			}
			mem, syn, spk := s.mem[i], s.syn[i], s.spk[i]
			for j := range mem {
				I := in[j]
				if syn != nil {
					syn[j] = sat((syn[j]*l.Alpha[j]+half)>>db + I)
					I = syn[j]
				}
				v := (mem[j]*l.Beta[j] + half) >> db
				if spk != nil && spk[j] {
					switch l.reset {
					case kernels.ResetSubtract:
						v -= l.Threshold[j]
					case kernels.ResetZero:
						v = 0
					}
				}
				v = sat(v + I)
				mem[j] = v
				if spk != nil {
					spk[j] = v > l.Threshold[j]
					if spk[j] {
						c.spikes++
					}
				}
			}
			c.updates += float64(l.Out)
			if tr != nil {
				lt := &tr.Layers[i]
				copy(lt.Mem[t*l.Out:], mem)
				for j := range mem {
					o := mem[j]
					if spk != nil {
						o = 0
						if spk[j] {
							o = 1
						}
					}
					lt.Out[t*l.Out+j] = o
				}
			}
			in, inSpk = mem, spk
		}
		last := len(f.Layers) - 1
		switch f.Model.Readout {
		case ReadoutSpikeCount:
			for j, sp := range s.spk[last] {
				if sp {
					s.score[j]++
				}
			}
		case ReadoutMembraneMax:
			for j, v := range s.mem[last] {
				s.score[j] = max(s.score[j], v)
			}
		default:
			for j, v := range s.mem[last] {
				s.score[j] += v
			}
		}
	}
	// The class: the argmax of the real scores, the first on ties.
	last := &f.Layers[len(f.Layers)-1]
	best, bestScore := 0, 0.0
	for j, v := range s.score {
		r := float64(v)
		if f.Model.Readout != ReadoutSpikeCount {
			r *= last.Scale[j]
		}
		if j == 0 || r > bestScore {
			best, bestScore = j, r
		}
	}
	return best
}

// Run runs the fixed-point model over the samples of ds in order, as
// Engine.Run does (the same encodings, the same rate-encoding spikes for the
// same Seed), and returns the predicted classes and the Stats of the run.
// Samples run one at a time; BatchSize only sets how many are read at once.
func (f *FixedModel) Run(ds datasets.Dataset, opt RunOptions) ([]int, *Stats, error) {
	s := f.newState()
	total := make([]layerCount, len(f.Layers))
	var one []float32
	preds, correct, steps, err := eachBatch(f.Model, f.in, ds, opt, func(x []float32, steps, B int, constant bool, preds []int) error {
		xs := steps
		if constant {
			xs = 1
		}
		for b := range B {
			// Sample b's steps of x [xs, B, in], time-major.
			one = one[:0]
			for t := range xs {
				one = append(one, x[(t*B+b)*f.in:(t*B+b+1)*f.in]...)
			}
			clear(s.count)
			preds[b] = f.forward(s, one, steps, constant, nil)
			addCounts(total, s.count)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	st := f.eng.stats(total, len(preds), steps) // the same layers
	if len(preds) > 0 {
		st.Accuracy = float64(correct) / float64(len(preds))
	}
	return preds, st, nil
}
