package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
)

// BNMode is how a BatchNorm layer groups the values it normalises: the
// modes of model files (model.BNShared, model.BNPerStep, model.BNTD).
type BNMode string

// The modes of BatchNorm.
const (
	// BNShared: one set of statistics per channel over every time step,
	// sample and pixel, as SpikingJelly's SeqToANNContainer(BatchNorm2d),
	// the usual choice of convolutional SNNs.
	BNShared BNMode = model.BNShared
	// BNPerStep: statistics and a scale γ per time step and channel, no
	// shift β. BNTT (Kim and Panda 2021).
	BNPerStep BNMode = model.BNPerStep
	// BNTD: BNShared's statistics, the normalised value scaled by
	// α·V_th. tdBN (Zheng et al. 2021).
	BNTD BNMode = model.BNTD
)

// BatchNormConfig configures a BatchNorm layer. Its zero value is PyTorch's
// nn.BatchNorm2d in mode BNShared: eps 1e-5, momentum 0.1.
type BatchNormConfig struct {
	// Mode is BNShared (the zero value ""), BNPerStep or BNTD.
	Mode BNMode
	// Steps is the number of time steps T of mode BNPerStep, which keeps
	// statistics and γ per step; the layer then takes sequences of
	// exactly T steps. Unused in the other modes.
	Steps int
	// Eps is added to the variance; 0 means PyTorch's 1e-5 (BNTT's code
	// uses 1e-4).
	Eps float32
	// Momentum weighs a training batch's statistics in the running ones;
	// 0 means PyTorch's 0.1. (A model file may hold momentum 0, which
	// keeps the running statistics as they are.)
	Momentum float32
	// Alpha and Threshold scale the normalised value by α·V_th in mode
	// BNTD, where V_th is the threshold of the neurons that follow; 0
	// means 1 (tdBN's α = 1, and spikegrad's default threshold). Unused
	// in the other modes.
	Alpha, Threshold float32
}

// BatchNorm is batch normalisation through time over sequences [T, B, F]
// whose F features per frame are C channels of S = F/C values each,
// channel-major (a convolution's output C·H·W, as Conv2d lays it out, or C
// features after a Linear layer, S = 1).
//
// # Equations
//
// In training, for each channel c and group g of frames (mode BNShared
// and BNTD: one group of all T·B frames; BNPerStep: one group per time
// step t, of its B frames), over the M values x of the channel in the
// group (M = T·B·S, or B·S per step),
//
//	μ = Σ x / M,   σ² = Σ (x − μ)² / M                    (biased)
//	y = γ · k · (x − μ) / √(σ² + ε) + β
//
// with k = 1 (BNShared, BNPerStep) or k = α·V_th (BNTD), γ and β the
// channel's (BNPerStep: γ of step t and channel c, and β = 0). The
// gradient flows through μ and σ² as well, as in PyTorch. Each training
// Forward updates the running statistics, PyTorch's rule (torch.nn.BatchNorm2d
// docs, momentum m):
//
//	running_mean ← (1 − m) · running_mean + m · μ
//	running_var  ← (1 − m) · running_var  + m · σ² · M/(M − 1)   (unbiased)
//
// In inference, y is the same expression with the running statistics in
// place of μ and σ² (nothing is updated).
//
// # Sources
//
// BNShared is SpikingJelly's layer.SeqToANNContainer(nn.BatchNorm2d) over
// [T, B, C, H, W]. BNPerStep is BNTT, Kim and Panda 2021, "Revisiting batch
// normalization for training low-latency deep spiking neural networks
// from scratch" (Frontiers in Neuroscience): per-step statistics and γ, no
// β (their code sets the bias of each per-step BatchNorm to None). BNTD is
// tdBN, Zheng et al. 2021, "Going deeper with directly-trained larger
// spiking neural networks" (AAAI): statistics over T·B·H·W and the
// normalised value scaled by α·V_th before γ and β (α = 1 in most of
// their layers, 1/√2 before a residual sum).
//
// # Defaults
//
// γ = 1, β = 0, running mean 0, running variance 1, ε = 1e-5, momentum 0.1
// (PyTorch's). The running statistics are Params that stay Frozen: the
// optimizer leaves them alone, and they are saved and restored with the
// weights in model files and checkpoints.
//
// # Training and inference
//
// A BatchNorm layer is in inference mode until SetTraining gives it a
// (non-nil) random source, which it does not draw from; train.Fit does so
// for each training step and takes it away before evaluating, so the
// running statistics move once per training step and never in evaluation.
// A constant input [B, F] (the one Sequential runs once before its first
// neuron layer) is normalised in modes BNShared and BNTD as one step:
// μ and σ² are those of the input repeated T times, and only the running
// variance's factor M/(M − 1) counts M = B·S values instead of T·B·S.
// Sequential repeats a constant input over time before a BNPerStep layer.
//
// # Variable-length sequences
//
// For a padded batch of sequences of their own lengths (Sequential.SetLengths),
// modes BNShared and BNTD take the training statistics over the valid frames
// only (M counts their values; the padded frames are normalised with them
// but get no gradient), so the valid frames come out, and their gradients,
// as if the padding were not there. Mode BNPerStep refuses padded batches.
type BatchNorm struct {
	name     string
	C, N     int // channels, features per frame
	Config   BatchNormConfig
	Weight   *autograd.Param // γ: [C], or [Steps, C] in mode BNPerStep; "<name>.weight"
	Bias     *autograd.Param // β: [C]; nil in mode BNPerStep; "<name>.bias"
	Mean     *autograd.Param // running mean, shaped as Weight, Frozen; "<name>.running_mean"
	Var      *autograd.Param // running variance, shaped as Weight, Frozen; "<name>.running_var"
	training bool
	lengths  []int // the valid steps of each sample of a padded batch (setLengths), or nil
}

