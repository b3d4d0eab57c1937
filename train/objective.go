package train

import (
	"fmt"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/loss"
)

// Objective turns a batch's trace into the training loss and the predicted classes.
//
// Loss records the loss on t and returns it as a scalar; labels holds one
// class per sample. Predict writes one class per sample to dst, reading the
// trace's values only. Both run at every training step: they should not
// allocate (take buffers from the tape, as the functions of package loss do).
// Classification is the objective of a config; any other type may be used
// with the same loop. A batch of variable-length sequences padded to its
// longest reaches only an objective that is also a LengthsReader.
type Objective interface {
	Loss(t *autograd.Tape, tr *layers.Trace, labels []int) *autograd.Var // labels: B entries
	Predict(tr *layers.Trace, dst []int)                                 // dst: B entries
}

// LengthsReader is an Objective that counts only the valid steps of a
// padded batch of variable-length sequences, those before tr.Lengths[b] of
// each sample b (layers.Trace.Lengths, nil for a batch without padding).
// Fit and Evaluate refuse a padded batch for any other Objective.
// Classification is one.
type LengthsReader interface {
	Objective
	ReadsLengths()
}

// Loss selects the loss on the output layer, by its config name.
type Loss uint8

const (
	// LossMembraneCE is loss.MembraneCE, the cross-entropy of the output
	// membrane potentials at every time step summed over time: snnTorch's
	// tutorial loss.
	LossMembraneCE Loss = iota
	// LossCountCE is loss.CountCE, the cross-entropy of the output spike
	// counts (snnTorch's ce_count_loss).
	LossCountCE
	// LossMaxMembraneCE is loss.MaxMembraneCE, the cross-entropy of each
	// output's maximum membrane over time (SpyTorch tutorial 2's read-out).
	LossMaxMembraneCE
	// LossCountMSE is loss.CountMSE, the mean squared error between the
	// output spike counts and target counts (snnTorch's mse_count_loss).
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

// Predict selects how a class is read from the output layer, by its config
// name: the argmax over outputs, the first on ties.
type Predict uint8

const (
	PredictSpikeCount  Predict = iota // loss.SpikeCount: argmax of Σ_t S[t] (snnTorch's accuracy)
	PredictMembraneSum                // loss.MembraneSum: argmax of Σ_t mem[t]
	PredictMembraneMax                // loss.MembraneMax: argmax of max_t mem[t]
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

// Classification is the Objective of a config (LoopConfig.Objective): a loss
// on the output layer, activity regularisers on the hidden neuron layers and
// a read-out, each a function of package loss. The zero value is the
// membrane cross-entropy read out by spike count, with no regulariser.
type Classification struct {
	Criterion                   Loss    // the loss on the output layer (train.loss)
	CorrectRate, IncorrectRate  float32 // LossCountMSE targets, spikes per step (train.correct_rate, train.incorrect_rate)
	RateL1                      float32 // weight of loss.RateL1 on each hidden neuron layer (train.rate_l1); 0: off
	RateMin, RateMax, BoundCost float32 // loss.RateBounds on each hidden neuron layer (train.rate_min, rate_max, rate_bound_weight)
	Prediction                  Predict // the read-out (train.predict)
}

// Objective returns the objective that the loop config names, or a
// *ConfigError for an unknown train.loss or train.predict.
func (l LoopConfig) Objective() (Classification, error) {
	crit, err := ParseLoss(l.Loss)
	if err != nil {
		return Classification{}, &ConfigError{Key: "train.loss", Value: l.Loss, Msg: err.Error()}
	}
	pred, err := ParsePredict(l.Predict)
	if err != nil {
		return Classification{}, &ConfigError{Key: "train.predict", Value: l.Predict, Msg: err.Error()}
	}
	return Classification{Criterion: crit, CorrectRate: float32(l.CorrectRate), IncorrectRate: float32(l.IncorrectRate),
		RateL1: float32(l.RateL1), RateMin: float32(l.RateMin), RateMax: float32(l.RateMax), BoundCost: float32(l.RateBoundWeight),
		Prediction: pred}, nil
}

// ReadsLengths marks Classification as a LengthsReader: with a trace's
// Lengths, its losses, regularisers and read-outs are package loss's Len
// functions.
func (Classification) ReadsLengths() {}

// Loss returns the scalar loss for the trace of a batch with the given
// labels: the Criterion on the output layer, plus the activity regularisers
// on every neuron layer but the last, in layer order. For a padded batch
// (tr.Lengths) each counts only each sample's valid steps, and the loss is
// the batch mean of each sample's own (the rate bounds pool the batch's
// valid steps).
//
// Shapes: the output is [T, B, C]; labels has B entries in [0, C).
func (c Classification) Loss(t *autograd.Tape, tr *layers.Trace, labels []int) *autograd.Var {
	var l *autograd.Var
	lens := tr.Lengths
	switch c.Criterion {
	case LossMembraneCE:
		l = loss.MembraneCELen(t, tr.Mem(), labels, lens)
	case LossCountCE:
		l = loss.CountCELen(t, tr.Out, labels, lens)
	case LossMaxMembraneCE:
		l = loss.MaxMembraneCELen(t, tr.Mem(), labels, lens)
	case LossCountMSE:
		l = loss.CountMSELen(t, tr.Out, labels, lens, c.CorrectRate, c.IncorrectRate)
	default:
		panic(fmt.Sprintf("train: unknown loss %v", c.Criterion))
	}
	for i, lt := range tr.Layers {
		if !lt.Neuron || i == len(tr.Layers)-1 {
			continue
		}
		if c.RateL1 > 0 {
			l = t.Add(l, loss.RateL1Len(t, lt.Out, lens, c.RateL1))
		}
		// Each bound is its own term of the sum, (l + below) + above, in
		// this order: a run's float32 loss depends on it.
		if c.BoundCost > 0 && c.RateMin > 0 {
			l = t.Add(l, loss.RateBoundsLen(t, lt.Out, lens, c.RateMin, 0, c.BoundCost))
		}
		if c.BoundCost > 0 && c.RateMax > 0 {
			l = t.Add(l, loss.RateBoundsLen(t, lt.Out, lens, 0, c.RateMax, c.BoundCost))
		}
	}
	return l
}

// readsHidden reports whether Loss reads the layers before the last (the
// rate regularisers).
func (c Classification) readsHidden() bool {
	return c.RateL1 > 0 || c.BoundCost > 0 && (c.RateMin > 0 || c.RateMax > 0)
}

// Predict writes the predicted class of each of the B samples of a trace to
// dst (len B): the read-out of Prediction on the output layer, its spikes
// for PredictSpikeCount and its membrane potentials otherwise, over each
// sample's valid steps (tr.Lengths).
func (c Classification) Predict(tr *layers.Trace, dst []int) {
	switch c.Prediction {
	case PredictSpikeCount:
		loss.SpikeCountLen(tr.Out, tr.Lengths, dst)
	case PredictMembraneSum:
		loss.MembraneSumLen(tr.Mem(), tr.Lengths, dst)
	case PredictMembraneMax:
		loss.MembraneMaxLen(tr.Mem(), tr.Lengths, dst)
	default:
		panic(fmt.Sprintf("train: unknown prediction %v", c.Prediction))
	}
}
