package infer_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/infer"
)

// static is a static dataset held in memory: n samples of f values in
// [0, 1), labels i mod 10.
type static struct {
	x []float32
	f int
}

func newStatic(n, f int, seed uint64) *static {
	rng := rand.New(rand.NewPCG(seed, seed))
	x := make([]float32, n*f)
	for i := range x {
		x[i] = rng.Float32()
	}
	return &static{x: x, f: f}
}

func (s *static) Len() int                     { return len(s.x) / s.f }
func (s *static) Shape() (steps, features int) { return 1, s.f }
func (s *static) Fill(b *datasets.Batch, idx []int) error {
	for i, k := range idx {
		if k < 0 || k >= s.Len() {
			return fmt.Errorf("index %d out of range", k)
		}
		copy(b.X[i*s.f:(i+1)*s.f], s.x[k*s.f:(k+1)*s.f])
		b.Labels[i] = k % 10
	}
	return nil
}

// TestRunRate runs a rate-coded model over a static dataset in batches of
// 7 and requires the predictions of encoding the same samples with the
// same random source by hand and calling Forward; and checks that the
// counts fit together: the SynOps of a Linear are the spikes of the layer
// before it times its fan-out, the neuron updates N·T per sample.
func TestRunRate(t *testing.T) {
	const T, F, n = 12, 100, 30
	net := mixedNet(F, 13)
	m := export(net, T, infer.Encoding{Name: infer.EncodingRate, Gain: 0.2}, infer.ReadoutMembraneSum)
	e, err := infer.New(m)
	if err != nil {
		t.Fatal(err)
	}
	ds := newStatic(n, F, 14)
	preds, st, err := e.Run(ds, infer.RunOptions{BatchSize: 7, Seed: 15})
	if err != nil {
		t.Fatal(err)
	}
	// By hand: the encoder draws from one PCG(seed, 0) batch after batch.
	rng := rand.New(rand.NewPCG(15, 0))
	var want []int
	correct := 0
	for start := 0; start < n; start += 7 {
		B := min(7, n-start)
		x := make([]float32, T*B*F)
		datasets.RateEncoder{Gain: 0.2}.Encode(x, ds.x[start*F:(start+B)*F], T, B, F, rng)
		p := make([]int, B)
		if err := e.Forward(e.NewState(B), x, T, false, true, p, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, p...)
		for i, c := range p {
			if c == (start+i)%10 {
				correct++
			}
		}
	}
	if !slices.Equal(preds, want) {
		t.Errorf("Run predicts %v, encoding by hand and Forward %v", preds, want)
	}
	if st.Samples != n || st.Steps != T || st.Accuracy != float64(correct)/n {
		t.Errorf("stats: %d samples, %d steps, accuracy %v; want %d, %d, %v", st.Samples, st.Steps, st.Accuracy, n, T, float64(correct)/n)
	}
	for i, l := range st.Layers {
		switch l.Kind {
		case "linear":
			if want := float64(T * l.Neurons * inputs(st, i)); l.DenseOps != want {
				t.Errorf("%s: %v dense ops, want %v (inputs x outputs x steps)", l.Layer, l.DenseOps, want)
			}
			if i == 0 {
				if l.MACs != 0 || l.SynOps <= 0 {
					t.Errorf("%s takes spikes: %v MACs, %v SynOps", l.Layer, l.MACs, l.SynOps)
				}
				continue
			}
			if want := st.Layers[i-1].Spikes * float64(l.Neurons); l.SynOps != want {
				t.Errorf("%s: %v SynOps, want the %v spikes before it times %d", l.Layer, l.SynOps, st.Layers[i-1].Spikes, l.Neurons)
			}
		default:
			if l.NeuronUpdates != float64(l.Neurons*T) {
				t.Errorf("%s: %v neuron updates, want %d", l.Layer, l.NeuronUpdates, l.Neurons*T)
			}
		}
	}
	if st.Layers[5].Spikes == 0 {
		t.Error("lif3 never spiked: the counts were not exercised")
	}
}

