package datasets

import (
	"math"
	"math/rand/v2"
	"testing"
)

// plainSet is a dataset that declares nothing about its values.
type plainSet struct{ x float32 }

func (plainSet) Len() int                     { return 2 }
func (plainSet) Shape() (steps, features int) { return 3, 4 }
func (p plainSet) Fill(b *Batch, idx []int) error {
	for i := range b.X {
		b.X[i] = p.x
	}
	return nil
}

// customEncoder is a StaticEncoder that declares nothing.
type customEncoder struct{}

func (customEncoder) Encode(dst, x []float32, steps, batch, features int, _ *rand.Rand) {}

// TestBinaryInputs checks every declaration: Randman and the spike encoders
// are binary, images and direct encoding are not, wrappers pass on what they
// wrap, and a dataset or encoder that says nothing is undeclared. Each
// declared-binary set is filled and its values checked with AllBinary, so a
// declaration that a set breaks fails here.
func TestBinaryInputs(t *testing.T) {
	rm, err := NewRandman(smallRandman(), rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	dims, pixels, labels := fixtureImages()
	img, err := NewImageSet(&IDX{Dims: dims, Data: pixels}, &IDX{Dims: []int{3}, Data: labels}, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	enc := func(e StaticEncoder) Dataset {
		d, err := Encoded(img, 5, e)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		name             string
		ds               Dataset
		binary, declared bool
	}{
		{"randman", rm, true, true},
		{"subset of randman", &Subset{Base: rm, Index: []int{2, 0}}, true, true},
		{"images", img, false, true},
		{"subset of images", &Subset{Base: img, Index: []int{1}}, false, true},
		{"rate", enc(RateEncoder{}), true, true},
		{"latency", enc(LatencyEncoder{Normalize: true}), true, true},
		{"direct", enc(DirectEncoder{}), false, true},
		{"custom encoder", enc(customEncoder{}), false, false},
		{"plain", plainSet{}, false, false},
		{"subset of plain", &Subset{Base: plainSet{}, Index: []int{0}}, false, false},
	} {
		binary, declared := BinaryInputs(c.ds)
		if binary != c.binary || declared != c.declared {
			t.Errorf("%s: BinaryInputs = %v, %v; want %v, %v", c.name, binary, declared, c.binary, c.declared)
		}
		if !binary {
			continue
		}
		steps, features := c.ds.Shape()
		b := NewBatch(steps, c.ds.Len(), features)
		b.Rand = rand.New(rand.NewPCG(2, 0))
		idx := make([]int, c.ds.Len())
		for i := range idx {
			idx[i] = i
		}
		if err := c.ds.Fill(b, idx); err != nil {
			t.Fatal(err)
		}
		if !AllBinary(b.X) {
			t.Errorf("%s: declared binary, but Fill wrote a value other than 0 and 1", c.name)
		}
	}
}

func TestAllBinary(t *testing.T) {
	for _, c := range []struct {
		x    []float32
		want bool
	}{
		{nil, true},
		{[]float32{0, 1, 1, 0}, true},
		{[]float32{0, 1, 2}, false},
		{[]float32{0.5}, false},
		{[]float32{1, -1}, false},
		{[]float32{0, float32(math.NaN())}, false},
	} {
		if got := AllBinary(c.x); got != c.want {
			t.Errorf("AllBinary(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}
