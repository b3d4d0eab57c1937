package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/surrogate"
)

// SRMConfig configures a layer of spike response model neurons. A zero
// field means the documented default; the defaults are the neuron of
// SLAYER's N-MNIST example (slayerPytorch, example/03_NMNIST_CNN/
// network.yaml: theta 10, tauSr 10, tauRef 1, scaleRef 2, tauRho 1,
// scaleRho 1).
type SRMConfig struct {
	// Threshold is θ, in the units of the membrane potential, > 0; zero
	// selects 10.
	Threshold float32
	// TauSR is the PSP kernel's time constant in time steps, > 0; zero
	// selects 10.
	TauSR float32
	// TauRef is the refractory kernel's time constant in time steps, > 0;
	// zero selects 1.
	TauRef float32
	// ScaleRef is the refractory kernel's scale relative to θ, > 0; zero
	// selects 2 (the paper's ν(t) = -2θ·...).
	ScaleRef float32
	// Epsilon is the level below which a kernel is truncated, once past its
	// peak, > 0; zero selects 0.01 (slayerPytorch's EPSILON).
	Epsilon float32
	// RefractoryGrad lets the gradient flow through the refractory
	// response. The default, false, is SLAYER's: the spike's backward pass
	// is the surrogate times the incoming gradient, and the refractory
	// response is treated as a constant.
	RefractoryGrad bool
	// Surrogate is the spike's surrogate derivative; nil selects SLAYER's
	// escape-rate density at the threshold, surrogate.SLAYER{Theta: θ}
	// (lava-dl's normalised form; slayerPytorch's is ScaleRho 2).
	Surrogate surrogate.Func
}

// withDefaults returns c with its zero fields replaced by their defaults.
func (c SRMConfig) withDefaults() SRMConfig {
	def := func(v *float32, d float32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Threshold, 10)
	def(&c.TauSR, 10)
	def(&c.TauRef, 1)
	def(&c.ScaleRef, 2)
	def(&c.Epsilon, 0.01)
	if c.Surrogate == nil {
		c.Surrogate = surrogate.SLAYER{}
		if c.Threshold > 0 && !math.IsInf(float64(c.Threshold), 0) { // else the config's check names the threshold
			c.Surrogate = surrogate.SLAYER{Theta: c.Threshold}
		}
	}
	return c
}

func (c SRMConfig) spec(n int) model.SRM {
	name, params, ok := surrogate.Describe(c.Surrogate)
	if !ok {
		name = c.Surrogate.String()
	}
	return model.SRM{N: n, Threshold: c.Threshold, TauSR: c.TauSR, TauRef: c.TauRef, ScaleRef: c.ScaleRef,
		Epsilon: c.Epsilon, RefractoryGrad: c.RefractoryGrad, Surrogate: model.Surrogate{Name: name, Params: params}}
}

// SRM is a layer of spike response model neurons with SLAYER's kernels
// (Shrestha and Orchard 2018, "SLAYER: Spike Layer Error Reassignment in
// Time"). Its input is the weighted input spikes x = W·s_in (a Linear layer
// before it); the membrane potential is the input filtered by the PSP
// kernel ε plus the neuron's own spikes filtered by the refractory kernel
// ν. For t = 0 .. T-1, per neuron:
//
//	u[t] = Σ_{k=0}^{K-1} ε[k]·x[t-k] + Σ_{k=1}^{R-1} ν[k]·S[t-k]
//	S[t] = H(u[t] - θ)                       (1 if u[t] > θ, else 0)
//	ε[k] = (k/τ_sr)·exp(1 - k/τ_sr)
//	ν[k] = -ScaleRef·θ·(k/τ_ref)·exp(1 - k/τ_ref)
//
// with x and S zero before t = 0, or taken from a given SRMState. Both
// kernels are model.AlphaKernel: zero at k = 0 (an input reaches the
// membrane one step later), peaking at k = τ, and truncated before the
// first k > τ where the kernel falls below Epsilon in magnitude, as
// slayerPytorch does: at the defaults K = 77 and R = 11 taps. A spike is 1
// (SLAYER's 1/Ts with Ts = 1), and SLAYER's u ≥ θ is u > θ here, as for
// every neuron of this package. In the backward pass H's derivative is the
// surrogate's Grad(u[t] - θ), SLAYER's spike escape-rate density by default;
// the refractory term carries no gradient unless RefractoryGrad.
//
// Run and Scan compute the PSP of the whole sequence as one causal
// convolution, blocks of 32 steps each one SGEMM with a banded Toeplitz
// matrix of ε over all B·N neurons, then add the refractory response in one
// loop over time; the backward pass is the same in reverse (the
// correlation with ε as SGEMMs). Step is the definition for one step with
// the kernels' histories as its state; it sums the same terms in another
// order, so Run and Step agree to float32 rounding (the layer's tests bound
// the difference of the membranes by 1e-5 relative), not bit for bit.
type SRM struct {
	name   string
	N      int
	Config SRMConfig
	PSP    []float32 // ε, K taps
	Ref    []float32 // ν, R taps
	a, bt  []float32 // the banded Toeplitz blocks of ε for the forward and backward SGEMMs
}

