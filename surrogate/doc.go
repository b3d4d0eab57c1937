// Package surrogate holds the surrogate derivatives that make the spike's step
// function trainable, and the Spike op that uses them.
//
// The forward pass of a spike is the Heaviside step H(x) with x = v - threshold:
// 1 if x > 0, else 0. Its true derivative is zero almost everywhere, so the
// backward pass substitutes the derivative of a smooth function: Func.Grad(x) is
// that derivative and Func.Smooth(x) the smooth function itself, a stand-in for
// H that rises around x = 0. The conformance suite in surrogate/surrogatetest
// checks that every Func keeps these promises.
//
// # Conventions
//
// x is in the units of the membrane potential v (threshold units when the
// threshold is 1). Every built-in's Smooth is the integral of its Grad from -∞
// to x: it starts at 0 far below the threshold and ends at the area under
// Grad, which is 1 for Atan, Sigmoid, Gaussian, and for SLAYER, Triangle and
// Boxcar at their defaults, but 2/k for FastSigmoid (Smooth is then a small
// step, 0 to 0.08 at k = 25). StraightThrough's Smooth is x + 1/2, unbounded.
// Each doc comment gives the formulas, the peak of Grad, what the width
// parameter means, the default and the source.
//
// # Hyperparameters
//
// A surrogate is a small struct of exported float32 hyperparameters, compared
// and copied as a value. One rule holds for every field: zero selects the
// documented default, so FastSigmoid{} is FastSigmoid{Slope: 25}. A negative,
// NaN or infinite value (or one whose implied peak overflows float32) makes
// Grad, Smooth, the bulk functions and the Spike ops panic with a
// *ParamError; Validate turns that into an ordinary error for values read
// from a configuration.
//
//	surrogate          Grad(x)                               peak       defaults                source
//	FastSigmoid        1/(1+k|x|)²                           1          k = 25                  Zenke & Ganguli 2018
//	SparseFastSigmoid  1/(1+k|x|)² for |x| < B, else 0       1          k = 100, B = 0.2        Perez-Nieves & Goodman 2021
//	SLAYER             s/(2τθ) exp(-|x|/(τθ))                s/(2τθ)    τ = s = θ = 1           Shrestha & Orchard 2018
//	Atan               (α/2)/(1+(παx/2)²)                    α/2        α = 2                   Fang et al. 2021
//	Sigmoid            k σ(kx)(1-σ(kx))                      k/4        k = 25                  snnTorch, Zenke & Ganguli
//	Triangle           h max(0, 1-|x|/a)                     h          a = h = 1               Esser 2016, Bellec 2018
//	Boxcar             h for |x| < a, else 0                 h          a = 0.5, h = 1          Wu et al. 2018
//	StraightThrough    1                                     1          -                       Bengio et al. 2013
//	Gaussian           N(x; 0, σ)                            1/(σ√2π)   σ = 0.5                 Yin et al. 2021
//	MultiGaussian      γ[(1+h)N(x;0,σ) - hN(x;±σ,sσ)]        0.43911    σ=.5 h=.15 s=6 γ=.5     Yin et al. 2021
//
// Every built-in's Grad is finite for every float32 input but NaN, ±Inf
// included, and non-negative except MultiGaussian's, whose negative tails are
// part of its design.
//
// # Names
//
// Configs and model files name a built-in by a snake-case name and its
// hyperparameters by theirs: {"name": "fast_sigmoid", "params": {"slope": 25}}.
// New builds a surrogate from such a description (an unknown name or
// parameter is an error listing what is allowed), Describe reads one back
// with every default filled in, and Names and ParamNames list what exists.
//
// # Sparse surrogates
//
// SparseFastSigmoid, Triangle and Boxcar implement Sparse: Grad(x) is exactly
// zero for x <= Cutoff() (and, for these three, for x >= -Cutoff()). A layer
// may use the cutoff to run its backward over the active neurons only.
//
// # Bulk evaluation
//
// GradInto and GradShifted evaluate a surrogate over a slice with loops
// specialised to each built-in: hyperparameters resolved once, no allocation,
// and conditional moves instead of branches in the piecewise surrogates, so
// that the time does not depend on the mix of active and silent neurons.
// Fused neuron kernels call them; FastSigmoidSlope gives a kernel the slope
// it needs to compute the fast sigmoid in its own vectorised loop.
//
// # The Spike ops
//
// Spike(t, v, threshold, f) records the step on an autograd tape: its forward
// is the exact step and its backward multiplies the upstream gradient by
// f.Grad(v - threshold). SpikeFrom takes the threshold as a Var ([N] per
// feature or one shared element) so that it can be learned. SmoothSpike has
// the same backward but runs Smooth in the forward pass, so that a network
// built with it can be checked against central differences end to end.
//
// # Examples
//
// ExampleFastSigmoid evaluates a surrogate, ExampleSpike records a spike and
// its surrogate gradient on a tape, ExampleGradShifted evaluates a slice at
// once, and ExampleValidate shows the error of a bad hyperparameter.
package surrogate