// NewBatchNorm returns a BatchNorm layer called name over n features per
// frame, read as channels channels of n/channels values:
//
//	bn := layers.NewBatchNorm("bn1", 128, 128*28*28, layers.BatchNormConfig{})
//
// It panics with a *ConfigError for sizes below 1, channels that do not
// divide n, an unknown mode, Steps below 1 in mode BNPerStep, or a
// negative Eps, Momentum above 1, or a negative Alpha or Threshold.
func NewBatchNorm(name string, channels, n int, c BatchNormConfig) *BatchNorm {
	return must(newBatchNorm(name, batchNormSpec(channels, n, c)))
}

func batchNormSpec(channels, n int, c BatchNormConfig) model.BatchNorm {
	p := model.BatchNorm{N: n, Channels: channels, Mode: string(c.Mode), Eps: c.Eps, Momentum: c.Momentum}
	if p.Mode == "" {
		p.Mode = model.BNShared
	}
	if p.Eps == 0 {
		p.Eps = 1e-5
	}
	if p.Momentum == 0 {
		p.Momentum = 0.1
	}
	if p.Mode == model.BNPerStep {
		p.Steps = c.Steps
	}
	if p.Mode == model.BNTD {
		p.Alpha, p.Threshold = c.Alpha, c.Threshold
		if p.Alpha == 0 {
			p.Alpha = 1
		}
		if p.Threshold == 0 {
			p.Threshold = 1
		}
	}
	return p
}

func newBatchNorm(name string, s model.BatchNorm) (*BatchNorm, error) {
	if err := check(name, s); err != nil {
		return nil, err
	}
	l := &BatchNorm{name: name, C: s.Channels, N: s.N, Config: BatchNormConfig{Mode: BNMode(s.Mode), Steps: s.Steps,
		Eps: s.Eps, Momentum: s.Momentum, Alpha: s.Alpha, Threshold: s.Threshold}}
	shape := []int{s.Channels}
	if l.perStep() {
		shape = []int{s.Steps, s.Channels}
	}
	l.Weight = autograd.NewParam(name+".weight", nil, shape...)
	fill(l.Weight.Data, 1)
	if !l.perStep() {
		l.Bias = autograd.NewParam(name+".bias", nil, shape...)
	}
	l.Mean = autograd.NewParam(name+".running_mean", nil, shape...)
	l.Var = autograd.NewParam(name+".running_var", nil, shape...)
	fill(l.Var.Data, 1)
	l.Mean.Frozen, l.Var.Frozen = true, true
	return l, nil
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

func init() {
	register(model.KindBatchNorm, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		return newBatchNorm(name, *p.(*model.BatchNorm))
	})
}

func (l *BatchNorm) perStep() bool { return l.Config.Mode == BNPerStep }

// scale is k of the equations: α·V_th in mode BNTD, else 1.
func (l *BatchNorm) scale() float64 {
	if l.Config.Mode == BNTD {
		return float64(l.Config.Alpha) * float64(l.Config.Threshold)
	}
	return 1
}

