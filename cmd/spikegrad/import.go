package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/nir"
)

const importUsage = `Usage: spikegrad import FILE.nir --dt SECONDS --steps T [--encoding E] [--gain G]
                        [--readout R] [--dataset D] [--out FILE] [--force]

Converts a NIR graph (from snnTorch, Norse, Rockpool, Sinabs, Lava, or
spikegrad export --format nir) into an inference model file, which
spikegrad infer then runs. NIR's continuous-time neurons become discrete ones
with time steps --dt seconds apart (package nir: beta = 1 - dt/tau, the input
gain folded into the weights before each neuron layer). The graph must be a
chain of Affine/Linear, Conv2d/Conv1d, SumPool2d/AvgPool2d, Flatten and
LIF/IF/LI/I/CubaLIF nodes, where a LIF or CubaLIF node may feed back into
itself through a Linear/Affine node (a recurrent rlif or rsynaptic layer);
any other node is refused by name.

A NIR graph does not say how a sample becomes input spikes, how many steps a
sample lasts or how the output gives a class: the options do.

  --dt S          the time step, in seconds, one model step stands for (required)
  --steps T       time steps per sample (required)
  --encoding E    direct (default: the input value every step), rate (Bernoulli
                  spikes of probability gain·x), latency (one spike per feature,
                  earlier for larger values) or spikes (the data are spike trains)
  --gain G        rate: spike probability per step per unit of input (default 1)
  --readout R     spike_count, membrane_sum or membrane_max (default: spike_count
                  for a spiking last layer, membrane_max for a leaky integrator)
  --dataset D     the dataset the model is for, e.g. mnist: spikegrad infer's
                  default --data (default: none)
  --out FILE      where to write it (default FILE with the extension .sgi)
  --force         replace an existing FILE that differs (an identical one is
                  left as it is)

Fine-tuning from a NIR file is training with the config keys model.from
(the .nir file) and model.dt: spikegrad train --model.from FILE.nir --model.dt S.
`

// importArgs is the parsed command line of import.
type importArgs struct {
	file, out, encoding, readout, dataset string
	dt, gain                              float64
	steps                                 int
	force                                 bool
}

func parseImport(args []string, stdout io.Writer) (*importArgs, error) {
	ia := &importArgs{encoding: infer.EncodingDirect, gain: 1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if ia.file != "" {
				return nil, &usageError{fmt.Sprintf("import: one NIR file expected, got %q and %q", ia.file, a)}
			}
			ia.file = a
			continue
		}
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch key {
		case "h", "help":
			fmt.Fprint(stdout, importUsage)
			return nil, errUsageShown
		case "force":
			ia.force = true
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return nil, &usageError{fmt.Sprintf("import: --force=%q: must be true or false", val)}
				}
				ia.force = b
			}
			continue
		case "dt", "steps", "encoding", "gain", "readout", "dataset", "out":
		default:
			return nil, &usageError{fmt.Sprintf("import: unknown option %q\n%s", a, importUsage)}
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, &usageError{fmt.Sprintf("import: --%s needs a value", key)}
			}
			i++
			val = args[i]
		}
		switch key {
		case "dt", "gain":
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || key == "dt" && v == 0 {
				return nil, &usageError{fmt.Sprintf("import: --%s %q: must be a finite number > 0", key, val)}
			}
			if key == "dt" {
				ia.dt = v
			} else {
				ia.gain = v
			}
		case "steps":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return nil, &usageError{fmt.Sprintf("import: --steps %q: must be a whole number > 0", val)}
			}
			ia.steps = n
		case "encoding":
			if !slices.Contains([]string{infer.EncodingDirect, infer.EncodingRate, infer.EncodingLatency, infer.EncodingSpikes}, val) {
				return nil, &usageError{fmt.Sprintf("import: --encoding %q: must be direct, rate, latency or spikes", val)}
			}
			ia.encoding = val
		case "readout":
			if !slices.Contains(infer.Readouts(), val) {
				return nil, &usageError{fmt.Sprintf("import: --readout %q: must be one of %s", val, strings.Join(infer.Readouts(), ", "))}
			}
			ia.readout = val
		case "dataset":
			ia.dataset = val
		case "out":
			ia.out = val
		}
	}
	switch {
	case ia.file == "":
		return nil, &usageError{"import: usage: spikegrad import FILE.nir --dt SECONDS --steps T [--encoding E] [--readout R] [--out FILE]"}
	case ia.dt == 0:
		return nil, &usageError{"import: --dt SECONDS is required: the time step one model step stands for (e.g. --dt 1e-3)"}
	case ia.steps == 0:
		return nil, &usageError{"import: --steps T is required: the time steps of one sample"}
	}
	if ia.out == "" {
		ia.out = strings.TrimSuffix(ia.file, filepath.Ext(ia.file)) + ".sgi"
	}
	return ia, nil
}

func cmdImport(args []string, stdout, stderr io.Writer) error {
	ia, err := parseImport(args, stdout)
	if err != nil {
		return err
	}
	m, err := importNIR(ia)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	b, err := infer.Marshal(m)
	if err != nil {
		return fmt.Errorf("import: %s: %w", ia.file, err)
	}
	if err := writeOutput("import", ia.out, b, ia.force, ia.file, stdout); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d inputs, %d classes, %d steps of %g s, encoding %s, read-out %s\n",
		m.Inputs(), m.Classes(), m.Steps, ia.dt, m.Encoding.Name, m.Readout)
	return nil
}

// importNIR returns the inference model of the NIR file of ia.
func importNIR(ia *importArgs) (*infer.Model, error) {
	g, err := nir.Read(ia.file)
	if err != nil {
		return nil, err
	}
	arch, weights, err := nir.ToModel(g, ia.dt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ia.file, err)
	}
	m := &infer.Model{Arch: arch, Weights: weights, Steps: ia.steps, Readout: ia.readout, Dataset: ia.dataset,
		Encoding: infer.Encoding{Name: ia.encoding}}
	switch ia.encoding {
	case infer.EncodingRate:
		m.Encoding.Gain = ia.gain
	case infer.EncodingLatency:
		// The latency encoder of the training data (as export writes it).
		m.Encoding.Latency = &infer.Latency{Normalize: true, Clip: true}
	}
	if m.Readout == "" {
		m.Readout = infer.ReadoutSpikeCount
		if last := arch.Layers[len(arch.Layers)-1]; last.Kind == model.KindLI {
			m.Readout = infer.ReadoutMembraneMax
		}
	}
	return m, nil
}
