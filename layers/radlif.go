package layers

import (
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// RadLIF is a layer of recurrent adaptive leaky integrate-and-fire
// neurons, the RadLIF of Bittar and Garner 2022 ("A surrogate gradient
// spiking baseline for speech command recognition"), as their code sparch
// (RadLIFLayer) computes it: an AdLIF layer whose spikes of one step reach
// every other neuron at the next through the recurrent weight V [N, N].
// Its input is the already projected input current x [T, B, N] (a Linear
// before it projects the whole sequence in one product). For t = 0 .. T-1,
// per neuron j:
//
//	R[t]    = Σ_{i≠j} S[t-1, i]·V[i, j]
//	w[t]    = beta·w[t-1] + a·u[t-1] + b·S[t-1]
//	u[t]    = alpha·(u[t-1] - thr·S[t-1]) + (1 - alpha)·(x[t] + R[t] - w[t])
//	S[t]    = H(u[t] - thr)
//
// with everything else, defaults included, as AdLIF. V is stored [N_from,
// N_to] (row i: the weights from neuron i, sparch's matmul(S, V)); its
// diagonal is held at zero (sparch's fill_diagonal_(0) in every forward
// pass): the layer multiplies V by a mask of zeros on the diagonal, so the
// diagonal has no effect and gets no gradient. V starts as a random
// orthogonal matrix (sparch's nn.init.orthogonal_) with its diagonal
// cleared, and is always trained. The gradient flows through the fed-back
// spikes (by the surrogate) into V and into earlier steps.
//
// To train it as sparch does, put a BatchNorm (mode shared, momentum 0.05)
// between the Linear in front and the layer, and set ResetGrad: sparch
// normalises the projected input over batch and time, and detaches
// nothing; examples/randman-radlif.yaml is that setup. Both matter. At
// sparch's alpha (1 - alpha <= 0.18) and threshold 1, the unnormalised
// current of a sparse input keeps the membrane below the boxcar's window,
// where the surrogate passes no gradient; and with ResetGrad false the
// last spikes' gradient reaches earlier steps through the recurrence only.
// Measured on Randman (that file, 6 epochs): test accuracy 0.95; with
// ResetGrad false 0.215; without the BatchNorm and the dropout (a bias on
// the Linear instead) 0.27 (chance 0.1). AdLIF, with no recurrence, learned
// to 0.88 with the BatchNorm and ResetGrad false.
//
// Run records one tape entry for the whole sequence, the fused recurrent
// scan of kernels.RadLIFScan: per time step the recurrent product,
// event-driven when the previous step's spikes are sparse (below the tape's
// event activity, as autograd's MatMul chooses), and one AdLIF step; in the
// backward pass, per step, the gradient of the previous step's spikes
// dS[t-1] += dR[t]·Vᵀ, and after the time loop the weight gradient
// dV = Σ_t S[t-1]ᵀ·dR[t] as one product over the whole sequence. It gives
// the same values, bit for bit, as T calls of Step (written with tape ops),
// and the same gradients up to float32 summation order. The input
// projection is done before, by the Linear in front, in one product over
// the sequence.
type RadLIF struct {
	name   string
	N      int
	Config AdLIFConfig
	adlifParams
	V    *autograd.Param // [N, N], "<name>.recurrent"; diagonal held at zero
	mask []float32       // [N*N]: 1 off the diagonal, 0 on it
}

// NewRadLIF returns a RadLIF layer of n neurons called name, configured by
// c:
//
//	rec := layers.NewRadLIF("rec", 256, layers.AdLIFConfig{RNG: rng})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewRadLIF(name string, n int, c AdLIFConfig) *RadLIF { return must(newRadLIF(name, n, c)) }

func newRadLIF(name string, n int, c AdLIFConfig) (*RadLIF, error) {
	c = c.withDefaults()
	if err := surrogate.Validate(c.Surrogate); err != nil {
		return nil, surrogateError(model.KindRadLIF, name, err)
	}
	if err := check(name, model.RadLIF{AdLIF: c.spec(n)}); err != nil {
		return nil, err
	}
	rng := source(c.RNG, name)
	c.RNG = nil
	l := &RadLIF{name: name, N: n, Config: c, adlifParams: newAdLIFParams(name, n, c, rng),
		V: autograd.NewParam(name+".recurrent", nil, n, n), mask: make([]float32, n*n)}
	orthogonal(l.V.Data, n, rng)
	for i := range n {
		for j := range n {
			if i != j {
				l.mask[i*n+j] = 1
			}
		}
		l.V.Data[i*n+i] = 0
	}
	return l, nil
}

// orthogonal fills v [n, n] with a random orthogonal matrix: the Q of the
// QR decomposition of a matrix of standard normal values, with the signs
// that make R's diagonal positive (PyTorch's nn.init.orthogonal_), by
// modified Gram-Schmidt in float64 over the rows.
func orthogonal(v []float32, n int, rng *rand.Rand) {
	q := make([]float64, n*n)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for i := range n {
		row := q[i*n : (i+1)*n]
		for k := range i {
			prev := q[k*n : (k+1)*n]
			var d float64
			for j := range row {
				d += row[j] * prev[j]
			}
			for j := range row {
				row[j] -= d * prev[j]
			}
		}
		var s float64
		for _, x := range row {
			s += x * x
		}
		s = 1 / math.Sqrt(s)
		for j := range row {
			row[j] *= s
		}
	}
	for i, x := range q {
		v[i] = float32(x)
	}
}

func init() {
	register(model.KindRadLIF, func(name string, p model.Payload, rng *rand.Rand) (Layer, error) {
		s := p.(*model.RadLIF)
		c, err := adlifConfig(model.KindRadLIF, name, &s.AdLIF, rng)
		if err != nil {
			return nil, err
		}
		return newRadLIF(name, s.N, c)
	})
}

// Name returns the layer's name.
func (l *RadLIF) Name() string { return l.name }

// Params returns alpha, beta, a, b, the threshold and the recurrent weight.
func (l *RadLIF) Params() []*autograd.Param {
	p := l.params()
	return append(p[:], l.V)
}

// SpikeThreshold returns the Threshold parameter.
func (l *RadLIF) SpikeThreshold() *autograd.Param { return l.Threshold }

// Forward returns the spikes of Scan.
func (l *RadLIF) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the zero state and returns the
// spikes and membrane potentials u.
func (l *RadLIF) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.Run(t, x, AdLIFState{})
	return spk, mem
}