// needsSteps reports whether Sequential must repeat a constant input over
// time before the layer: in mode BNPerStep, which normalises each step
// with its own statistics.
func (l *BatchNorm) needsSteps() bool { return l.perStep() }

// Name returns the layer's name.
func (l *BatchNorm) Name() string { return l.name }

// Params returns γ, β (not in mode BNPerStep), and the running mean and
// variance (Frozen).
func (l *BatchNorm) Params() []*autograd.Param {
	if l.Bias == nil {
		return []*autograd.Param{l.Weight, l.Mean, l.Var}
	}
	return []*autograd.Param{l.Weight, l.Bias, l.Mean, l.Var}
}

// SetTraining puts the layer in training mode (batch statistics, running
// statistics updated at each Forward) for a non-nil rng, which it does not
// draw from, or with nil in inference mode (running statistics).
func (l *BatchNorm) SetTraining(rng *rand.Rand) { l.training = rng != nil }

// Training reports whether the layer is in training mode.
func (l *BatchNorm) Training() bool { return l.training }

// setLengths gives the layer the valid steps of each sample of the padded
// batches that follow (nil: none). In training, modes BNShared and BNTD
// then take their statistics over the valid steps only (M counts the
// values of valid frames) and give the padded frames no gradient; mode
// BNPerStep, which keeps statistics per step of sequences of exactly
// Steps steps, refuses padded batches. In inference (running statistics)
// each value is normalised on its own and the lengths change nothing.
func (l *BatchNorm) setLengths(lengths []int) error {
	if lengths != nil && l.perStep() {
		return &ConfigError{Kind: model.KindBatchNorm, Layer: l.name, Field: "mode", Value: string(l.Config.Mode),
			Msg: "keeps statistics per time step of sequences of exactly steps steps; it cannot take a batch of variable-length sequences padded to the longest"}
	}
	l.lengths = lengths
	return nil
}

// Spec describes the layer for a model file: a model.BatchNorm.
func (l *BatchNorm) Spec() model.Layer {
	c := l.Config
	return model.NewLayer(l.name, model.BatchNorm{N: l.N, Channels: l.C, Mode: string(c.Mode), Steps: c.Steps,
		Eps: c.Eps, Momentum: c.Momentum, Alpha: c.Alpha, Threshold: c.Threshold})
}

// Forward normalises x, a sequence [T, B, N] (or, in modes BNShared and
// BNTD, any [..., N], whose leading axes are all frames), and returns a
// Var of its shape. In training mode it also updates the running
// statistics. It panics with an *autograd.ShapeError if x's last dimension
// is not N, if a BNPerStep layer gets other than [Steps, B, N], or if in
// training a channel has fewer than two values per group (whose variance
// cannot be estimated, as PyTorch refuses), and with a *ConfigError naming
// the value if in inference a running statistic is not finite or a
// running variance is negative.
func (l *BatchNorm) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	const op = "BatchNorm.Forward"
	s := x.Shape()
	bad := func(msg string) {
		panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), s...)}, Msg: fmt.Sprintf("layer %q: %s", l.name, msg)})
	}
	if len(s) == 0 || s[len(s)-1] != l.N {
		bad(fmt.Sprintf("the last dimension must be %d", l.N))
	}
	frames := len(x.Data) / l.N
	groups := 1
	if l.perStep() {
		if len(s) != 3 || s[0] != l.Config.Steps {
			bad(fmt.Sprintf("mode per_step takes sequences [%d, B, %d]", l.Config.Steps, l.N))
		}
		groups = l.Config.Steps
	}
	S := l.N / l.C
	o := autograd.Pooled[bnOp](t)
	o.l, o.training = l, l.training
	o.groups, o.rows, o.s = groups, frames/groups, S
	o.lengths, o.b, o.valid = nil, 0, frames/groups
	if l.training && l.lengths != nil && len(s) == 3 {
		if len(l.lengths) != s[1] {
			bad(fmt.Sprintf("%d lengths (setLengths) for a batch of %d", len(l.lengths), s[1]))
		}
		o.lengths, o.b, o.valid = l.lengths, s[1], 0
		for _, n := range l.lengths {
			if n < 1 || n > s[0] {
				bad(fmt.Sprintf("length %d (setLengths) outside [1, %d]", n, s[0]))
			}
			o.valid += n
		}
	}
	if l.training && o.valid*S < 2 {
		bad(fmt.Sprintf("training needs more than one value per channel (got %d frames of %d values per channel%s)",
			o.valid, S, map[bool]string{true: " per step", false: ""}[l.perStep()]))
	}
	o.mean = grow(o.mean, groups*l.C)
	o.inv = grow(o.inv, groups*l.C)
	y := t.NewRaw(s...)
	o.forward(x.Data, y.Data)
	gamma := t.Param(l.Weight)
	if l.Bias != nil {
		t.Record(y, o, x, gamma, t.Param(l.Bias))
	} else {
		t.Record(y, o, x, gamma)
	}
	return y
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// bnOp is one BatchNorm Forward: the per-group, per-channel mean and
// 1/√(σ² + ε) it normalised with (batch statistics in training, running
// ones in inference), kept for the backward pass. It comes from the
// tape's pool (autograd.Pooled), so its slices are reused.
type bnOp struct {
	l               *BatchNorm
	training        bool
	groups, rows, s int
	mean, inv       []float64 // [groups·C]
	sum, sq         []float64 // scratch [C]
	// lengths holds the valid steps of each of the b samples of a padded
	// batch in training (frame f = t·b + i is valid for t < lengths[i]),
	// or is nil; valid is the number of valid frames per group.
	lengths  []int
	b, valid int
}

