package infer_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/internal/kernels"
	"github.com/spikegrad/spikegrad/layers"
)

// The benchmarks run the trained tutorial network (784-1000-10 LIF, T = 25,
// 50 training steps as in TestEqualityMNIST) over the 10000 MNIST test
// images on one thread, the training forward pass beside the engine in the
// same run, and report samples/s (or µs per step). Run them with
//
//	go test ./infer -run '^$' -bench . -benchtime 3x
type benchData struct {
	once   sync.Once
	net    *layers.Sequential
	eng    *infer.Engine // direct encoding
	x      []float32     // the test images, [10000, 784]
	labels []int
}

// bench is MNIST's, fashion Fashion-MNIST's (found where datasets.Resolve
// looks, e.g. Debian's dataset-fashion-mnist in /usr/share/datasets).
var bench, fashion benchData

const benchT, benchB = 25, 256

func benchSetup(b *testing.B) {
	bench.setup(b, "mnist", mnistDir)
}

func (bench *benchData) setup(b *testing.B, name string, find func(testing.TB) string) {
	bench.once.Do(func() {
		dir := find(b)
		bench.net = tutorialNetOn(b, name, dir, 50)
		test, err := datasets.Load(name, datasets.Test, datasets.ResolveOptions{Dir: dir, Offline: true}, datasets.ImageOptions{})
		if err != nil {
			b.Fatal(err)
		}
		n := test.Len()
		batch := datasets.NewBatch(1, n, 784)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		if err := test.Fill(batch, idx); err != nil {
			b.Fatal(err)
		}
		bench.x, bench.labels = batch.X[:n*784], batch.Labels[:n]
		if bench.eng, err = infer.New(export(bench.net, benchT, infer.Encoding{Name: infer.EncodingDirect}, infer.ReadoutSpikeCount)); err != nil {
			b.Fatal(err)
		}
	})
	if bench.net == nil {
		b.Skip("setup failed")
	}
}

// oneThread runs the kernels on one goroutine until the benchmark ends.
func oneThread(b *testing.B) {
	old := kernels.SetThreads(1)
	b.Cleanup(func() { kernels.SetThreads(old) })
}

