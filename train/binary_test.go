package train

import (
	"context"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/datasets"
)

// valueSet is a sequence dataset that fills every value with x and declares
// its values binary or not (decl), or nothing (decl nil).
type valueSet struct {
	x    float32
	decl *bool
}

func (valueSet) Len() int                     { return 4 }
func (valueSet) Shape() (steps, features int) { return 3, 5 }
func (s valueSet) Fill(b *datasets.Batch, idx []int) error {
	for i := range b.X {
		b.X[i] = s.x
	}
	for r := range idx {
		b.Labels[r] = 0
	}
	return nil
}

// declaredSet is a valueSet that declares its values.
type declaredSet struct{ valueSet }

func (s declaredSet) BinaryInputs() bool { return *s.decl }

// TestInputMarking checks that a batch is marked binary exactly when the
// inputs are spikes: always for a dataset that declares them spikes (Randman,
// rate coding), never for one that declares them not (images, direct
// input, a dataset declaring false whatever its values), and by the values
// of each batch for a dataset that declares nothing. Fit's loop, Evaluate
// and Bench take the mark from inputMarkOf of the set they read.
func TestInputMarking(t *testing.T) {
	yes, no := true, false
	rm, err := LoadData(context.Background(), tinyConfig().Data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ds   datasets.Dataset
		want bool
	}{
		{"randman", rm.Train, true},
		{"declared binary", declaredSet{valueSet{1, &yes}}, true},
		{"declared not binary, values 0 and 1", declaredSet{valueSet{1, &no}}, false},
		{"undeclared, values 0 and 1", valueSet{x: 1}, true},
		{"undeclared, zeros", valueSet{x: 0}, true},
		{"undeclared, values 0.5", valueSet{x: 0.5}, false},
	} {
		steps, features := c.ds.Shape()
		b := datasets.NewBatch(steps, 2, features)
		if err := c.ds.Fill(b, []int{0, 1}); err != nil {
			t.Fatal(err)
		}
		tp := autograd.NewTape()
		if got := batchInput(tp, b, inputMarkOf(c.ds)).Binary(); got != c.want {
			t.Errorf("%s: input marked binary %v, want %v", c.name, got, c.want)
		}
	}
	// The loop takes its mark from the training set.
	f, err := benchFitter(ptr(tinyConfig()), rm)
	if err != nil {
		t.Fatal(err)
	}
	if f.mark != markBinary {
		t.Errorf("Randman training set: the loop's mark is %d, want markBinary", f.mark)
	}
}

func ptr[T any](v T) *T { return &v }

// TestSyntheticData checks the bench's synthetic spikes: a sample is the
// same wherever and whenever it is filled (drawn from its index), labels lie
// in range, and the fraction of ones is the rate: over 4·10^5 values at
// 0.05 the standard deviation of the fraction is sqrt(0.05·0.95/4e5) =
// 3.4e-4, so 0.05 ± 0.002 (6 deviations) fails with probability < 1e-8.
// The set declares itself binary; uniform inputs are not.
func TestSyntheticData(t *testing.T) {
	cfg := tinyConfig()
	cfg.Data.RandmanUnits, cfg.Data.RandmanSteps = 400, 100
	d, err := syntheticData(cfg, 10)
	if err != nil {
		t.Fatal(err)
	}
	ds := d.Test
	if binary, declared := datasets.BinaryInputs(ds); !binary || !declared {
		t.Fatalf("synthetic spikes: BinaryInputs = %v, %v", binary, declared)
	}
	b1 := datasets.NewBatch(100, 3, 400)
	b2 := datasets.NewBatch(100, 2, 400)
	if err := ds.Fill(b1, []int{4, 7, 9}); err != nil {
		t.Fatal(err)
	}
	if err := ds.Fill(b2, []int{7, 4}); err != nil {
		t.Fatal(err)
	}
	ones := 0
	for s := range 100 {
		for f := range 400 {
			a4, a7 := b1.X[(s*3+0)*400+f], b1.X[(s*3+1)*400+f]
			if a4 != b2.X[(s*2+1)*400+f] || a7 != b2.X[(s*2+0)*400+f] {
				t.Fatalf("step %d feature %d: a sample differs between two fills", s, f)
			}
			if a4 != 0 && a4 != 1 {
				t.Fatalf("value %v", a4)
			}
			ones += int(a4 + a7 + b1.X[(s*3+2)*400+f])
		}
	}
	if r := float64(ones) / (3 * 100 * 400); r < 0.048 || r > 0.052 {
		t.Errorf("fraction of ones %v, want 0.05 ± 0.002", r)
	}
	if b1.Labels[0] != b2.Labels[1] || b1.Labels[1] != b2.Labels[0] {
		t.Errorf("labels differ between fills: %v %v", b1.Labels, b2.Labels)
	}
	for _, l := range b1.Labels {
		if l < 0 || l >= d.Classes {
			t.Errorf("label %d outside [0, %d)", l, d.Classes)
		}
	}
	if err := ds.Fill(b1, []int{0, 1, 10}); err == nil {
		t.Error("index 10 of 10 samples: no error")
	}
	dense := DefaultConfig()
	dense.Data.Dataset, dense.Data.Encoding = "mnist", "direct"
	dd, err := syntheticData(dense, 10)
	if err != nil {
		t.Fatal(err)
	}
	if binary, declared := datasets.BinaryInputs(dd.Test); binary || !declared {
		t.Errorf("synthetic uniform inputs: BinaryInputs = %v, %v", binary, declared)
	}
}