// skip reports whether frame f (row f of x) is padding, outside the
// statistics and the gradient.
func (o *bnOp) skip(f int) bool {
	return o.lengths != nil && f/o.b >= o.lengths[f%o.b]
}

// forward writes y from x, computing (in training) the batch statistics
// and updating the running ones.
func (o *bnOp) forward(x, y []float32) {
	l := o.l
	C, S, F := l.C, o.s, l.N
	gw := l.Weight.Data
	var beta []float32
	if l.Bias != nil {
		beta = l.Bias.Data
	}
	k := l.scale()
	eps := float64(l.Config.Eps)
	for g := range o.groups {
		mean, inv := o.mean[g*C:(g+1)*C], o.inv[g*C:(g+1)*C]
		p := 0 // the offset of the group's γ and statistics
		if l.perStep() {
			p = g * C
		}
		rows := x[g*o.rows*F : (g+1)*o.rows*F]
		if o.training {
			o.sum, o.sq = grow(o.sum, C), grow(o.sq, C)
			clear(o.sum)
			clear(o.sq)
			for r := 0; r < len(rows); r += F {
				if o.skip(g*o.rows + r/F) {
					continue
				}
				for c := range C {
					s1, s2 := sumSq(rows[r+c*S : r+c*S+S])
					o.sum[c] += s1
					o.sq[c] += s2
				}
			}
			m := float64(o.valid * S)
			mom := float64(l.Config.Momentum)
			rm, rv := l.Mean.Data[p:p+C], l.Var.Data[p:p+C]
			for c := range C {
				mu := o.sum[c] / m
				v := max(o.sq[c]/m-mu*mu, 0)
				mean[c], inv[c] = mu, 1/math.Sqrt(v+eps)
				rm[c] = float32((1-mom)*float64(rm[c]) + mom*mu)
				rv[c] = float32((1-mom)*float64(rv[c]) + mom*v*m/(m-1))
			}
		} else {
			for c := range C {
				rm, rv := float64(l.Mean.Data[p+c]), float64(l.Var.Data[p+c])
				if math.IsNaN(rm) || math.IsInf(rm, 0) {
					panic(l.statError("running_mean", p+c, l.Mean.Data[p+c]))
				}
				if !(rv >= 0) || math.IsInf(rv, 0) {
					panic(l.statError("running_var", p+c, l.Var.Data[p+c]))
				}
				mean[c], inv[c] = rm, 1/math.Sqrt(rv+eps)
			}
		}
		yg := y[g*o.rows*F : (g+1)*o.rows*F]
		for r := 0; r < len(rows); r += F {
			for c := range C {
				a, mu, b := float64(gw[p+c])*k*inv[c], mean[c], 0.0
				if beta != nil {
					b = float64(beta[c])
				}
				normalize(yg[r+c*S:r+c*S+S], rows[r+c*S:r+c*S+S], mu, a, b)
			}
		}
	}
}

// statError is the error of a running statistic that inference cannot
// use: not finite, or a negative variance.
func (l *BatchNorm) statError(field string, i int, v float32) error {
	msg := "must be finite"
	if field == "running_var" {
		msg = "must be finite and ≥ 0"
	}
	return &ConfigError{Kind: model.KindBatchNorm, Layer: l.name, Field: fmt.Sprintf("%s[%d]", field, i), Value: v,
		Msg: msg + " (the running statistics of a damaged weights file?)"}
}

