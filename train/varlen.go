package train

import (
	"fmt"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
)

// lengthsSetter is a Network that can be told the valid steps of each
// sample of a padded batch of variable-length sequences
// (layers.Sequential.SetLengths).
type lengthsSetter interface {
	SetLengths(lengths []int) error
}

// usePadding prepares net for the batch b: for a padded batch it requires
// that obj is a LengthsReader and net a lengthsSetter that accepts the
// batch's lengths, and gives them to it (clearLengths takes them back). A
// batch without padding needs nothing.
func usePadding(net Network, obj Objective, b *datasets.Batch) error {
	if !b.Padded() {
		return nil
	}
	if _, ok := obj.(LengthsReader); !ok {
		return fmt.Errorf("a batch of variable-length sequences (padded to %d steps) needs an objective that counts only the valid steps (a LengthsReader); %T is not one", b.Steps, obj)
	}
	ls, ok := net.(lengthsSetter)
	if !ok {
		return fmt.Errorf("a batch of variable-length sequences (padded to %d steps) needs a network that takes the lengths (a SetLengths method, as layers.Sequential); %T has none", b.Steps, net)
	}
	if err := ls.SetLengths(b.Lengths); err != nil {
		return fmt.Errorf("a batch of variable-length sequences (padded to %d steps): %w", b.Steps, err)
	}
	return nil
}

// clearLengths tells net that batches are not padded (SetLengths(nil)).
func clearLengths(net Network) {
	if ls, ok := net.(lengthsSetter); ok {
		ls.SetLengths(nil)
	}
}

// withLengths records the batch's lengths in the trace of its forward pass
// for the objective (nil for a batch without padding).
func withLengths(tr *layers.Trace, b *datasets.Batch) {
	if b.Padded() {
		tr.Lengths = b.Lengths
	}
}