var _ Stateful[SRMState] = (*SRM)(nil)

// SRMState is the state of an SRM layer between sequences or steps: In
// [K-1, B, N] holds the last K-1 inputs and Spk [R-1, B, N] the last R-1
// spikes, oldest first, which the kernels still reach; Mem [B, N] is the
// last membrane potential (reported, not used by the dynamics). A nil
// field is zeros; the zero SRMState is the resting state.
type SRMState struct {
	In, Spk, Mem *autograd.Var
}

// NewSRM returns an SRM layer of n neurons called name, configured by c:
//
//	srm := layers.NewSRM("srm1", 512, layers.SRMConfig{})
//
// It panics with a *ConfigError for n below 1 or an invalid config value.
func NewSRM(name string, n int, c SRMConfig) *SRM { return must(newSRM(name, n, c)) }

func newSRM(name string, n int, c SRMConfig) (*SRM, error) {
	c = c.withDefaults()
	if err := surrogate.Validate(c.Surrogate); err != nil {
		return nil, surrogateError(model.KindSRM, name, err)
	}
	spec := c.spec(n)
	if err := check(name, spec); err != nil {
		return nil, err
	}
	psp, ref := spec.Kernels()
	return &SRM{name: name, N: n, Config: c, PSP: psp, Ref: ref}, nil
}

func init() {
	register(model.KindSRM, func(name string, p model.Payload, _ *rand.Rand) (Layer, error) {
		s := p.(*model.SRM)
		f, err := surrogate.New(s.Surrogate.Name, s.Surrogate.Params)
		if err != nil {
			return nil, surrogateError(model.KindSRM, name, err)
		}
		return newSRM(name, s.N, SRMConfig{Threshold: s.Threshold, TauSR: s.TauSR, TauRef: s.TauRef, ScaleRef: s.ScaleRef,
			Epsilon: s.Epsilon, RefractoryGrad: s.RefractoryGrad, Surrogate: f})
	})
}

// Name returns the layer's name.
func (l *SRM) Name() string { return l.name }

// Params returns nothing: the layer has no parameters.
func (l *SRM) Params() []*autograd.Param { return nil }

// Spec describes the layer for a model file: a model.SRM.
func (l *SRM) Spec() model.Layer { return model.NewLayer(l.name, l.Config.spec(l.N)) }

// Forward returns the spikes of Scan.
func (l *SRM) Forward(t *autograd.Tape, x *autograd.Var) *autograd.Var {
	spk, _ := l.Scan(t, x)
	return spk
}

// Scan runs the layer over x [T, B, N] from the resting state and returns
// the spikes and membrane potentials, both [T, B, N].
func (l *SRM) Scan(t *autograd.Tape, x *autograd.Var) (spk, mem *autograd.Var) {
	spk, mem, _ = l.run(t, x, SRMState{}, false)
	return spk, mem
}

