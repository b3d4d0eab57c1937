package train

import (
	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/layers"
)

// Objective turns a batch's trace into the training loss and the predicted
// classes. Fit and Evaluate call it once per batch; an Objective may keep
// scratch buffers between calls (it is not safe for concurrent use).
type Objective interface {
	// Loss returns the scalar loss of the trace for the batch's labels (B
	// entries), recorded on t.
	Loss(t *autograd.Tape, tr *layers.Trace, labels []int) *autograd.Var
	// Predict writes the predicted class of each of the batch's B samples
	// into dst (B entries).
	Predict(tr *layers.Trace, dst []int)
}

// NewObjective returns the Objective of a loss with its regularisers and a
// read-out: the objective that a config's train section describes.
func NewObjective(loss LossObjective, predict Predict) Objective {
	return &lossPredict{loss: loss, predict: predict}
}

// lossPredict is a LossObjective with a Predict read-out.
type lossPredict struct {
	loss    LossObjective
	predict Predict
	scores  []float32 // scratch of Predict, reused
}

func (o *lossPredict) Loss(t *autograd.Tape, tr *layers.Trace, labels []int) *autograd.Var {
	return o.loss.Compute(t, tr, labels)
}

func (o *lossPredict) Predict(tr *layers.Trace, dst []int) {
	o.scores = growFloats(o.scores, len(dst)*tr.Out.Dim(tr.Out.Dims()-1))
	o.predict.Classes(tr, dst, o.scores)
}

// objectiveOf builds the objective of the loop config's loss, regularisers
// and prediction.
func objectiveOf(l LoopConfig) (Objective, error) {
	loss, err := ParseLoss(l.Loss)
	if err != nil {
		return nil, &ConfigError{Key: "train.loss", Value: l.Loss, Msg: err.Error()}
	}
	pred, err := ParsePredict(l.Predict)
	if err != nil {
		return nil, &ConfigError{Key: "train.predict", Value: l.Predict, Msg: err.Error()}
	}
	return NewObjective(LossObjective{Loss: loss, CorrectRate: float32(l.CorrectRate), IncorrectRate: float32(l.IncorrectRate),
		RateL1: float32(l.RateL1), RateMin: float32(l.RateMin), RateMax: float32(l.RateMax), BoundCost: float32(l.RateBoundWeight)}, pred), nil
}
