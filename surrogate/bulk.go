package surrogate

import "github.com/spikegrad/spikegrad/autograd"

// GradInto sets dst[i] = f.Grad(x[i]) for every i. It allocates nothing; for
// the built-in surrogates it runs a loop specialised to the type, with the
// hyperparameters resolved once. dst may be x itself (the gradient then
// replaces its argument) but must not overlap it otherwise. It panics with a
// *autograd.ShapeError if dst and x differ in length, and with a *ParamError
// for a bad hyperparameter.
func GradInto(f Func, dst, x []float32) {
	checkLens("GradInto", dst, x)
	gradLoop(f, dst, x, 0, nil)
}

// GradShifted sets dst[i] = f.Grad(v[i] - thr) for every i: the surrogate
// derivative of spikes of membrane potentials v at threshold thr. Like
// GradInto it allocates nothing, allows dst to be v itself, and panics on
// different lengths.
func GradShifted(f Func, dst, v []float32, thr float32) {
	checkLens("GradShifted", dst, v)
	gradLoop(f, dst, v, thr, nil)
}

func checkLens(op string, dst, x []float32) {
	if len(dst) != len(x) {
		panic(&autograd.ShapeError{Op: "surrogate." + op, Shapes: [][]int{{len(dst)}, {len(x)}},
			Msg: "dst and the input differ in length"})
	}
}

// gradLoop is the kernel behind the bulk functions and the Spike backward.
// With dy == nil it sets dst[i] = f.Grad(v[i] - thr); otherwise it adds
// f.Grad(v[i] - thr) * dy[i] into dst[i]. len(dst) and len(dy) (when non-nil)
// must be at least len(v).
func gradLoop(f Func, dst, v []float32, thr float32, dy []float32) {
	if dy == nil {
		gradSet(f, dst, v, thr)
	} else {
		gradAdd(f, dst, v, thr, dy)
	}
}

// gradSet sets dst[i] = f.Grad(v[i] - thr), in a loop specialised to each
// built-in.
func gradSet(f Func, dst, v []float32, thr float32) {
	n := len(v)
	dst = dst[:n]
	switch f := f.(type) {
	case FastSigmoid:
		k := f.slope()
		for i, vi := range v {
			dst[i] = fastSigmoidGrad(k, vi-thr)
		}
	case SparseFastSigmoid:
		k, b := f.params()
		for i, vi := range v {
			dst[i] = sparseFastSigmoidGrad(k, b, vi-thr)
		}
	case SLAYER:
		peak, a := f.params()
		inva := 1 / a
		for i, vi := range v {
			dst[i] = slayerGrad(peak, inva, vi-thr)
		}
	case Atan:
		half, c := f.consts()
		for i, vi := range v {
			dst[i] = atanGrad(half, c, vi-thr)
		}
	case Sigmoid:
		k := float64(f.slope())
		for i, vi := range v {
			dst[i] = sigmoidGrad(k, vi-thr)
		}
	case Triangle:
		a, h := f.params()
		for i, vi := range v {
			dst[i] = triangleGrad(a, h, vi-thr)
		}
	case Boxcar:
		a, h := f.params()
		for i, vi := range v {
			dst[i] = boxcarGrad(a, h, vi-thr)
		}
	case StraightThrough:
		for i := range v {
			dst[i] = 1
		}
	case Gaussian:
		c1, c2 := f.params()
		for i, vi := range v {
			dst[i] = gaussianGrad(c1, c2, vi-thr)
		}
	case MultiGaussian:
		p := f.params()
		for i, vi := range v {
			dst[i] = p.grad(vi - thr)
		}
	default:
		for i, vi := range v {
			dst[i] = f.Grad(vi - thr)
		}
	}
}

// gradAdd adds f.Grad(v[i] - thr) * dy[i] into dst[i], in a loop specialised
// to each built-in.
func gradAdd(f Func, dst, v []float32, thr float32, dy []float32) {
	n := len(v)
	dst = dst[:n]
	dy = dy[:n]
	switch f := f.(type) {
	case FastSigmoid:
		k := f.slope()
		for i, vi := range v {
			dst[i] += fastSigmoidGrad(k, vi-thr) * dy[i]
		}
	case SparseFastSigmoid:
		k, b := f.params()
		for i, vi := range v {
			dst[i] += sparseFastSigmoidGrad(k, b, vi-thr) * dy[i]
		}
	case SLAYER:
		peak, a := f.params()
		inva := 1 / a
		for i, vi := range v {
			dst[i] += slayerGrad(peak, inva, vi-thr) * dy[i]
		}
	case Atan:
		half, c := f.consts()
		for i, vi := range v {
			dst[i] += atanGrad(half, c, vi-thr) * dy[i]
		}
	case Sigmoid:
		k := float64(f.slope())
		for i, vi := range v {
			dst[i] += sigmoidGrad(k, vi-thr) * dy[i]
		}
	case Triangle:
		a, h := f.params()
		for i, vi := range v {
			dst[i] += triangleGrad(a, h, vi-thr) * dy[i]
		}
	case Boxcar:
		a, h := f.params()
		for i, vi := range v {
			dst[i] += boxcarGrad(a, h, vi-thr) * dy[i]
		}
	case StraightThrough:
		for i := range v {
			dst[i] += dy[i]
		}
	case Gaussian:
		c1, c2 := f.params()
		for i, vi := range v {
			dst[i] += gaussianGrad(c1, c2, vi-thr) * dy[i]
		}
	case MultiGaussian:
		p := f.params()
		for i, vi := range v {
			dst[i] += p.grad(vi-thr) * dy[i]
		}
	default:
		for i, vi := range v {
			dst[i] += f.Grad(vi-thr) * dy[i]
		}
	}
}
