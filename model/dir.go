package model

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/safetensors"
)

// The files of a model directory.
const (
	ArchFile    = "model.json"          // the architecture, as Marshal writes it
	WeightsFile = "weights.safetensors" // the parameters, named "<layer>.<param>"
)

// Save writes the model directory dir (made if missing): ArchFile, m as
// Marshal writes it, and WeightsFile, the weights as safetensors with the
// metadata {"format": Format}. Each file is written atomically (a temporary
// file renamed over it), so a crash leaves each either old or new. The
// weights are named "<layer>.<param>", as the parameters of package layers
// are; Save does not check them against m.
func Save(dir string, m *Model, weights []safetensors.Tensor) error {
	arch, err := Marshal(m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ArchFile), append(arch, '\n')); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return safetensors.Save(filepath.Join(dir, WeightsFile), weights, map[string]string{"format": Format})
}

// Load reads the model directory dir: the architecture of ArchFile (see
// Unmarshal; FormatV1 is read too) and the tensors of WeightsFile. Errors
// name the file.
func Load(dir string) (*Model, []safetensors.Tensor, error) {
	archPath := filepath.Join(dir, ArchFile)
	b, err := os.ReadFile(archPath)
	if err != nil {
		return nil, nil, fmt.Errorf("model: %w", err)
	}
	m, err := Unmarshal(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", archPath, err)
	}
	f, err := safetensors.Load(filepath.Join(dir, WeightsFile))
	if err != nil {
		return nil, nil, err
	}
	ts, err := f.Tensors()
	if err != nil {
		return nil, nil, err
	}
	return m, ts, nil
}
