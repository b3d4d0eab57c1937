package train

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
)

// tutorialConfig is the snnTorch tutorial-5 recipe (examples/*-tutorial.yaml).
func tutorialConfig() Config {
	c := DefaultConfig()
	c.Data.Dataset, c.Data.Encoding, c.Data.Steps = "mnist", "direct", 25
	c.Model = ModelConfig{Hidden: []int{1000}, Neuron: "lif", Readout: "lif", Beta: 0.95, Alpha: 0.9, Threshold: 1,
		Reset: "subtract", Surrogate: "fast_sigmoid", SurrogateParams: map[string]float64{"slope": 25}, Init: "pytorch", Bias: true}
	c.Train.LR, c.Train.Loss, c.Train.Predict, c.Train.DropLast = 5e-4, "membrane_ce", "spike_count", true
	return c
}

// BenchmarkTutorialStep measures one training step (forward, backward, Adam)
// of the snnTorch tutorial recipe, 784-1000-10 LIF with batch 128, on
// synthetic images, for T = 25 and 100 and one and two threads, after the
// warm-up steps: B/op and allocs/op are those of the steady state.
func BenchmarkTutorialStep(b *testing.B) {
	for _, T := range []int{25, 100} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("T=%d/threads=%d", T, threads), func(b *testing.B) {
				defer autograd.SetThreads(autograd.SetThreads(threads))
				cfg := tutorialConfig()
				cfg.Data.Steps = T
				f, batch := warmTutorial(b, cfg)
				b.ReportAllocs()
				cpu0 := processCPU()
				for b.Loop() {
					if _, _, err := f.trainStep(batch); err != nil {
						b.Fatal(err)
					}
				}
				// CPU time of the whole process per step: on a machine shared with
				// other jobs, the wall time of one thread includes waits for a core,
				// its CPU time does not.
				b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/step")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/step")
				b.ReportMetric(128*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}

var _ = context.Background

// BenchmarkTutorialBPTT measures a training step of the tutorial recipe
// (784-1000-10 LIF, batch 128, constant input) with full BPTT and with
// gradient checkpointing over time in windows of ⌈√T⌉ steps
// (train.bptt checkpoint), side by side, for T = 100, 500 and 2000. The
// peak memory of each is measured one process per run
// (spikegrad bench --data.steps T --train.bptt MODE: its train RSS).
func BenchmarkTutorialBPTT(b *testing.B) {
	for _, T := range []int{100, 500, 2000} {
		for _, mode := range []string{"full", "checkpoint"} {
			b.Run(fmt.Sprintf("T=%d/%s", T, mode), func(b *testing.B) {
				cfg := tutorialConfig()
				cfg.Data.Steps, cfg.Train.BPTT = T, mode
				f, batch := warmTutorial(b, cfg)
				for b.Loop() {
					if _, _, err := f.trainStep(batch); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// warmTutorial builds the training loop of cfg on synthetic data, fills a
// batch of 128 samples and runs the warm-up steps (warmUp) on it.
func warmTutorial(tb testing.TB, cfg Config) (*fitter, *datasets.Batch) {
	data, err := syntheticData(cfg, 128)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := benchFitter(&cfg, data)
	if err != nil {
		tb.Fatal(err)
	}
	b := datasets.NewBatch(1, 128, 784)
	idx := make([]int, 128)
	for i := range idx {
		idx[i] = i
	}
	if err := data.Train.Fill(b, idx); err != nil {
		tb.Fatal(err)
	}
	if err := warmUp(f, b); err != nil {
		tb.Fatal(err)
	}
	return f, b
}

// warmUp runs the training steps that size the tape's arena and pools and
// the kernels' buffers, so that the steps after it measure the steady state:
// one with every product dense (the kernels that a spike product takes once
// its operand's activity rises above the tape's event threshold, in the
// tutorial after about a dozen steps) and one with the tape's threshold.
func warmUp(f *fitter, b *datasets.Batch) error {
	threshold := f.tape.SetEventActivity(0)
	_, _, err := f.trainStep(b)
	f.tape.SetEventActivity(threshold)
	if err != nil {
		return err
	}
	_, _, err = f.trainStep(b)
	return err
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