// Run runs the layer over x [T, B, N] from state s and returns the spikes,
// the membrane potentials and the state after the last step (s itself when
// T = 0), connected to the graph.
func (l *SRM) Run(t *autograd.Tape, x *autograd.Var, s SRMState) (spk, mem *autograd.Var, next SRMState) {
	return l.run(t, x, s, true)
}

// srmBlock is the number of time steps of one SGEMM of the PSP convolution.
const srmBlock = 32

// toeplitz returns the banded Toeplitz blocks of ε, made once per layer:
// a [srmBlock, srmBlock+K-1] with a[i][j] = ε[i-j+K-1] maps inputs
// r0-K+1 .. r0+srmBlock-1 to outputs r0 .. r0+srmBlock-1, and bt with
// bt[i][j] = ε[j-i] maps the gradients of outputs z0 .. z0+srmBlock+K-2 to
// inputs z0 .. z0+srmBlock-1.
func (l *SRM) toeplitz() (a, bt []float32, lda int) {
	K := len(l.PSP)
	lda = srmBlock + K - 1
	if l.a == nil {
		l.a, l.bt = make([]float32, srmBlock*lda), make([]float32, srmBlock*lda)
		for i := range srmBlock {
			for k, e := range l.PSP {
				l.a[i*lda+i-k+K-1] = e
				l.bt[i*lda+i+k] = e
			}
		}
	}
	return l.a, l.bt, lda
}

func (l *SRM) checkState(op string, s SRMState, B int) {
	hist := func(name string, v *autograd.Var, rows int) {
		if v != nil && (v.Dims() != 3 || v.Dim(0) != rows || v.Dim(1) != B || v.Dim(2) != l.N) {
			panic(&autograd.ShapeError{Op: op, Shapes: [][]int{append([]int(nil), v.Shape()...)},
				Msg: fmt.Sprintf("state %s must be [%d, %d, %d]", name, rows, B, l.N)})
		}
	}
	hist("In", s.In, len(l.PSP)-1)
	hist("Spk", s.Spk, len(l.Ref)-1)
	if len(l.Ref) == 1 && s.Spk != nil {
		panic(&autograd.ShapeError{Op: op, Msg: "state Spk must be nil: the refractory kernel has one tap"})
	}
	checkState(op, "Mem", s.Mem, B, l.N)
}

func (l *SRM) run(t *autograd.Tape, x *autograd.Var, s SRMState, final bool) (spk, mem *autograd.Var, next SRMState) {
	const op = "SRM.Run"
	T, B := seqDims(op, x, l.N)
	l.checkState(op, s, B)
	K, R := len(l.PSP), len(l.Ref)
	BN := B * l.N
	o := autograd.Pooled[srmOp](t)
	*o = srmOp{l: l, T: T, BN: BN, x: x, in: s.In, spk0: s.Spk}
	// The PSP: the sequence z = [s.In; x] (H rows of history) filtered by ε.
	H, z := 0, x.Data
	if s.In != nil {
		H = K - 1
		z = t.ScratchRaw((H + T) * BN)
		copy(z, s.In.Data)
		copy(z[H*BN:], x.Data)
	}
	o.H = H
	spk, mem = t.NewRaw(T, B, l.N), t.NewRaw(T, B, l.N)
	a, _, lda := l.toeplitz()
	u := mem.Data
	for r0 := H; r0 < H+T; r0 += srmBlock {
		r1 := min(r0+srmBlock, H+T)
		start := r0 - K + 1
		lo := max(0, start)
		kernels.Sgemm(false, false, r1-r0, BN, r1-lo, 1, a[lo-start:], lda, z[lo*BN:], BN, 0, u[(r0-H)*BN:], BN)
	}
	// The refractory response of each step, gathered from the spikes of the
	// R-1 steps before it (the state's for the first ones), oldest first.
	thr := l.Config.Threshold
	sd := spk.Data
	ref := t.ScratchRaw(BN)
	for tt := range T {
		clear(ref)
		for k := R - 1; k >= 1; k-- {
			var src []float32
			switch {
			case tt-k >= 0:
				src = sd[(tt-k)*BN : (tt-k+1)*BN]
			case s.Spk != nil: // row j of the state holds step j-(R-1)
				j := tt - k + R - 1
				src = s.Spk.Data[j*BN : (j+1)*BN]
			default:
				continue
			}
			nu := l.Ref[k]
			for i, v := range src {
				ref[i] += nu * v
			}
		}
		urow, srow := u[tt*BN:(tt+1)*BN], sd[tt*BN:(tt+1)*BN]
		for i, r := range ref {
			v := urow[i] + r
			urow[i] = v
			srow[i] = 0
			if v > thr {
				srow[i] = 1
			}
		}
	}
	spk.SetBinary()
	o.spk, o.mem = spk, mem
	in := []*autograd.Var{x}
	if s.In != nil {
		in = append(in, s.In)
	}
	if s.Spk != nil {
		in = append(in, s.Spk)
	}
	t.RecordOutputs([]*autograd.Var{spk, mem}, o, in...)
	if !final {
		return spk, mem, SRMState{}
	}
	if T == 0 {
		return spk, mem, s
	}
	next = SRMState{In: l.history(t, s.In, x, K-1, B), Mem: lastStep(t, mem)}
	if R > 1 {
		next.Spk = l.history(t, s.Spk, spk, R-1, B)
	}
	return spk, mem, next
}

