package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/nir"
	"github.com/spikegrad/spikegrad/safetensors"
	"github.com/spikegrad/spikegrad/train"
)

const exportUsage = `Usage: spikegrad export RUN_DIR [--format infer|nir] [--dt SECONDS] [--out FILE] [--force]

Writes the final model of a training run as one self-contained inference
model file (package infer): the architecture, the weights and neuron
parameters, the time steps, the input encoding and the read-out of the run's
config, in one safetensors file. With --format nir it writes the network as
a NIR graph (HDF5) for neuromorphic hardware and other frameworks instead
(package nir), with the continuous-time parameters of time steps --dt
seconds apart.

  --format F   infer (default) or nir
  --dt S       nir: the time step, in seconds, one model step stands for
               (required: NIR's time constants are tau = dt/(1 - beta))
  --out FILE   where to write it (default RUN_DIR/model.sgi, or
               RUN_DIR/model.nir)
  --force      replace an existing FILE that differs (an identical one is
               left as it is)
`

// exportArgs is the parsed command line of export.
type exportArgs struct {
	dir, out, format string
	dt               float64
	force            bool
}

func parseExport(args []string, stdout io.Writer) (*exportArgs, error) {
	ea := &exportArgs{format: "infer"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if ea.dir != "" {
				return nil, &usageError{fmt.Sprintf("export: one run directory expected, got %q and %q", ea.dir, a)}
			}
			ea.dir = a
			continue
		}
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch key {
		case "h", "help":
			fmt.Fprint(stdout, exportUsage)
			return nil, errUsageShown
		case "force":
			ea.force = true
			if hasVal {
				b, err := strconv.ParseBool(val)
				if err != nil {
					return nil, &usageError{fmt.Sprintf("export: --force=%q: must be true or false", val)}
				}
				ea.force = b
			}
		case "out", "format", "dt":
			if !hasVal {
				if i+1 >= len(args) {
					return nil, &usageError{fmt.Sprintf("export: --%s needs a value", key)}
				}
				i++
				val = args[i]
			}
			switch key {
			case "out":
				ea.out = val
			case "format":
				if val != "infer" && val != "nir" {
					return nil, &usageError{fmt.Sprintf("export: --format %q: must be infer or nir", val)}
				}
				ea.format = val
			default:
				dt, err := strconv.ParseFloat(val, 64)
				if err != nil || !(dt > 0) || math.IsInf(dt, 0) {
					return nil, &usageError{fmt.Sprintf("export: --dt %q: must be a time step in seconds, finite and > 0", val)}
				}
				ea.dt = dt
			}
		default:
			return nil, &usageError{fmt.Sprintf("export: unknown option %q\n%s", a, exportUsage)}
		}
	}
	if ea.dir == "" {
		return nil, &usageError{"export: usage: spikegrad export RUN_DIR [--out FILE] [--force]"}
	}
	switch {
	case ea.format == "nir" && ea.dt == 0:
		return nil, &usageError{"export: --format nir needs --dt SECONDS, the time step one model step stands for (e.g. --dt 1e-3)"}
	case ea.format != "nir" && ea.dt != 0:
		return nil, &usageError{"export: --dt is for --format nir"}
	}
	if ea.out == "" {
		ea.out = filepath.Join(ea.dir, "model.sgi")
		if ea.format == "nir" {
			ea.out = filepath.Join(ea.dir, "model.nir")
		}
	}
	return ea, nil
}

func cmdExport(args []string, stdout, stderr io.Writer) error {
	ea, err := parseExport(args, stdout)
	if err != nil {
		return err
	}
	m, err := exportRun(ea.dir)
	if err != nil {
		return err
	}
	var b []byte
	if ea.format == "nir" {
		b, err = nirBytes(m, ea.dt, ea.out)
	} else {
		b, err = infer.Marshal(m)
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return writeOutput("export", ea.out, b, ea.force, ea.dir, stdout)
}

// writeOutput writes b to out for the command cmd and prints out's name:
// an identical file is left as it is ("up to date"), a different one is
// replaced (atomically) only with force. src names what b was made from.
func writeOutput(cmd, out string, b []byte, force bool, src string, stdout io.Writer) error {
	old, err := os.ReadFile(out)
	switch {
	case err == nil && bytes.Equal(old, b):
		fmt.Fprintf(stdout, "%s is up to date\n", out)
		return nil
	case err == nil && !force:
		return fmt.Errorf("%s: %s exists and differs from the %s of %s; pass --force to replace it, or --out to write elsewhere", cmd, out, cmd, src)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if err := atomicfile.WriteBytes(out, b); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
}

// nirBytes returns the NIR file of m's network for time steps dt seconds
// apart. nir.Write writes files, so the graph is written to a temporary
// folder beside out and read back; out itself is replaced (atomically) only
// when it differs.
func nirBytes(m *infer.Model, dt float64, out string) ([]byte, error) {
	g, err := nir.FromModel(m.Arch, m.Weights, dt)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".export-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	p := filepath.Join(tmp, "model.nir")
	if err := nir.Write(p, g); err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// exportRun returns the inference model of a run directory: its final
// model and, from its config, the steps, encoding and read-out.
func exportRun(dir string) (*infer.Model, error) {
	cfg, net, err := train.LoadModel(dir)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m := &infer.Model{Arch: net.Model(), Steps: cfg.Data.Steps, Readout: cfg.Train.Predict, Dataset: cfg.Data.Dataset}
	for _, p := range net.Params() {
		m.Weights = append(m.Weights, safetensors.Tensor{Name: p.Name, Shape: p.Shape(), Data: p.Data})
	}
	switch {
	case cfg.Data.Dataset == "randman":
		m.Encoding, m.Steps = infer.Encoding{Name: infer.EncodingSpikes}, cfg.Data.RandmanSteps
	case cfg.Data.Dataset == "fsdd", cfg.Data.Dataset == "shd", cfg.Data.Dataset == "ssc":
		// Spike trains made by train.LoadData (audio_steps steps, or fewer
		// for samples of their own lengths).
		m.Encoding, m.Steps = infer.Encoding{Name: infer.EncodingSpikes}, cfg.Data.AudioSteps
	case cfg.Data.FrameBins > 0:
		// Event-camera frames: the dataset is the sequence itself.
		m.Encoding, m.Steps = infer.Encoding{Name: infer.EncodingSpikes}, cfg.Data.FrameBins
	case cfg.Data.FrameWindow > 0 || cfg.Data.FrameEvents > 0:
		return nil, fmt.Errorf("export: %s: the run's frames (data.frame_window, data.frame_events) give each sample its own number of steps; an exported model holds one", dir)
	case cfg.Data.Encoding == "rate":
		m.Encoding = infer.Encoding{Name: infer.EncodingRate, Gain: cfg.Data.Gain}
	case cfg.Data.Encoding == "latency":
		// The latency encoder of the training data (train.LoadData).
		m.Encoding = infer.Encoding{Name: infer.EncodingLatency, Latency: &infer.Latency{Normalize: true, Clip: true}}
	default:
		m.Encoding = infer.Encoding{Name: infer.EncodingDirect}
	}
	return m, nil
}
