// Package optim holds the optimizers of deep learning (SGD, Adam and AdamW),
// learning-rate schedules and gradient clipping, all acting on
// autograd.Params. The update rules are PyTorch's (torch.optim), so that
// hyperparameters and results carry over from Python recipes; the doc comment
// of each type states its equations.
//
// # A training step
//
// An optimizer holds a fixed list of Params and, per Param, the buffers and
// the step count of its algorithm. One training step is:
//
//	opt.SetLR(sched.LR(step))                    // a Schedule, if any
//	opt.ZeroGrad()                               // gradients accumulate otherwise
//	loss := model.Forward(tape, batch)           // record the computation
//	tape.Backward(loss)                          // fills Param.Grad
//	norm := optim.ClipGradNorm(opt.Params(), 1)  // worth logging
//	if !math.IsNaN(norm) && !math.IsInf(norm, 0) {
//		opt.Step()                               // reads Grad, writes Data
//	}
//	tape.Reset()
//
// Step reads Param.Grad and never modifies it; it does not zero it either
// (ZeroGrad does, for every Param including Frozen ones). Frozen Params are
// skipped by Step and by the clipping functions: their values, buffers and
// step counts stay as they are, and they count nothing in the gradient norm.
//
// Every non-Frozen Param is updated at every Step, even if no gradient
// reached it in that step: its zero gradient still advances its moments,
// momentum and weight decay. (PyTorch, whose zero_grad sets gradients to
// None, skips such a parameter; here a Param always has a gradient buffer.
// Freeze a Param to hold it still.)
//
// # Optimizers
//
// All implement the Optimizer interface. Each is built from a config struct
// whose zero fields mean PyTorch's defaults, so that a config names only
// what a recipe changes (optim.AdamConfig{LR: 5e-4} is Adam with betas
// (0.9, 0.999) and eps 1e-8); a function returns the defaults written out:
//
//	optimizer  config, defaults          PyTorch's defaults                           PyTorch
//	SGD        SGDConfig, DefaultSGD     lr 1e-3, momentum 0, dampening 0, wd 0       torch.optim.SGD
//	Adam       AdamConfig, DefaultAdam   lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0  torch.optim.Adam
//	AdamW      AdamConfig, DefaultAdamW  as Adam, with decoupled wd 0.01              torch.optim.AdamW
//
// Where a field is to be 0 and its default is not (β₁ = 0, an AdamW without
// decay, a plateau patience of 0), the constant Zero asks for it:
// AdamConfig{Beta1: optim.Zero}. Code that maps its own settings onto a
// config, where 0 means 0, passes them through Exactly. The doc comment of
// each field gives its default and PyTorch's name for it.
//
// SGD has momentum, dampening, Nesterov momentum and weight decay coupled as
// an L2 term (added to the gradient). Adam and AdamW are one type, Adam:
// AdamW is Adam with AdamConfig.Decoupled set (NewAdamW sets it), as
// PyTorch's AdamW is Adam(decoupled_weight_decay=True). Adam adds weight
// decay to the gradient (L2, coupled: it passes through the moments); AdamW
// shrinks the weights by lr·wd·θ before the Adam step (decoupled, Loshchilov
// and Hutter), which is usually what a recipe that says "weight decay" with
// Adam means. Both offer AMSGrad. ε is added to the bias-corrected √v̂,
// after the square root, as in PyTorch: with ε negligible, Adam's first step
// moves every element by exactly lr·sign(g).
//
// Storage is float32 (values, gradients, buffers), and so is the arithmetic
// on them, one rounding per operation with no fused multiply-add, as a
// float32 PyTorch run computes it. The scalars of a step (Adam's bias
// corrections lr/(1 − β₁ᵗ) and 1/√(1 − β₂ᵗ), AdamW's 1 − lr·wd) are computed
// in float64 and rounded once. Against the same equations run in float64,
// 20 steps on random data stay within 1e-6·(1 + |θ|) (measured; the test
// allows 2e-5). Updates are single-threaded, deterministic, and allocate
// nothing. Adam's step over a 784×1000 layer (785,000 values) streams 28
// bytes per value; it is bound by the scalar square root and division: about
// 3 ns per value from cache and 5 to 6 ns from memory on a shared 2-core
// Zen 5 machine, so about 5 ms per step (BenchmarkAdamStep reports ns/param).
//
// # Learning-rate schedules
//
// A Schedule is a closed-form function of a count t >= 0 (epochs or steps, as
// the caller advances it) to a learning rate, applied with opt.SetLR:
//
//	Constant(lr)                              lr
//	StepLR{Base, StepSize, Gamma}             Base·Gamma^⌊t/StepSize⌋                        (StepLR)
//	CosineAnnealingLR{Base, EtaMin, TMax}     EtaMin + (Base − EtaMin)·(1 + cos(πt/TMax))/2  (CosineAnnealingLR)
//	LinearWarmup{StartFactor, Steps, Then}    linear from StartFactor·Then.LR(0) to Then.LR(0)
//	                                          over Steps, then Then.LR(t − Steps)            (LinearLR + SequentialLR)
//
// StepLR's Gamma, like the config fields, means PyTorch's 0.1 when zero.
// Schedules hold no state, so a resumed run needs only t. ReduceLROnPlateau is
// different: it is told a metric once per epoch (Step(metric)) and multiplies
// the optimizer's rate by Factor when the metric has not improved, by more
// than a relative or absolute Threshold, for more than Patience epochs, then
// waits Cooldown epochs; it never goes below MinLR. Its counters are saved
// with State and restored with SetState. Modes and threshold modes are typed
// constants: Min, Max; RelThreshold, AbsThreshold.
//
// # Gradient clipping
//
// ClipGradNorm scales all gradients together so that their global L2 norm is
// at most maxNorm, by maxNorm/(norm + 1e-6) when that is below 1, and returns
// the norm before clipping, summed in float64 (log it: it is the first sign
// of a diverging run). If a gradient holds NaN or ±Inf, the returned norm is
// NaN or +Inf and no gradient is changed: the caller should skip the step.
// ClipGradValue clamps each element to [−clip, clip].
//
// # Checkpoints
//
// Optimizer.State returns a deep copy of everything Step changes besides the
// Param values: the algorithm's name, the learning rate, and per Param its
// Name, its step count and its buffers under PyTorch's names
// ("momentum_buffer"; "exp_avg", "exp_avg_sq", "max_exp_avg_sq"). A
// checkpoint writer stores the buffers as float32 tensors, for example named
// "optim.<param>.<buffer>", and the scalars as metadata. SetState matches
// Params by Name (so the order may differ), checks every length and the set
// of buffers, and changes nothing if anything is wrong. An optimizer built
// with the same config over Params restored to the same values, given the
// saved State, continues bit-identically (tested): the per-Param step count
// restores Adam's bias correction and SGD's first momentum step.
// Hyperparameters other than the learning rate are not part of the state;
// they belong to the run's config. The names of Params must therefore be
// unique, which the constructors check.
//
// # Errors
//
// Constructors and Validate methods return a *HyperparamError (which field,
// which value, which range) for a hyperparameter out of range, NaN included,
// and a *ParamError for a parameter list they cannot take (empty, nil, a Param
// twice, a duplicated Name, Grad and Data of different lengths). SetState
// returns a *ParamError for a state that does not fit. Both wrap ErrInvalid.
// Misuse inside a training step is a programmer error and panics with the
// same types: SetLR with a negative or NaN rate, LR of an invalid schedule or
// at t < 0, a Param whose length changed after the optimizer was built, a
// negative maxNorm.
//
// # Differences from PyTorch
//
//   - Adam's Eps must be > 0 (PyTorch accepts 0, which divides 0 by 0 for an
//     element whose gradient has always been 0).
//   - A config field left at zero takes PyTorch's default, as an omitted
//     keyword argument does; a value of 0 where the default is not 0 is
//     written Zero.
//   - LinearWarmup's StartFactor may be 0 (PyTorch's LinearLR wants > 0).
//   - ClipGradNorm leaves the gradients alone when the norm is not finite
//     (PyTorch scales them by NaN or 0 unless error_if_nonfinite is set).
//   - A Param that received no gradient is still updated (see above).
//   - Adam divides the moments' root by √(1 − β₂ᵗ) as a multiplication by the
//     float32 reciprocal, and updates the moments as β·m + (1 − β)·g rather
//     than PyTorch's lerp; each differs from PyTorch's float32 result by at
//     most a rounding.
//   - There are no parameter groups: use one optimizer per group, or SetLR on
//     each. There is no maximize, foreach, fused or capturable option.
package optim