// history returns the last rows steps of the sequence [old; x] as a
// [rows, B, N] Var, old being rows steps (nil: zeros).
func (l *SRM) history(t *autograd.Tape, old, x *autograd.Var, rows, B int) *autograd.Var {
	T := x.Dim(0)
	if T >= rows {
		return t.Slice(x, 0, T-rows, T)
	}
	if old == nil {
		old = t.New(rows, B, l.N)
	}
	return t.Concat(0, t.Slice(old, 0, T, rows), x)
}

// srmOp is the tape entry of a fused SRM run, taken from the tape's pool.
type srmOp struct {
	l        *SRM
	T, BN, H int
	x        *autograd.Var
	in, spk0 *autograd.Var
	spk, mem *autograd.Var
}

func (o *srmOp) Backward(t *autograd.Tape, _ *autograd.Var, _ []*autograd.Var) {
	l, T, BN, H := o.l, o.T, o.BN, o.H
	K, R := len(l.PSP), len(l.Ref)
	gs, gu := o.spk.Grad, o.mem.Grad
	if gs == nil && gu == nil {
		return
	}
	n := T * BN
	sg := t.ScratchRaw(n)
	surrogate.GradShifted(l.Config.Surrogate, sg, o.mem.Data, l.Config.Threshold)
	// du[t] = gu[t] + (gs[t] + Σ_k ν[k]·du[t+k])·sg[t], the sum only with
	// RefractoryGrad.
	du := t.ScratchRaw(n)
	switch {
	case gu != nil:
		copy(du, gu)
	default:
		clear(du)
	}
	if !l.Config.RefractoryGrad || R == 1 {
		if gs != nil {
			for i, g := range gs[:n] {
				du[i] += g * sg[i]
			}
		}
	} else {
		acc := t.Scratch(n) // Σ_k ν[k]·du[t+k], gathered as du[t+k] is known
		for tt := T - 1; tt >= 0; tt-- {
			row, arow, srow := du[tt*BN:(tt+1)*BN], acc[tt*BN:(tt+1)*BN], sg[tt*BN:(tt+1)*BN]
			for i := range row {
				ds := arow[i]
				if gs != nil {
					ds += gs[tt*BN+i]
				}
				row[i] += ds * srow[i]
			}
			for k := 1; k < R && tt-k >= 0; k++ {
				dst, nu := acc[(tt-k)*BN:(tt-k+1)*BN], l.Ref[k]
				for i, g := range row {
					dst[i] += nu * g
				}
			}
		}
		if o.spk0 != nil {
			if d := t.GradOf(o.spk0); d != nil {
				for j := range R - 1 {
					dst := d[j*BN : (j+1)*BN]
					for k := R - 1 - j; k < R && j-(R-1)+k < T; k++ {
						src, nu := du[(j-(R-1)+k)*BN:][:BN], l.Ref[k]
						for i, g := range src {
							dst[i] += nu * g
						}
					}
				}
			}
		}
	}
	// The correlation with ε: dz[r] = Σ_k ε[k]·du[r+k-H].
	needX := o.x.RequiresGrad()
	needIn := o.in != nil && o.in.RequiresGrad()
	if !needX && !needIn {
		return
	}
	_, bt, lda := l.toeplitz()
	L := H + T
	var dz []float32
	var add bool
	if H == 0 {
		dz, add = gradBuf(t, o.x, n)
	} else {
		dz = t.ScratchRaw(L * BN)
	}
	for z0 := 0; z0 < L; z0 += srmBlock {
		z1 := min(z0+srmBlock, L)
		cLo, cHi := max(z0, H), min(z1+K-1, L)
		kk := max(cHi-cLo, 0)
		var b []float32
		if kk > 0 {
			b = du[(cLo-H)*BN:]
		}
		kernels.Sgemm(false, false, z1-z0, BN, kk, 1, bt[cLo-z0:], lda, b, BN, 0, dz[z0*BN:], BN)
	}
	if H == 0 {
		if add {
			addGrad(t, o.x, dz)
		}
		return
	}
	addGrad(t, o.x, dz[H*BN:])
	addGrad(t, o.in, dz[:H*BN])
}

