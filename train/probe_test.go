package train

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/rundir"
)

func TestProbe(t *testing.T) {
	dir := t.TempDir()
	runIn(t, tinyConfig(), dir, Options{})
	const sample = 3
	pr, err := Probe(context.Background(), dir, sample, nil)
	if err != nil {
		t.Fatal(err)
	}
	// tinyConfig: Randman with 20 steps and 20 units, a 20-16-10 network
	// fc1 → lif1 → fc2 → out (LI read-out, the default), 80 test samples.
	if pr.Steps != 20 || pr.Sample != sample {
		t.Fatalf("steps %d sample %d, want 20 and %d", pr.Steps, pr.Sample, sample)
	}
	if len(pr.Neurons) != 2 || pr.Neurons[0].Layer != "lif1" || pr.Neurons[1].Layer != "out" {
		t.Fatalf("neuron layers %+v, want lif1 and out", pr.Neurons)
	}
	lif, out := pr.Neurons[0], pr.Neurons[1]
	if !lif.Spiking || out.Spiking || out.Spikes != nil || out.Thresholds != nil {
		t.Errorf("lif1 spiking %v, out spiking %v (spikes %v, thresholds %v): want a spiking lif1 and a non-spiking read-out",
			lif.Spiking, out.Spiking, out.Spikes != nil, out.Thresholds)
	}
	if len(lif.Spikes) != 20 || len(lif.Spikes[0]) != 16 || len(lif.Mem) != 20 || len(out.Mem[0]) != 10 {
		t.Fatalf("shapes: spikes [%d][%d], out mem [%d][%d]; want [20][16] and [20][10]",
			len(lif.Spikes), len(lif.Spikes[0]), len(out.Mem), len(out.Mem[0]))
	}
	// The default threshold is 1, shared by the layer.
	if !slices.Equal(lif.Thresholds, []float64{1}) {
		t.Errorf("thresholds %v, want [1]", lif.Thresholds)
	}
	// S[t] = H(mem[t] − thr) (layers.LIF): spikes and membranes agree.
	spikes := 0
	for ti, row := range lif.Spikes {
		for n, s := range row {
			if want := lif.Mem[ti][n] > 1; (s == 1) != want {
				t.Fatalf("step %d neuron %d: spike %v with membrane %v", ti, n, s, lif.Mem[ti][n])
			}
			spikes += int(s)
		}
	}
	if spikes == 0 {
		t.Error("lif1 did not spike for the probed sample")
	}

	// The weights are the final model's, [In, Out].
	_, net, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Weights) != 2 {
		t.Fatalf("%d weight matrices, want fc1 and fc2", len(pr.Weights))
	}
	for i, want := range []struct {
		name       string
		rows, cols int
		layer      int
	}{{"fc1", 20, 16, 0}, {"fc2", 16, 10, 2}} {
		w := pr.Weights[i]
		lin := net.Layers[want.layer].(*layers.Linear)
		if w.Name != want.name || w.Rows != want.rows || w.Cols != want.cols || !slices.Equal(w.Data, lin.Weight.Data) {
			t.Errorf("weights %d: %s [%d, %d], want %s [%d, %d] equal to the model's", i, w.Name, w.Rows, w.Cols, want.name, want.rows, want.cols)
		}
	}

	// The sample alone gives what it gives inside the whole test batch.
	// Tolerance: a batch of one and a batch of 80 may run different GEMM
	// paths, whose float32 sums can differ in the last bits (relative
	// 1e-6 per product of 20 terms); 1e-5 absolute on membranes of order 1.
	cfg, _, err := LoadModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := LoadData(context.Background(), cfg.Data, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := data.Test.Len()
	steps, features := data.Test.Shape()
	b := datasets.NewBatch(steps, n, features)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if err := data.Test.Fill(b, idx); err != nil {
		t.Fatal(err)
	}
	if b.Labels[sample] != pr.Label {
		t.Errorf("label %d, the test set says %d", pr.Label, b.Labels[sample])
	}
	tape := autograd.NewTape()
	tape.SetGrad(false)
	tr := net.Forward(tape, tape.Constant(b.X, steps, n, features), data.Steps)
	for li, k := range []int{1, 3} {
		mem := tr.Layers[k].Mem
		N := mem.Dim(2)
		for ti := range steps {
			for j := range N {
				got := pr.Neurons[li].Mem[ti][j]
				want := mem.Data[(ti*n+sample)*N+j]
				if math.Abs(float64(got-want)) > 1e-5 {
					t.Fatalf("%s step %d neuron %d: membrane %v alone, %v in the batch", pr.Neurons[li].Layer, ti, j, got, want)
				}
			}
		}
	}

	// The evaluation: per-neuron rates average to the layer's rate, and
	// the confusion matrix counts every test sample.
	ev := pr.Eval
	if ev.Samples != 80 || len(ev.Rates) != 1 || ev.Rates[0].Layer != "lif1" || len(ev.Rates[0].Neurons) != 16 {
		t.Fatalf("evaluation: %d samples, rates %+v; want 80 and lif1 with 16 neurons", ev.Samples, ev.Rates)
	}
	var mean float64
	for _, r := range ev.Rates[0].Neurons {
		if r < 0 || r > 1 {
			t.Errorf("neuron rate %v outside [0, 1]", r)
		}
		mean += r / 16
	}
	// Both are sums of the same spikes divided differently: equal to
	// float64 rounding.
	if math.Abs(mean-ev.Rates[0].Rate) > 1e-12 {
		t.Errorf("mean of neuron rates %v, layer rate %v", mean, ev.Rates[0].Rate)
	}
	total := 0
	for _, row := range ev.Confusion {
		for _, c := range row {
			total += c
		}
	}
	if total != 80 {
		t.Errorf("confusion matrix counts %d samples, want 80", total)
	}

	if _, err := Probe(context.Background(), dir, 80, nil); err == nil || !strings.Contains(err.Error(), "sample 80 outside") {
		t.Errorf("sample 80 of 80: %v", err)
	}
	if _, err := Probe(context.Background(), t.TempDir(), 0, nil); err == nil || !strings.Contains(err.Error(), rundir.ConfigFile) {
		t.Errorf("empty directory: %v", err)
	}
}
