package optim

import (
	"math"

	"github.com/spikegrad/spikegrad/autograd"
)

// ClipGradNorm scales the gradients of params so that their global L2 norm
// (over all the Params' gradients together, as one vector) is at most
// maxNorm, like PyTorch's torch.nn.utils.clip_grad_norm_, and returns the
// norm before clipping:
//
//	total = √(Σ g²)                      summed in float64 over every non-Frozen Param
//	c     = maxNorm / (total + 1e-6)
//	g    ← g·c                           if c < 1 (c rounded to float32 once)
//
// The 1e-6 keeps c finite for a zero gradient and makes the clipped norm
// slightly below maxNorm. Frozen Params are skipped: they count neither in
// the norm nor get scaled.
//
// If total is NaN or +Inf (a gradient holds NaN or ±Inf), the gradients are
// left untouched and the NaN or +Inf is returned so that the caller can
// detect it and skip the step: scaling would turn every gradient into NaN or
// zero. (PyTorch, with error_if_nonfinite false, scales anyway.)
//
// It panics with a *HyperparamError if maxNorm is negative or NaN;
// maxNorm = +Inf only measures the norm.
func ClipGradNorm(params []*autograd.Param, maxNorm float64) (total float64) {
	if !(maxNorm >= 0) {
		panic(&HyperparamError{Op: "ClipGradNorm", Field: "maxNorm", Value: maxNorm, Want: ">= 0"})
	}
	var sum float64
	for _, p := range params {
		if !p.Frozen {
			sum += sumSquares(p.Grad)
		}
	}
	total = math.Sqrt(sum)
	if math.IsNaN(total) || math.IsInf(total, 0) {
		return total
	}
	c := maxNorm / (total + 1e-6)
	if c < 1 {
		s := float32(c)
		for _, p := range params {
			if !p.Frozen {
				scale(p.Grad, s)
			}
		}
	}
	return total
}

// sumSquares is Σ x² in float64, with four independent partial sums so
// that the additions overlap. The order is fixed, so the result is
// reproducible.
func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		a := float64(x[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}

func scale(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// ClipGradValue clamps every gradient element of the non-Frozen params to
// [−clip, clip], like PyTorch's torch.nn.utils.clip_grad_value_. NaN
// elements stay NaN. It panics with a *HyperparamError if clip is negative
// or NaN.
func ClipGradValue(params []*autograd.Param, clip float64) {
	if !(clip >= 0) {
		panic(&HyperparamError{Op: "ClipGradValue", Field: "clip", Value: clip, Want: ">= 0"})
	}
	hi := float32(clip)
	if math.IsInf(clip, 1) {
		return
	}
	lo := -hi
	for _, p := range params {
		if p.Frozen {
			continue
		}
		g := p.Grad
		for i, x := range g {
			if x > hi {
				g[i] = hi
			} else if x < lo {
				g[i] = lo
			}
		}
	}
}
