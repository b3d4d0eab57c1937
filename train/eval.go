package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/rundir"
)

// Evaluation is the result of running a network over a dataset without
// gradients.
type Evaluation struct {
	Samples  int
	Loss     float64 // the objective, averaged over batches weighted by size
	Accuracy float64 // fraction of correct predictions
	Rates    []LayerRate
	// Confusion[i][j] counts samples of class i predicted as j.
	Confusion [][]int
}

// LayerRate is the fraction of neuron-steps that spiked in one layer (the
// valid steps of each sample, for sequences of their own lengths).
type LayerRate struct {
	Layer string
	Rate  float64
	// Neurons holds each neuron's firing rate: the fraction of its
	// sample-steps in which it spiked. Rate is their mean.
	Neurons []float64
}

// EvalOptions configures Evaluate.
type EvalOptions struct {
	// Steps is the number of time steps to present each sample of a static
	// dataset for (one whose Shape has one step); a sequence dataset brings
	// its own and ignores it.
	Steps int
	// BatchSize is the samples per batch (0: 128); larger batches run
	// faster and need more memory.
	BatchSize int
	// Objective gives the loss and the predictions; required.
	Objective Objective
	// Tape records the forward passes (nil: a new tape); passing the
	// training tape reuses its memory. Gradient recording is off during
	// the evaluation and restored after it.
	Tape *autograd.Tape
}

// Evaluate runs net over every sample of ds without recording gradients and
// returns the mean loss, the accuracy, each spiking layer's firing rate (of
// the layer and of each neuron) and the confusion matrix. A rate-encoded
// set is encoded with the same random spikes at every call.
func Evaluate(net Network, ds datasets.Dataset, opt EvalOptions) (*Evaluation, error) {
	obj, tape, batchSize, steps := opt.Objective, opt.Tape, opt.BatchSize, opt.Steps
	if obj == nil {
		return nil, errors.New("train: Evaluate: EvalOptions.Objective is nil")
	}
	if batchSize <= 0 {
		batchSize = 128
	}
	if s, _ := ds.Shape(); s == 1 && steps < 1 {
		return nil, fmt.Errorf("train: Evaluate: the dataset is static (one step per sample): EvalOptions.Steps must say how many steps to present it for, not %d", steps)
	}
	if tape == nil {
		tape = autograd.NewTape()
	}
	was := tape.SetGrad(false)
	defer tape.SetGrad(was)
	// A stochastic encoding (rate) needs a random source; a fixed one gives
	// every evaluation of a set the same spikes.
	loader, err := datasets.NewLoader(ds, datasets.LoaderConfig{BatchSize: batchSize}, rand.New(rand.NewPCG(0, streamEval)))
	if err != nil {
		return nil, err
	}
	var sums evalSums
	mark := inputMarkOf(ds)
	ep := loader.Epoch(context.Background())
	defer ep.Close()
	for ep.Next() {
		b := ep.Batch()
		tape.Reset()
		var tr *layers.Trace
		var loss *autograd.Var
		if err := usePadding(net, obj, b); err != nil {
			return nil, fmt.Errorf("train: evaluating: %w", err)
		}
		err := catch(func() {
			tr = net.Forward(tape, batchInput(tape, b, mark), steps)
			withLengths(tr, b)
			loss = obj.Loss(tape, tr, b.Labels[:b.Size])
		})
		clearLengths(net)
		if err != nil {
			return nil, fmt.Errorf("train: evaluating: %w", err)
		}
		sums.addPredictions(obj, tr, loss, b.Labels[:b.Size])
		sums.addSpikes(tr)
	}
	if err := ep.Err(); err != nil {
		return nil, err
	}
	if sums.samples == 0 {
		return nil, fmt.Errorf("train: evaluating: the dataset is empty")
	}
	return sums.evaluation(), nil
}

// evalSums accumulates what Evaluate measures, batch by batch.
type evalSums struct {
	samples, correct int
	loss             float64 // Σ over batches of the mean loss times the batch size
	confusion        [][]int // [true class][predicted class]
	preds            []int
	spiking          []spikeSums // the spiking layers, in network order
}

// spikeSums counts the spikes of one spiking layer.
type spikeSums struct {
	name        string
	spikes      float64   // all of the layer's spikes
	neuronSteps float64   // neurons × sample-steps seen
	perNeuron   []float64 // each neuron's spikes
}

// addPredictions adds a batch's loss, its predictions (obj.Predict of the
// trace) against labels and their confusion matrix.
func (e *evalSums) addPredictions(obj Objective, tr *layers.Trace, loss *autograd.Var, labels []int) {
	classes := tr.Out.Dim(2)
	if e.confusion == nil {
		e.confusion = make([][]int, classes)
		for i := range e.confusion {
			e.confusion[i] = make([]int, classes)
		}
	}
	e.loss += float64(loss.Item()) * float64(len(labels))
	e.preds = growInts(e.preds, len(labels))
	obj.Predict(tr, e.preds)
	for i, p := range e.preds {
		y := labels[i]
		if p == y {
			e.correct++
		}
		if y >= 0 && y < classes {
			e.confusion[y][p]++
		}
	}
	e.samples += len(labels)
}

