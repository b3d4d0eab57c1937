package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
)

// Func records a computation on t from Vars of the inputs (obtain them with
// t.Param) and returns its output.
type Func func(t *autograd.Tape) *autograd.Var

// Options tunes a check. The zero value selects the defaults.
type Options struct {
	// Step is the finite-difference step h. Default 1e-2: with float32 values
	// of order 1 the rounding error of a difference, about 6e-8/h per unit of
	// output, and the truncation error, about h²/6 times the third
	// derivative, are then both near 1e-5.
	Step float64
	// Atol and Rtol: an element passes when |analytic - numeric| <=
	// Atol + Rtol·max(|analytic|, |numeric|). Defaults 1e-3 and 1e-2, a
	// margin of about 100 over the errors above.
	Atol, Rtol float64
	// Seed of the output weights w. Default 1.
	Seed uint64
}

// Mismatch is a failed check: the worst element and how many failed.
type Mismatch struct {
	Param    string // the Param's name
	Index    int    // flat index of the worst element
	Analytic float64
	Numeric  float64
	Failed   int // elements out of tolerance, over all Params
	Checked  int // elements checked
}

// Error returns the message of the Mismatch.
func (m *Mismatch) Error() string {
	return fmt.Sprintf("gradcheck: %d of %d gradient elements out of tolerance; worst: %s[%d] analytic %.6g, numeric %.6g",
		m.Failed, m.Checked, m.Param, m.Index, m.Analytic, m.Numeric)
}

// Check runs f once with gradients and then twice per element of every input
// Param with that element moved by ±Step, and returns a *Mismatch when any
// element is out of tolerance, or nil. The inputs' Grad fields are zeroed first
// and hold the analytic gradient afterwards.
func Check(f Func, inputs []*autograd.Param, opt Options) error {
	if opt.Step == 0 {
		opt.Step = 1e-2
	}
	if opt.Atol == 0 {
		opt.Atol = 1e-3
	}
	if opt.Rtol == 0 {
		opt.Rtol = 1e-2
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	tape := autograd.NewTape()
	for _, p := range inputs {
		p.ZeroGrad()
	}
	y := f(tape)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	w := make([]float32, y.Len())
	for i := range w {
		w[i] = float32(rng.Float64()*2 - 1)
	}
	if y.RequiresGrad() {
		tape.BackwardFrom(y, w)
	}
	loss := func() float64 {
		tape.Reset()
		var l float64
		tape.NoGrad(func() {
			out := f(tape)
			for i, v := range out.Data {
				l += float64(w[i]) * float64(v)
			}
		})
		return l
	}
	var worst *Mismatch
	failed, checked, worstExcess := 0, 0, 0.0
	for _, p := range inputs {
		if p.Frozen {
			continue
		}
		for j := range p.Data {
			x := p.Data[j]
			h := float32(opt.Step)
			p.Data[j] = x + h
			hp := float64(p.Data[j] - x) // the step actually taken in float32
			lp := loss()
			p.Data[j] = x - h
			hm := float64(x - p.Data[j])
			lm := loss()
			p.Data[j] = x
			num := (lp - lm) / (hp + hm)
			ana := float64(p.Grad[j])
			diff := math.Abs(ana - num)
			tol := opt.Atol + opt.Rtol*math.Max(math.Abs(ana), math.Abs(num))
			checked++
			if diff > tol || math.IsNaN(diff) {
				failed++
				if ex := diff / tol; worst == nil || ex > worstExcess || math.IsNaN(diff) {
					worstExcess = ex
					worst = &Mismatch{Param: p.Name, Index: j, Analytic: ana, Numeric: num}
				}
			}
		}
	}
	if worst != nil {
		worst.Failed, worst.Checked = failed, checked
		return worst
	}
	return nil
}
