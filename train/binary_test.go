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

