package datasets

// Binary is implemented by a dataset that declares whether its inputs are
// spikes: BinaryInputs reports true only if every value that Fill writes is
// 0 or 1. A training loop marks the batches of such a dataset binary, so
// that the first layer's product runs event-driven (a sum of the weight rows
// of the active inputs instead of a dense product). A dataset that reports
// true and writes another value gets wrong results from that product, so
// report true only when it holds for every sample.
type Binary interface {
	BinaryInputs() bool
}

// BinaryEncoder is implemented by a StaticEncoder that declares whether the
// sequences it writes are spikes (every value 0 or 1).
type BinaryEncoder interface {
	BinaryOutputs() bool
}

// BinaryInputs returns what ds declares about its values: binary is true
// when every value that ds's Fill writes is 0 or 1, and declared is false
// when ds makes no declaration (it implements neither Binary nor is one of
// this package's wrappers over a dataset or encoder that does), in which
// case a caller that wants to know must look at the values.
//
// Randman's spikes and the sequences of RateEncoder and LatencyEncoder are
// binary; image sets and DirectEncoder's sequences are declared not binary.
// A Subset declares what its Base declares; an Encoded dataset what its
// encoder declares.
func BinaryInputs(ds Dataset) (binary, declared bool) {
	switch d := ds.(type) {
	case *Subset:
		return BinaryInputs(d.Base)
	case *encoded:
		if e, ok := d.enc.(BinaryEncoder); ok {
			return e.BinaryOutputs(), true
		}
		return false, false
	case Binary:
		return d.BinaryInputs(), true
	}
	return false, false
}

// AllBinary reports whether every value of x is 0 or 1. It stops at the
// first other value, so data that are not spikes cost little to refuse.
func AllBinary(x []float32) bool {
	for _, v := range x {
		if v != 0 && v != 1 {
			return false
		}
	}
	return true
}

// BinaryInputs reports true: Randman's samples are spikes.
func (r *Randman) BinaryInputs() bool { return true }

// BinaryInputs reports false: an image's values are scaled pixels.
func (s *ImageSet) BinaryInputs() bool { return false }

// BinaryOutputs reports true: rate coding writes spikes.
func (RateEncoder) BinaryOutputs() bool { return true }

// BinaryOutputs reports true: latency coding writes spikes.
func (LatencyEncoder) BinaryOutputs() bool { return true }

// BinaryOutputs reports false: direct encoding repeats the input values.
func (DirectEncoder) BinaryOutputs() bool { return false }