// inputs returns the inputs of layer i of st: the outputs of the layer
// before it, or the 100 features of TestRunRate for the first.
func inputs(st *infer.Stats, i int) int {
	if i == 0 {
		return 100
	}
	return st.Layers[i-1].Neurons
}

// seqSet is a sequence dataset of n samples of T steps and f features.
type seqSet struct {
	x       []float32 // [n, T, f]
	T, f, n int
}

func (s *seqSet) Len() int                     { return s.n }
func (s *seqSet) Shape() (steps, features int) { return s.T, s.f }
func (s *seqSet) Fill(b *datasets.Batch, idx []int) error {
	for i, k := range idx {
		for t := range s.T {
			copy(b.X[(t*len(idx)+i)*s.f:(t*len(idx)+i+1)*s.f], s.x[(k*s.T+t)*s.f:(k*s.T+t+1)*s.f])
		}
		b.Labels[i] = k % 10
	}
	return nil
}

// TestRunSpikesChecked: a spike dataset with a value other than 0 or 1 is
// an error naming the sample, step and feature; a sequence of another
// length than the model's steps is an error too.
func TestRunSpikesChecked(t *testing.T) {
	const T, F, n = 6, 100, 9
	e, err := infer.New(export(mixedNet(F, 16), T, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	ds := &seqSet{x: randomSpikes(n*T*F, 0.1, 17), T: T, f: F, n: n}
	if _, _, err := e.Run(ds, infer.RunOptions{BatchSize: 4}); err != nil {
		t.Fatal(err)
	}
	ds.x[(5*T+2)*F+7] = 2 // sample 5, step 2, feature 7
	_, _, err = e.Run(ds, infer.RunOptions{BatchSize: 4})
	if err == nil || !strings.Contains(err.Error(), "sample 5, step 2, feature 7 is 2") {
		t.Errorf("a value of 2 in a spike dataset: error %v", err)
	}
	if _, _, err := e.Run(&seqSet{x: ds.x, T: T - 1, f: F, n: n}, infer.RunOptions{}); err == nil {
		t.Error("sequences of another length: no error")
	}
	vl, err := datasets.NewSequences([][]float32{make([]float32, T*F), {2}}, []int{0, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Run(vl, infer.RunOptions{}); err == nil || !strings.Contains(err.Error(), "the dataset has 1 features per step") {
		t.Errorf("sequences of their own lengths, of 1 feature: error %v", err)
	}
}

// TestRunVarLen runs sequences of their own lengths: each sample alone for
// its own steps, so the predictions are those of Forward on the sample
// alone, and each layer's neuron updates per sample are its neurons times
// the mean length, not the longest.
func TestRunVarLen(t *testing.T) {
	const F = 100
	e, err := infer.New(export(mixedNet(F, 16), 6, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum))
	if err != nil {
		t.Fatal(err)
	}
	lengths := []int{3, 9, 1, 6, 4}
	var x [][]float32
	var labels []int
	sum := 0
	for i, L := range lengths {
		x, labels = append(x, randomSpikes(L*F, 0.2, uint64(20+i))), append(labels, i%10)
		sum += L
	}
	ds, err := datasets.NewSequences(x, labels, F)
	if err != nil {
		t.Fatal(err)
	}
	preds, st, err := e.Run(ds, infer.RunOptions{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i, L := range lengths {
		p := []int{0}
		if err := e.Forward(e.NewState(1), x[i], L, false, true, p, nil); err != nil {
			t.Fatal(err)
		}
		if preds[i] != p[0] {
			t.Errorf("sample %d (%d steps): Run predicts %d, Forward alone %d", i, L, preds[i], p[0])
		}
	}
	if st.Steps != 9 || st.Samples != len(lengths) {
		t.Errorf("stats: %d steps, %d samples; want the longest, 9, and %d", st.Steps, st.Samples, len(lengths))
	}
	for _, l := range st.Layers {
		if l.Kind != "linear" && l.NeuronUpdates != float64(l.Neurons*sum)/float64(len(lengths)) {
			t.Errorf("%s: %v neuron updates per sample, want %d neurons x the mean length %v", l.Layer, l.NeuronUpdates, l.Neurons, float64(sum)/float64(len(lengths)))
		}
	}
}
