package optim

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/spikegrad/spikegrad/autograd"
)

// Optimizer updates a fixed list of Params from their accumulated gradients.
// SGD and Adam (AdamW included) implement it. An Optimizer is not safe for
// concurrent use, and Step must not run while a backward pass writes the
// gradients.
type Optimizer interface {
	// Step applies one update to every Param that is not Frozen, reading
	// Param.Grad and writing Param.Data. It does not zero the gradients.
	Step()
	// ZeroGrad sets the gradient of every Param to zero, Frozen ones included.
	ZeroGrad()
	// LR is the current learning rate.
	LR() float64
	// SetLR changes the learning rate from the next Step on. Schedules call
	// it. It panics with a *HyperparamError if lr is negative, infinite or NaN.
	SetLR(lr float64)
	// Params returns the Params in the order given to the constructor. The
	// slice is the optimizer's own: do not modify it.
	Params() []*autograd.Param
	// State returns a deep copy of everything Step changes besides the
	// Params' values: the learning rate, the per-Param step counts and
	// buffers. Restoring it with SetState into an optimizer built with the
	// same config over Params with the same values continues bit-identically.
	State() State
	// SetState replaces the optimizer's state with a copy of s. It returns a
	// *ParamError, leaving the optimizer unchanged, if s was exported by
	// another algorithm or configuration or does not match the Params.
	SetState(s State) error
}

// State is the mutable state of an optimizer, for checkpoints. Every field
// is a copy: the optimizer keeps no reference to it.
//
// In a checkpoint, the buffers go naturally into tensors named
// "<param name>.<buffer name>" (for example "fc1.weight.exp_avg") and the
// scalars into metadata; a float32 written and read back as its four
// little-endian bytes, or in decimal with strconv.FormatFloat(x, 'g', -1, 32),
// restores exactly.
type State struct {
	Algorithm string       // "SGD", "Adam" or "AdamW" (Adam with decoupled weight decay): the algorithm that exported it
	LR        float64      // the learning rate, as last set by SetLR or the config
	Params    []ParamState // one per Param, in the optimizer's order
}

// ParamState is the state an optimizer keeps for one Param.
type ParamState struct {
	Name string // the Param's Name: SetState matches Params by name
	// Step counts the updates applied to this Param (PyTorch's
	// state["step"]). It drives Adam's bias correction and SGD's first
	// momentum step, and stays 0 while the Param is Frozen.
	Step int64
	// Buffers maps PyTorch's buffer names to copies of the buffers, each as
	// long as the Param: "momentum_buffer" (SGD with momentum); "exp_avg",
	// "exp_avg_sq" and, with AMSGrad, "max_exp_avg_sq" (Adam). Before
	// a Param's first update its buffers are zero.
	Buffers map[string][]float32
}

// core holds what every optimizer of the package shares: the Params, their
// step counts, the learning rate and named per-Param buffers.
type core struct {
	alg    string // "SGD", "Adam", "AdamW"
	params []*autograd.Param
	steps  []int64
	sizes  []int // the Params' lengths when the optimizer was built
	lr     float64
	names  []string      // buffer names, e.g. "exp_avg"
	bufs   [][][]float32 // bufs[k][i]: buffer names[k] of params[i]
}

// newCore checks the parameter list and allocates the buffers. ctor names the
// constructor in errors.
func newCore(alg, ctor string, params []*autograd.Param, lr float64, names ...string) (core, error) {
	if len(params) == 0 {
		return core{}, &ParamError{Op: ctor, Msg: "empty parameter list"}
	}
	seen := make(map[string]int, len(params))
	ptrs := make(map[*autograd.Param]int, len(params))
	for i, p := range params {
		if p == nil {
			return core{}, &ParamError{Op: ctor, Msg: fmt.Sprintf("params[%d] is nil", i)}
		}
		if j, dup := ptrs[p]; dup {
			return core{}, &ParamError{Op: ctor, Param: p.Name, Msg: fmt.Sprintf("params[%d] and params[%d] are the same Param", j, i)}
		}
		ptrs[p] = i
		if j, dup := seen[p.Name]; dup {
			return core{}, &ParamError{Op: ctor, Param: p.Name, Msg: fmt.Sprintf("params[%d] and params[%d] have the same Name; names key the optimizer state", j, i)}
		}
		seen[p.Name] = i
		if len(p.Grad) != len(p.Data) {
			return core{}, &ParamError{Op: ctor, Param: p.Name, Msg: fmt.Sprintf("Grad has %d elements, Data %d", len(p.Grad), len(p.Data))}
		}
	}
	c := core{
		alg:    alg,
		params: slices.Clone(params),
		steps:  make([]int64, len(params)),
		sizes:  make([]int, len(params)),
		lr:     lr,
		names:  names,
		bufs:   make([][][]float32, len(names)),
	}
	for i, p := range params {
		c.sizes[i] = len(p.Data)
	}
	for k := range names {
		c.bufs[k] = make([][]float32, len(params))
		for i, p := range params {
			c.bufs[k][i] = make([]float32, len(p.Data))
		}
	}
	return c, nil
}