// Step advances the layer by one time step: x [B, N] is the input, s the
// state before the step. It returns the spikes [B, N] and the state after
// the step. Step is the definition written with tape ops: the PSP and the
// refractory response are the kernels (reversed) times the histories, as
// matrix products.
func (l *SRM) Step(t *autograd.Tape, x *autograd.Var, s SRMState) (spk *autograd.Var, next SRMState) {
	return l.step(t, x, s, surrogate.Spike)
}

// StepSmooth is Step with the spike's step function replaced by the
// surrogate's smooth function (surrogate.SmoothSpike), for checks against
// finite differences.
func (l *SRM) StepSmooth(t *autograd.Tape, x *autograd.Var, s SRMState) (spk *autograd.Var, next SRMState) {
	return l.step(t, x, s, surrogate.SmoothSpike)
}

func (l *SRM) step(t *autograd.Tape, x *autograd.Var, s SRMState, spike spikeFunc) (spk *autograd.Var, next SRMState) {
	const op = "SRM.Step"
	B := stepBatch(op, x, l.N)
	l.checkState(op, s, B)
	K, R, N := len(l.PSP), len(l.Ref), l.N
	in := s.In
	if in == nil {
		in = t.New(K-1, B, N)
	}
	full := t.Concat(0, in, t.Reshape(x, 1, B, N)) // row K-1-k: the input of k steps ago
	u := t.Reshape(t.MatMul(t.Constant(reversed(t, l.PSP), 1, K), t.Reshape(full, K, B*N)), B, N)
	next.In = t.Slice(full, 0, 1, K)
	if R > 1 {
		old := s.Spk // row R-1-k: the spikes of k steps ago, k >= 1
		if old == nil {
			old = t.New(R-1, B, N)
		}
		r := old
		if !l.Config.RefractoryGrad {
			r = t.Detach(r)
		}
		u = t.Add(u, t.Reshape(t.MatMul(t.Constant(reversed(t, l.Ref[1:]), 1, R-1), t.Reshape(r, R-1, B*N)), B, N))
		spk = spike(t, u, l.Config.Threshold, l.Config.Surrogate)
		next.Spk = t.Concat(0, t.Slice(old, 0, 1, R-1), t.Reshape(spk, 1, B, N))
	} else {
		spk = spike(t, u, l.Config.Threshold, l.Config.Surrogate)
	}
	next.Mem = u
	return spk, next
}

// reversed returns k reversed in tape scratch memory.
func reversed(t *autograd.Tape, k []float32) []float32 {
	r := t.ScratchRaw(len(k))
	for i, v := range k {
		r[len(k)-1-i] = v
	}
	return r
}
