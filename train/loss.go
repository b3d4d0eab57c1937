package train

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
)

// Loss selects the training objective on the output layer.
type Loss uint8

const (
	// LossMembraneCE is the cross-entropy of the output membrane potentials
	// at every time step, summed over time: Σ_t CE(mem[t], y), snnTorch's
	// tutorial loss (loss_val += loss(mem_rec[step], targets)).
	LossMembraneCE Loss = iota
	// LossCountCE is the cross-entropy of the output spike counts Σ_t S[t]
	// used as logits (snnTorch's ce_count_loss).
	LossCountCE
	// LossMaxMembraneCE is the cross-entropy of the maximum over time of
	// each output's membrane (SpyTorch tutorial 2's max-over-time read-out).
	LossMaxMembraneCE
	// LossCountMSE is the mean squared error between the output spike counts
	// and target counts: CorrectRate·T for the label, IncorrectRate·T for
	// the other outputs (snnTorch's mse_count_loss).
	LossCountMSE
)

var lossNames = [...]string{"membrane_ce", "count_ce", "max_membrane_ce", "count_mse"}

// String returns the loss's config name.
func (l Loss) String() string {
	if int(l) < len(lossNames) {
		return lossNames[l]
	}
	return fmt.Sprintf("Loss(%d)", uint8(l))
}

// ParseLoss returns the Loss with config name s.
func ParseLoss(s string) (Loss, error) {
	for i, n := range lossNames {
		if n == s {
			return Loss(i), nil
		}
	}
	return 0, fmt.Errorf("unknown loss %q (allowed: %v)", s, lossNames)
}

// LossObjective computes a training loss from a network's trace.
type LossObjective struct {
	Loss                        Loss
	CorrectRate, IncorrectRate  float32 // LossCountMSE targets, spikes per step
	RateL1                      float32 // weight of the mean hidden firing rate
	RateMin, RateMax, BoundCost float32 // per-neuron rate bounds and their weight

	labels  []int     // labels repeated over time, reused
	targets []float32 // count targets, reused
}

// Compute returns the scalar loss for the trace of a batch with the given
// labels: the objective plus the activity regularisers on the hidden
// (non-output) neuron layers.
//
// Shapes: the output is [T, B, C]; labels has B entries in [0, C).
func (o *LossObjective) Compute(t *autograd.Tape, tr *layers.Trace, labels []int) *autograd.Var {
	out, mem := tr.Out, tr.Mem()
	T, B, C := out.Dim(0), out.Dim(1), out.Dim(2)
	var loss *autograd.Var
	switch o.Loss {
	case LossMembraneCE:
		// CE over all T·B rows is the mean over t and b; times T it is the sum
		// over t of the batch means, snnTorch's objective.
		o.labels = o.labels[:0]
		for range T {
			o.labels = append(o.labels, labels...)
		}
		loss = t.Scale(t.CrossEntropy(t.Reshape(mem, T*B, C), o.labels), float32(T))
	case LossCountCE:
		loss = t.CrossEntropy(t.Sum(out, 0), labels)
	case LossMaxMembraneCE:
		loss = t.CrossEntropy(t.Max(mem, 0), labels)
	case LossCountMSE:
		o.targets = o.targets[:0]
		for b := range B {
			for c := range C {
				r := o.IncorrectRate
				if c == labels[b] {
					r = o.CorrectRate
				}
				o.targets = append(o.targets, r*float32(T))
			}
		}
		loss = t.MSE(t.Sum(out, 0), t.Constant(o.targets, B, C))
	default:
		panic(fmt.Sprintf("train: unknown loss %v", o.Loss))
	}
	for i, lt := range tr.Layers {
		if !lt.Neuron || i == len(tr.Layers)-1 {
			continue
		}
		if o.RateL1 > 0 {
			loss = t.Add(loss, t.Scale(t.MeanAll(lt.Out), o.RateL1))
		}
		if o.BoundCost > 0 && (o.RateMin > 0 || o.RateMax > 0) {
			// Per-neuron rate over time and batch: mean over axes 0 and 1.
			rate := t.Mean(t.Mean(lt.Out, 0), 0)
			if o.RateMin > 0 { // Σ relu(min - rate)² / N
				loss = t.Add(loss, t.Scale(t.MeanAll(t.Square(t.ReLU(t.AddScalar(t.Neg(rate), o.RateMin)))), o.BoundCost))
			}
			if o.RateMax > 0 { // Σ relu(rate - max)² / N
				loss = t.Add(loss, t.Scale(t.MeanAll(t.Square(t.ReLU(t.AddScalar(rate, -o.RateMax)))), o.BoundCost))
			}
		}
	}
	return loss
}

// Predict selects how a class is read from the output layer.
type Predict uint8

const (
	PredictSpikeCount  Predict = iota // argmax of Σ_t S[t] (snnTorch's accuracy)
	PredictMembraneSum                // argmax of Σ_t mem[t]
	PredictMembraneMax                // argmax of max_t mem[t]
)

var predictNames = [...]string{"spike_count", "membrane_sum", "membrane_max"}

// String returns the config name.
func (p Predict) String() string {
	if int(p) < len(predictNames) {
		return predictNames[p]
	}
	return fmt.Sprintf("Predict(%d)", uint8(p))
}

// ParsePredict returns the Predict with config name s.
func ParsePredict(s string) (Predict, error) {
	for i, n := range predictNames {
		if n == s {
			return Predict(i), nil
		}
	}
	return 0, fmt.Errorf("unknown prediction %q (allowed: %v)", s, predictNames)
}

// Classes writes the predicted class of each of the B samples of a trace
// into dst (len B): the argmax over outputs, the first on ties. scores is
// scratch of length B·C.
func (p Predict) Classes(tr *layers.Trace, dst []int, scores []float32) {
	out := tr.Out
	src := out
	if p != PredictSpikeCount {
		src = tr.Mem()
	}
	T, B, C := src.Dim(0), src.Dim(1), src.Dim(2)
	scores = scores[:B*C]
	d := src.Data
	switch p {
	case PredictMembraneMax:
		copy(scores, d[:B*C])
		for t := 1; t < T; t++ {
			for i, v := range d[t*B*C : (t+1)*B*C] {
				scores[i] = max(scores[i], v)
			}
		}
	default:
		clear(scores)
		for t := range T {
			for i, v := range d[t*B*C : (t+1)*B*C] {
				scores[i] += v
			}
		}
	}
	for b := range B {
		row := scores[b*C : (b+1)*C]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		dst[b] = best
	}
}