// operands returns Param i's values and gradient, panicking with a
// *ParamError if their lengths no longer match the optimizer's buffers.
func (c *core) operands(i int) (data, grad []float32) {
	p := c.params[i]
	want := c.sizes[i]
	if len(p.Data) != want || len(p.Grad) != want {
		panic(&ParamError{Op: c.alg + ".Step", Param: p.Name,
			Msg: fmt.Sprintf("Data has %d elements and Grad %d; the optimizer was built for %d", len(p.Data), len(p.Grad), want)})
	}
	return p.Data, p.Grad
}

func (c *core) zeroGrad() {
	for _, p := range c.params {
		clear(p.Grad)
	}
}

func (c *core) setLR(lr float64) {
	if !(lr >= 0) || math.IsInf(lr, 1) { // the check of checkLR, without building the name
		panic(checkLR(c.alg+".SetLR", "lr", lr))
	}
	c.lr = lr
}

func (c *core) state() State {
	s := State{Algorithm: c.alg, LR: c.lr, Params: make([]ParamState, len(c.params))}
	for i, p := range c.params {
		ps := ParamState{Name: p.Name, Step: c.steps[i], Buffers: make(map[string][]float32, len(c.names))}
		for k, name := range c.names {
			ps.Buffers[name] = slices.Clone(c.bufs[k][i])
		}
		s.Params[i] = ps
	}
	return s
}

// setState checks s completely before it changes anything.
func (c *core) setState(s State) error {
	op := c.alg + ".SetState"
	if s.Algorithm != c.alg {
		return &ParamError{Op: op, Msg: fmt.Sprintf("state of algorithm %q, want %q", s.Algorithm, c.alg)}
	}
	if err := checkLR(op, "LR", s.LR); err != nil {
		return err
	}
	if len(s.Params) != len(c.params) {
		return &ParamError{Op: op, Msg: fmt.Sprintf("state for %d params, the optimizer has %d", len(s.Params), len(c.params))}
	}
	index := make(map[string]int, len(c.params))
	for i, p := range c.params {
		index[p.Name] = i
	}
	from := make([]int, len(c.params)) // from[i]: the entry of s for params[i]
	for i := range from {
		from[i] = -1
	}
	for j, ps := range s.Params {
		i, ok := index[ps.Name]
		if !ok {
			return &ParamError{Op: op, Param: ps.Name, Msg: "the optimizer has no Param of this name"}
		}
		if from[i] >= 0 {
			return &ParamError{Op: op, Param: ps.Name, Msg: fmt.Sprintf("appears twice in the state (entries %d and %d)", from[i], j)}
		}
		from[i] = j
		if ps.Step < 0 {
			return &ParamError{Op: op, Param: ps.Name, Msg: fmt.Sprintf("Step = %d, want >= 0", ps.Step)}
		}
		if len(ps.Buffers) != len(c.names) {
			return &ParamError{Op: op, Param: ps.Name, Msg: fmt.Sprintf("buffers %v, want %v (was the state exported with another config?)",
				slices.Sorted(maps.Keys(ps.Buffers)), c.names)}
		}
		for k, name := range c.names {
			b, ok := ps.Buffers[name]
			if !ok {
				return &ParamError{Op: op, Param: ps.Name, Msg: fmt.Sprintf("buffers %v, want %v (was the state exported with another config?)",
					slices.Sorted(maps.Keys(ps.Buffers)), c.names)}
			}
			if len(b) != len(c.bufs[k][i]) {
				return &ParamError{Op: op, Param: ps.Name, Msg: fmt.Sprintf("buffer %q has %d elements, want %d", name, len(b), len(c.bufs[k][i]))}
			}
		}
	}
	c.lr = s.LR
	for i, j := range from {
		ps := s.Params[j]
		c.steps[i] = ps.Step
		for k, name := range c.names {
			copy(c.bufs[k][i], ps.Buffers[name])
		}
	}
	return nil
}

// Zero, given to a field of a config whose zero value stands for a default
// other than 0, asks for the value 0 itself: AdamConfig{Beta1: Zero} is Adam
// without a running average of the gradient, PlateauConfig{Patience: Zero}
// lowers the rate at the first epoch without improvement. In a field whose
// default is 0 it means 0 as well. Its value, −2³¹, is one that no field
// takes otherwise.
const Zero = -1 << 31

// Exactly returns v as a config field that means v itself: Zero for 0, v
// otherwise. Code that maps settings of its own onto these configs (a config
// file, flags) passes its values through Exactly where its 0 means 0:
//
//	optim.AdamConfig{LR: lr, Beta1: optim.Exactly(beta1)}
func Exactly[T int | float64](v T) T {
	if v == 0 {
		return Zero
	}
	return v
}

// orDefault resolves a config field: 0 is def, Zero is 0, any other value
// is itself.
func orDefault[T int | float64](v, def T) T {
	switch v {
	case 0:
		return def
	case Zero:
		return 0
	}
	return v
}

// checkLR accepts a finite learning rate >= 0.
func checkLR(op, field string, lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 1) {
		return &HyperparamError{Op: op, Field: field, Value: lr, Want: "finite and >= 0"}
	}
	return nil
}

// checkNonNeg accepts a finite value >= 0.
func checkNonNeg(op, field string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return &HyperparamError{Op: op, Field: field, Value: v, Want: "finite and >= 0"}
	}
	return nil
}

// checkUnit accepts a value in [0, 1).
func checkUnit(op, field string, v float64) error {
	if !(v >= 0 && v < 1) {
		return &HyperparamError{Op: op, Field: field, Value: v, Want: "in [0, 1)"}
	}
	return nil
}