// sumSq returns Σ x and Σ x² in float64.
func sumSq(x []float32) (s1, s2 float64) {
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+1 < len(x); i += 2 {
		v0, v1 := float64(x[i]), float64(x[i+1])
		a0 += v0
		a1 += v1
		b0 += v0 * v0
		b1 += v1 * v1
	}
	if i < len(x) {
		v := float64(x[i])
		a0 += v
		b0 += v * v
	}
	return a0 + a1, b0 + b1
}

// normalize writes y = (x − mu)·a + b, rounded once to float32; the
// explicit float64 conversion keeps the product rounded (no fused
// multiply-add), so the result is the same on every architecture.
func normalize(y, x []float32, mu, a, b float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(float64((float64(v)-mu)*a) + b)
	}
}

// Backward propagates y's gradient into x, γ and β:
//
//	dβ = Σ dy,   dγ = k · inv · Σ dy·(x − μ)
//	dx = k·γ·inv · (dy − Σdy/M − (x − μ)·inv² · Σ dy·(x − μ) / M)   (training)
//	dx = k·γ·inv · dy                                             (inference)
//
// with inv = 1/√(σ² + ε), sums over the M values of the channel's group.
func (o *bnOp) Backward(t *autograd.Tape, out *autograd.Var, in []*autograd.Var) {
	l := o.l
	C, S, F := l.C, o.s, l.N
	x, dy := in[0].Data, out.Grad
	dx, fresh := t.GradBuffer(in[0])
	dg := t.GradOf(in[1])
	var db []float32
	if len(in) > 2 {
		db = t.GradOf(in[2])
	}
	gw := l.Weight.Data
	k := l.scale()
	m := float64(o.valid * S)
	for g := range o.groups {
		mean, inv := o.mean[g*C:(g+1)*C], o.inv[g*C:(g+1)*C]
		p := 0
		if l.perStep() {
			p = g * C
		}
		lo, hi := g*o.rows*F, (g+1)*o.rows*F
		xg, dyg := x[lo:hi], dy[lo:hi]
		o.sum, o.sq = grow(o.sum, C), grow(o.sq, C)
		clear(o.sum)
		clear(o.sq)
		if o.training || dg != nil || db != nil {
			for r := 0; r < len(xg); r += F {
				if o.skip(g*o.rows + r/F) {
					continue
				}
				for c := range C {
					s1, s2 := dotCentered(dyg[r+c*S:r+c*S+S], xg[r+c*S:r+c*S+S], mean[c])
					o.sum[c] += s1
					o.sq[c] += s2
				}
			}
		}
		for c := range C {
			if db != nil {
				db[p+c] += float32(o.sum[c])
			}
			if dg != nil {
				dg[p+c] += float32(k * inv[c] * o.sq[c])
			}
		}
		if dx == nil {
			continue
		}
		dxg := dx[lo:hi]
		for r := 0; r < len(xg); r += F {
			if o.skip(g*o.rows + r/F) { // padding: no gradient
				if fresh {
					clear(dxg[r : r+F])
				}
				continue
			}
			for c := range C {
				k1 := k * float64(gw[p+c]) * inv[c]
				var k2, k3 float64
				if o.training {
					k2 = k1 * inv[c] * inv[c] * o.sq[c] / m
					k3 = k1 * o.sum[c] / m
				}
				bnInputGrad(dxg[r+c*S:r+c*S+S], dyg[r+c*S:r+c*S+S], xg[r+c*S:r+c*S+S], mean[c], k1, k2, k3, fresh)
			}
		}
	}
}

// dotCentered returns Σ dy and Σ dy·(x − mu) in float64.
func dotCentered(dy, x []float32, mu float64) (s1, s2 float64) {
	x = x[:len(dy)]
	for i, g := range dy {
		d := float64(g)
		s1 += d
		s2 += d * (float64(x[i]) - mu)
	}
	return s1, s2
}

// bnInputGrad writes (fresh) or adds dx = k1·dy − k2·(x − mu) − k3.
func bnInputGrad(dx, dy, x []float32, mu, k1, k2, k3 float64, fresh bool) {
	dx, x = dx[:len(dy)], x[:len(dy)]
	if fresh {
		for i, g := range dy {
			dx[i] = float32(k1*float64(g) - k2*(float64(x[i])-mu) - k3)
		}
		return
	}
	for i, g := range dy {
		dx[i] += float32(k1*float64(g) - k2*(float64(x[i])-mu) - k3)
	}
}
