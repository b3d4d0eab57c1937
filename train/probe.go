package train

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
)

// ProbeResult is what a trained network shows inside: the activity of every
// neuron layer for one test sample, the weights of every Linear layer, and
// the test set's confusion matrix and per-neuron firing rates. Everything is
// plain data (slices), ready to be drawn.
type ProbeResult struct {
	// Sample is the index of the probed sample in the test set, Label its
	// class and Predicted the network's prediction for it.
	Sample, Label, Predicted int
	// Steps is the number of time steps T the sample was presented for.
	Steps int
	// Neurons holds the neuron layers in network order.
	Neurons []NeuronProbe
	// Weights holds the Linear layers in network order.
	Weights []WeightProbe
	// Eval is the evaluation of the final model on the whole test set, as
	// spikegrad eval reports it, with per-neuron firing rates
	// (LayerRate.Neurons) and the confusion matrix.
	Eval *Evaluation
}

// NeuronProbe is one neuron layer's activity for the probed sample.
type NeuronProbe struct {
	Layer string
	// Spiking is false for a non-spiking read-out (LI), whose output is its
	// membrane: Spikes and Thresholds are then nil.
	Spiking bool
	// Spikes[t][n] is 1 if neuron n spiked at step t, else 0; [T][N].
	Spikes [][]float32
	// Mem[t][n] is the membrane potential of neuron n at step t, before
	// the reset of a spike at t, in the units of the threshold; [T][N].
	Mem [][]float32
	// Thresholds holds the firing threshold as the forward pass uses it
	// (clamped to ≥ 0): one value shared by the layer, or one per neuron.
	Thresholds []float64
}

// WeightProbe is the weight matrix of one Linear layer, [Rows, Cols]
// row-major with rows the inputs and columns the outputs (the layer's
// [In, Out] storage), copied.
type WeightProbe struct {
	Name       string
	Rows, Cols int
	Data       []float32
}

// Probe loads the final model of a run directory (LoadModel) and its test
// set (LoadData, with the run's config and seed), runs test sample sample
// through the network without recording gradients, and returns the
// activity of each neuron layer, the weights of each Linear layer and the
// evaluation of the whole test set (Evaluate, as EvaluateRun does). A
// stochastic encoding (rate) draws the sample's spikes from a fixed source,
// so a probe is repeatable. Progress of a dataset download goes to log,
// which may be nil.
//
// It returns an error for a run without a final model, data that cannot
// be loaded, or a sample outside the test set.
func Probe(ctx context.Context, runDir string, sample int, log io.Writer) (*ProbeResult, error) {
	if log == nil {
		log = io.Discard
	}
	r, net, err := loadForEval(ctx, runDir, log)
	if err != nil {
		return nil, err
	}
	data := r.data
	if n := data.Test.Len(); sample < 0 || sample >= n {
		return nil, fmt.Errorf("train: probe %s: sample %d outside the test set [0, %d)", runDir, sample, n)
	}
	tape := autograd.NewTape()
	ev, err := Evaluate(net, data.Test, EvalOptions{Steps: data.Steps, BatchSize: r.cfg.Train.evalBatch(), Objective: r.obj, Tape: tape})
	if err != nil {
		return nil, err
	}

	_, features := data.Test.Shape()
	b := datasets.NewBatch(datasets.SampleSteps(data.Test, sample), 1, features) // the sample alone, at its own length
	b.Rand = rand.New(rand.NewPCG(0, streamEval))
	if err := data.Test.Fill(b, []int{sample}); err != nil {
		return nil, fmt.Errorf("train: probe %s: sample %d: %w", runDir, sample, err)
	}
	tape.Reset()
	was := tape.SetGrad(false)
	defer tape.SetGrad(was)
	var tr *layers.Trace
	if err := catch(func() {
		tr = net.Forward(tape, batchInput(tape, b, inputMarkOf(data.Test)), data.Steps)
	}); err != nil {
		return nil, fmt.Errorf("train: probe %s: %w", runDir, err)
	}
	pred := []int{0}
	r.obj.Predict(tr, pred)

	res := &ProbeResult{Sample: sample, Label: b.Labels[0], Predicted: pred[0], Steps: tr.Out.Dim(0), Eval: ev}
	for i, lt := range tr.Layers {
		switch l := net.Layers[i].(type) {
		case *layers.Linear:
			res.Weights = append(res.Weights, WeightProbe{Name: l.Name(), Rows: l.In, Cols: l.Out,
				Data: append([]float32(nil), l.Weight.Data...)})
		}
		if !lt.Neuron {
			continue
		}
		np := NeuronProbe{Layer: lt.Name, Spiking: lt.Out.Binary(), Mem: rows(lt.Mem)}
		if np.Spiking {
			np.Spikes = rows(lt.Out)
			if l, ok := net.Layers[i].(layers.Spiking); ok {
				for _, v := range l.SpikeThreshold().Data {
					np.Thresholds = append(np.Thresholds, max(0, float64(v)))
				}
			}
		}
		res.Neurons = append(res.Neurons, np)
	}
	return res, nil
}

// rows copies a [T, 1, N] tensor into [T][N].
func rows(v *autograd.Var) [][]float32 {
	T, n := v.Dim(0), v.Dim(v.Dims()-1)
	out := make([][]float32, T)
	for t := range out {
		out[t] = append([]float32(nil), v.Data[t*n:(t+1)*n]...)
	}
	return out
}