// BenchmarkTutorial: the direct-encoded test set in batches of 32 and 256:
// the engine's Forward against the training forward (Sequential.Forward on
// a tape, without its read-out).
func BenchmarkTutorial(b *testing.B) {
	benchSetup(b)
	oneThread(b)
	n := len(bench.labels)
	for _, bs := range []int{32, 256} {
		b.Run(fmt.Sprintf("B=%d/engine", bs), func(b *testing.B) {
			e := bench.eng
			var s *infer.State
			preds := make([]int, bs)
			for range b.N {
				for start := 0; start < n; start += bs {
					B := min(bs, n-start)
					if s == nil || s.B != B {
						s = e.NewState(B)
					}
					if err := e.Forward(s, bench.x[start*784:(start+B)*784], benchT, true, false, preds[:B], nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
		b.Run(fmt.Sprintf("B=%d/training-forward", bs), func(b *testing.B) {
			tape := autograd.NewTape()
			for range b.N {
				for start := 0; start < n; start += bs {
					B := min(bs, n-start)
					tape.Reset()
					forwardRef(tape, bench.net, bench.x[start*784:(start+B)*784], true, false, benchT, B, 784)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkTutorialFashion is BenchmarkTutorial's batch of 256 on the
// Fashion-MNIST test set, with the tutorial network trained 50 steps on
// Fashion-MNIST; it skips when the files are not found.
func BenchmarkTutorialFashion(b *testing.B) {
	fashion.setup(b, "fashion-mnist", func(tb testing.TB) string {
		if _, err := datasets.Resolve("fashion-mnist", datasets.ResolveOptions{Offline: true}); err != nil {
			tb.Skipf("Fashion-MNIST not found: %v", err)
		}
		return ""
	})
	oneThread(b)
	n := len(fashion.labels)
	b.Run("engine", func(b *testing.B) {
		s := fashion.eng.NewState(benchB)
		preds := make([]int, benchB)
		correct := 0
		for range b.N {
			correct = 0
			for start := 0; start+benchB <= n; start += benchB {
				if err := fashion.eng.Forward(s, fashion.x[start*784:(start+benchB)*784], benchT, true, false, preds, nil); err != nil {
					b.Fatal(err)
				}
				for i, p := range preds {
					if p == fashion.labels[start+i] {
						correct++
					}
				}
			}
		}
		m := n / benchB * benchB
		b.ReportMetric(float64(m*b.N)/b.Elapsed().Seconds(), "samples/s")
		b.ReportMetric(float64(correct)/float64(m), "accuracy")
	})
	b.Run("training-forward", func(b *testing.B) {
		tape := autograd.NewTape()
		for range b.N {
			for start := 0; start+benchB <= n; start += benchB {
				tape.Reset()
				forwardRef(tape, fashion.net, fashion.x[start*784:(start+benchB)*784], true, false, benchT, benchB, 784)
			}
		}
		b.ReportMetric(float64(n/benchB*benchB*b.N)/b.Elapsed().Seconds(), "samples/s")
	})
}

// rateInput returns the first n test images rate-coded over benchT steps
// with the gain that makes 5 % of the inputs spike per step on average
// ([T, n, 784]), and the activity measured.
func rateInput(n int) ([]float32, float64) {
	var mean float64
	for _, v := range bench.x[:n*784] {
		mean += float64(v)
	}
	mean /= float64(n * 784)
	x := make([]float32, benchT*n*784)
	datasets.RateEncoder{Gain: float32(0.05 / mean)}.Encode(x, bench.x[:n*784], benchT, n, 784, rand.New(rand.NewPCG(1, 2)))
	var ones float64
	for _, v := range x {
		ones += float64(v)
	}
	return x, ones / float64(len(x))
}

// BenchmarkRate5: a rate-coded input at 5 % activity (spikes in, the
// tutorial network's weights), 2560 test images in batches of 256: the
// engine's event-driven products against the dense forward of the same
// model (the training forward with its event-driven products disabled),
// and the training forward as it runs by default.
func BenchmarkRate5(b *testing.B) {
	benchSetup(b)
	oneThread(b)
	const n = 2560
	x, act := rateInput(n)
	e, err := infer.New(export(bench.net, benchT, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutSpikeCount))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("input activity %.4f", act)
	run := func(b *testing.B, step func(xb []float32)) { runBatches(b, x, n, step) }
	s := e.NewState(benchB)
	preds := make([]int, benchB)
	b.Run("engine", func(b *testing.B) {
		run(b, func(xb []float32) {
			if err := e.Forward(s, xb, benchT, false, true, preds, nil); err != nil {
				b.Fatal(err)
			}
		})
	})
	for _, c := range []struct {
		name     string
		activity float64
	}{{"dense-forward", 0}, {"training-forward", autograd.DefaultEventActivity}} {
		b.Run(c.name, func(b *testing.B) {
			tape := autograd.NewTape()
			tape.SetEventActivity(c.activity)
			run(b, func(xb []float32) {
				tape.Reset()
				forwardRef(tape, bench.net, xb, false, true, benchT, benchB, 784)
			})
		})
	}
}

// runBatches calls step on the batches of benchB samples of the sequence x
// [T, n, 784], b.N times over, and reports the samples per second.
func runBatches(b *testing.B, x []float32, n int, step func(xb []float32)) {
	for range b.N {
		for start := 0; start < n; start += benchB {
			step(batchOf(x, start, benchB, n))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

var batchBuf []float32

// batchOf copies the samples [start, start+B) of the sequence x [T, n, 784]
// into a [T, B, 784] buffer.
func batchOf(x []float32, start, B, n int) []float32 {
	if len(batchBuf) != benchT*B*784 {
		batchBuf = make([]float32, benchT*B*784)
	}
	for t := range benchT {
		copy(batchBuf[t*B*784:(t+1)*B*784], x[(t*n+start)*784:(t*n+start+B)*784])
	}
	return batchBuf
}

// BenchmarkStep: the streaming Step at batch 1, per time step: the
// rate-coded input at 5 % activity as events, and the image as analog
// input.
func BenchmarkStep(b *testing.B) {
	benchSetup(b)
	oneThread(b)
	const n = 100
	x, _ := rateInput(n)
	s := bench.eng.NewState(1)
	b.Run("events", func(b *testing.B) {
		evs := make([][]int, benchT*n)
		for t := range benchT {
			for i := range n {
				for f := range 784 {
					if x[(t*n+i)*784+f] != 0 {
						evs[t*n+i] = append(evs[t*n+i], f)
					}
				}
			}
		}
		k := 0
		for range b.N {
			t, i := k%benchT, (k/benchT)%n
			if t == 0 {
				s.Reset(bench.eng)
			}
			if _, err := bench.eng.Step(s, infer.Input{Events: evs[t*n+i]}); err != nil {
				b.Fatal(err)
			}
			k++
		}
		b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/step")
	})
	// analog-static presents each image at its 25 steps (one projection
	// per image); analog-changing presents another image at every step (a
	// projection per step).
	for _, c := range []struct {
		name   string
		change bool
	}{{"analog-static", false}, {"analog-changing", true}} {
		b.Run(c.name, func(b *testing.B) {
			k := 0
			for range b.N {
				t, i := k%benchT, (k/benchT)%n
				if c.change {
					i = k % n
				}
				if t == 0 {
					s.Reset(bench.eng)
				}
				if _, err := bench.eng.Step(s, infer.Input{Analog: bench.x[i*784 : (i+1)*784]}); err != nil {
					b.Fatal(err)
				}
				k++
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/step")
		})
	}
}

// convBenchNet is mnistConvNet with its initial weights scaled by 3 so
// that the hidden layers spike.
func convBenchNet() *layers.Sequential {
	return scale(mnistConvNet(rand.New(rand.NewPCG(3, 4))), 3, "conv1.weight", "conv2.weight")
}

// BenchmarkConv: convBenchNet on 512 test images rate-coded at 5 %
// activity, in batches of 256, one thread: the engine (event-driven
// convolutions on the spikes) against the training forward (im2col and
// SGEMM over all steps at once). It logs the engine's SynOps per sample
// against the dense forward's products.
func BenchmarkConv(b *testing.B) {
	benchSetup(b)
	oneThread(b)
	const n = 512
	x, act := rateInput(n)
	net := convBenchNet()
	e, err := infer.New(export(net, benchT, infer.Encoding{Name: infer.EncodingSpikes}, infer.ReadoutMembraneSum))
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, step func(xb []float32)) { runBatches(b, x, n, step) }
	s := e.NewState(benchB)
	preds := make([]int, benchB)
	b.Run("engine", func(b *testing.B) {
		run(b, func(xb []float32) {
			if err := e.Forward(s, xb, benchT, false, true, preds, nil); err != nil {
				b.Fatal(err)
			}
		})
		st := e.Stats(s)
		tot := st.Totals()
		b.Logf("input activity %.4f; per sample: %.0f SynOps, %.0f dense products; lif1 rate %.4f, lif2 rate %.4f",
			act, tot.SynOps, tot.DenseOps, st.Layers[1].Rate, st.Layers[4].Rate)
	})
	b.Run("training-forward", func(b *testing.B) {
		tape := autograd.NewTape()
		run(b, func(xb []float32) {
			tape.Reset()
			forwardRef(tape, net, xb, false, true, benchT, benchB, 784)
		})
	})
}