// addSpikes adds the spikes of a batch's trace, per spiking layer (a neuron
// layer whose output is binary) and per neuron, over each sample's valid
// steps (tr.Lengths) for a padded batch.
func (e *evalSums) addSpikes(tr *layers.Trace) {
	k := 0
	for _, lt := range tr.Layers {
		if !lt.Neuron || !lt.Out.Binary() {
			continue
		}
		n := lt.Out.Dim(lt.Out.Dims() - 1)
		if len(e.spiking) <= k {
			e.spiking = append(e.spiking, spikeSums{name: lt.Name, perNeuron: make([]float64, n)})
		}
		l := &e.spiking[k]
		var s float64
		acc := l.perNeuron
		add := func(data []float32) { // frames of n neurons
			for row := data; len(row) >= n; row = row[n:] {
				for j, v := range row[:n] {
					acc[j] += float64(v)
					s += float64(v)
				}
			}
		}
		if tr.Lengths == nil {
			add(lt.Out.Data)
			l.neuronSteps += float64(lt.Out.Len())
		} else { // each sample's valid steps only
			B := len(tr.Lengths)
			frame := lt.Out.Len() / (lt.Out.Dim(0) * B) // values per sample and step
			for b, L := range tr.Lengths {
				for t := range L {
					add(lt.Out.Data[(t*B+b)*frame : (t*B+b+1)*frame])
				}
				l.neuronSteps += float64(L * frame)
			}
		}
		l.spikes += s
		k++
	}
}

// evaluation returns the means of the sums: the loss per sample, the
// accuracy and the firing rates.
func (e *evalSums) evaluation() *Evaluation {
	ev := &Evaluation{Samples: e.samples, Confusion: e.confusion,
		Loss: e.loss / float64(e.samples), Accuracy: float64(e.correct) / float64(e.samples)}
	for _, l := range e.spiking {
		// Each neuron has neuronSteps / N sample-steps.
		per := l.perNeuron
		steps := l.neuronSteps / float64(len(per))
		for j := range per {
			per[j] /= steps
		}
		ev.Rates = append(ev.Rates, LayerRate{Layer: l.name, Rate: l.spikes / l.neuronSteps, Neurons: per})
	}
	return ev
}

// LoadModel reads a run directory's final model: its config, and the network
// built from model/model.json with the weights of model/weights.safetensors.
func LoadModel(runDir string) (*Config, *layers.Sequential, error) {
	cfg := DefaultConfig()
	cfgPath := filepath.Join(runDir, rundir.ConfigFile)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	if err := cfg.ReadYAML(b, cfgPath); err != nil {
		return nil, nil, err
	}
	m, ts, err := model.Load(filepath.Join(runDir, rundir.ModelDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("train: %w (has the run finished?)", err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	net, err := layers.Build(m, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("train: %s: %w", filepath.Join(runDir, rundir.ModelArch), err)
	}
	ck := &Checkpoint{Path: filepath.Join(runDir, rundir.ModelWeights)}
	for _, t := range ts {
		t.Name = ModelPrefix + t.Name
		ck.Tensors = append(ck.Tensors, t)
	}
	if err := ck.Restore(net.Params()); err != nil {
		return nil, nil, err
	}
	return &cfg, net, nil
}

// EvaluateRun evaluates a run directory's final model on the test set of its
// config.
func EvaluateRun(ctx context.Context, runDir string, log io.Writer) (*Evaluation, error) {
	r, net, err := loadForEval(ctx, runDir, log)
	if err != nil {
		return nil, err
	}
	return Evaluate(net, r.data.Test, EvalOptions{Steps: r.data.Steps, BatchSize: r.cfg.Train.evalBatch(), Objective: r.obj})
}

// evalRun is what evaluating a run's final model needs: its config, data
// and objective.
type evalRun struct {
	cfg  Config
	data *DataSplits
	obj  Objective
}

// loadForEval loads a run directory's final model, its config's data and
// objective.
func loadForEval(ctx context.Context, runDir string, log io.Writer) (*evalRun, *layers.Sequential, error) {
	cfg, net, err := LoadModel(runDir)
	if err != nil {
		return nil, nil, err
	}
	data, err := LoadData(ctx, cfg.Data, cfg.Seed, log)
	if err != nil {
		return nil, nil, err
	}
	obj, err := cfg.Train.Objective()
	if err != nil {
		return nil, nil, err
	}
	return &evalRun{cfg: *cfg, data: data, obj: obj}, net, nil
}
