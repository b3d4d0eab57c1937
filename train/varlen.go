package train

import (
	"fmt"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/layers"
)

// paddingChecker is a Network that can say whether the padding of a batch
// of variable-length sequences would reach its valid steps in its current
// mode (layers.Sequential.CheckPadding).
type paddingChecker interface {
	CheckPadding() error
}

// checkPadded returns nil for a batch without padding, and otherwise an
// error unless net (in its current mode) and obj keep the padding away from
// the valid steps: net a paddingChecker that agrees, obj a LengthsReader.
func checkPadded(net Network, obj Objective, b *datasets.Batch) error {
	if !b.Padded() {
		return nil
	}
	if _, ok := obj.(LengthsReader); !ok {
		return fmt.Errorf("a batch of variable-length sequences (padded to %d steps) needs an objective that counts only the valid steps (a LengthsReader); %T is not one", b.Steps, obj)
	}
	c, ok := net.(paddingChecker)
	if !ok {
		return fmt.Errorf("a batch of variable-length sequences (padded to %d steps) needs a network that can say the padding stays out of the valid steps (a CheckPadding method); %T has none", b.Steps, net)
	}
	if err := c.CheckPadding(); err != nil {
		return fmt.Errorf("a batch of variable-length sequences (padded to %d steps): %w", b.Steps, err)
	}
	return nil
}

// withLengths records the batch's lengths in the trace of its forward pass
// for the objective (nil for a batch without padding).
func withLengths(tr *layers.Trace, b *datasets.Batch) {
	if b.Padded() {
		tr.Lengths = b.Lengths
	}
}
