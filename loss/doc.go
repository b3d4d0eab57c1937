// Package loss holds the training losses, activity regularisers and class
// read-outs of spiking classifiers, as plain functions of tape values. They
// import only package autograd: a loss is a few ops recorded on the tape, and
// its gradient is theirs.
//
// A network's output over time is a sequence [T, B, C] (time, batch,
// classes): the spikes S of its output layer and their membrane potentials
// U. Labels hold one class in [0, C) per sample (B entries).
//
// # Losses
//
//	MembraneCE(t, mem, labels)        Σ_t CE(U[t], y)         snnTorch's tutorial loss
//	MaxMembraneCE(t, mem, labels)     CE(max_t U[t], y)       SpyTorch's max-over-time read-out
//	CountCE(t, out, labels)           CE(Σ_t S[t], y)         snnTorch's ce_count_loss
//	CountMSE(t, out, labels, r⁺, r⁻)  MSE(Σ_t S[t], target)   snnTorch's mse_count_loss
//
// with target r⁺·T for the label and r⁻·T for the other classes.
//
// CE is the mean over the batch of the cross-entropy of softmax(logits) with
// the label (autograd's fused CrossEntropy); MSE is the mean over B·C
// entries. The count losses need a spiking output layer; the membrane losses
// work for any, including a non-spiking leaky-integrator read-out.
//
// # Regularisers
//
// On the spikes of a hidden layer [T, B, N], weighted and added to the loss:
//
//	RateL1(t, spikes, w)             w · mean firing rate
//	RateBounds(t, spikes, lo, hi, w) w · mean_n relu(lo − r_n)² + w · mean_n relu(r_n − hi)²
//
// where r_n is neuron n's rate, its mean over time and batch.
//
// # Read-outs
//
// A read-out turns an output sequence into one class per sample, the argmax
// over classes of a score (the first class on ties), written to a caller's
// slice without allocating:
//
//	SpikeCount(out, dst)   Σ_t S[t]   (snnTorch's accuracy)
//	MembraneSum(mem, dst)  Σ_t U[t]
//	MembraneMax(mem, dst)  max_t U[t]
//
// # Sequences of their own lengths
//
// A batch of variable-length sequences is padded at the end to its longest
// sample. Every function above has a twin with the suffix Len (MembraneCELen,
// CountCELen, ..., RateL1Len, RateBoundsLen, SpikeCountLen, ...) that takes the
// samples' lengths, B entries in [1, T], and counts only the valid steps
// t < lengths[b] of sample b: the padding changes neither the value nor the
// gradient, which is exactly zero at every padded step. A sample's terms are
// those it has alone at its own length (CountMSE's targets are rates times its
// length, RateL1 its own rate), and the losses are their batch means, so a
// padded batch's loss and gradient are the mean of its samples' own (the
// rates of RateBoundsLen pool the batch's valid steps instead). nil lengths
// give the function without the suffix exactly.
//
// # A training step
//
//	tr := net.Forward(tape, x, T)
//	l := loss.MembraneCE(tape, tr.Mem(), labels)
//	l = tape.Add(l, loss.RateL1(tape, tr.Layers[1].Out, 1e-3))
//	tape.Backward(l)
//	loss.SpikeCount(tr.Out, preds)
//
// None of the functions allocates once the tape has run the step before:
// their buffers come from the tape's arena. A shape that does not fit (a
// sequence that is not [T, B, C], a label count other than B, a label out of
// range, a read-out slice other than B long) is a programmer error and
// panics with an *autograd.ShapeError.
package loss