// recurrent returns V with its diagonal cleared, on the tape.
func (l *RadLIF) recurrent(t *autograd.Tape) *autograd.Var {
	return t.Mul(t.Param(l.V), t.Constant(l.mask, l.N, l.N))
}

// radInput returns x + S·V, the input current of one step plus the recurrent
// current of the last spikes spk (nil: none).
func radInput(t *autograd.Tape, x, spk, v *autograd.Var) *autograd.Var {
	if spk == nil {
		return x
	}
	return t.Add(x, t.MatMul(spk, v))
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membranes u and the state after the last step (see Stateful). It
// panics with an *autograd.ShapeError for a wrong shape.
func (l *RadLIF) Run(t *autograd.Tape, x *autograd.Var, s AdLIFState) (spk, mem *autograd.Var, next AdLIFState) {
	const op = "RadLIF.Run"
	T, B := seqDims(op, x, l.N)
	var v *autograd.Var
	if T > 0 {
		v = l.recurrent(t)
	}
	return runAdLIF(t, op, &l.adlifParams, &l.Config, x, T, B, l.N, s, v)
}

// Step advances the layer by one time step (see Stateful).
func (l *RadLIF) Step(t *autograd.Tape, x *autograd.Var, s AdLIFState) (spk *autograd.Var, next AdLIFState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the surrogate's smooth function in place of the
// spike's step.
func (l *RadLIF) StepSmooth(t *autograd.Tape, x *autograd.Var, s AdLIFState) (spk *autograd.Var, next AdLIFState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *RadLIF) step(t *autograd.Tape, x *autograd.Var, s AdLIFState, spike spikeFunc) (*autograd.Var, AdLIFState) {
	const op = "RadLIF.Step"
	B := stepBatch(op, x, l.N)
	checkState(op, "Spk", s.Spk, B, l.N)
	cur := x
	if s.Spk != nil {
		cur = radInput(t, x, s.Spk, l.recurrent(t))
	}
	return stepAdLIF(t, op, &l.adlifParams, &l.Config, l.N, cur, s, spike)
}

// Spec describes the layer for a model file: a model.RadLIF.
func (l *RadLIF) Spec() model.Layer {
	return model.NewLayer(l.name, model.RadLIF{AdLIF: l.Config.spec(l.N)})
}
