package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spikegrad/spikegrad/datasets"
	"github.com/spikegrad/spikegrad/infer"
)

const inferUsage = `Usage: spikegrad infer MODEL [--data DATASET] [--data.dir DIR] [--limit N] [--batch N]
                       [--report DIR] [--profiles FILE]...
                       [--fixed [--weight-bits N] [--per-channel] [--membrane-bits N]
                        [--decay-bits N] [--input-bits N]]

Runs an exported model (spikegrad export) on the test set of a dataset with
the event-driven engine and prints the accuracy and, per layer and per
sample: spikes, firing rate, synaptic operations (SynOps: one spike
delivered over one synapse), dense multiply-accumulates (MACs, for analog
inputs), and the fraction of a dense forward's operations that were done.

  --data DATASET   mnist or fashion-mnist (default: the dataset the model was trained on)
  --data.dir DIR   the folder with the dataset's files (default: searched as datasets.Resolve does)
  --limit N        run only the first N test samples (default: all)
  --batch N        samples run together (default 256)
  --report DIR     also write report.md and report.json into DIR: the figures above
                   and the energy per sample on each hardware profile (spikegrad plot
                   DIR draws them)
  --profiles FILE  hardware profiles to add to the built-in ones (repeatable; a
                   profile of a built-in name replaces it, and a note says so)
  --fixed          also run the model in fixed point (integer weights, membrane and
                   decay, as neuromorphic chips hold them) and print its accuracy
                   beside the float one, with its per-layer table; the widths
                   default to Intel Loihi's (Davies et al., IEEE Micro 2018):
  --weight-bits N     weights, sign included (default 8)
  --per-channel       one weight scale per output neuron (default: one per layer)
  --membrane-bits N   membrane and synaptic current, sign included (default 24)
  --decay-bits N      decay constants: beta ≈ d / 2^N (default 12)
  --input-bits N      analog (direct-encoded) input, sign included (default 8)
`

type inferArgs struct {
	model, data, dir, report string
	profiles                 []string
	limit, batch             int
	fixed, fixedWidths       bool
	fixedConfig              infer.FixedConfig
}

func parseInfer(args []string, stdout io.Writer) (*inferArgs, error) {
	ia := &inferArgs{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if ia.model != "" {
				return nil, &usageError{fmt.Sprintf("infer: one model file expected, got %q and %q", ia.model, a)}
			}
			ia.model = a
			continue
		}
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if key == "h" || key == "help" {
			fmt.Fprint(stdout, inferUsage)
			return nil, errUsageShown
		}
		if (key == "fixed" || key == "per-channel") && !hasVal {
			if key == "fixed" {
				ia.fixed = true
			} else {
				ia.fixedConfig.PerChannel = true
			}
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, &usageError{fmt.Sprintf("infer: --%s needs a value", key)}
			}
			i++
			val = args[i]
		}
		switch key {
		case "data", "data.dataset":
			ia.data = val
		case "data.dir":
			ia.dir = val
		case "report":
			ia.report = val
		case "profiles":
			ia.profiles = append(ia.profiles, val)
		case "weight-bits", "membrane-bits", "decay-bits", "input-bits":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return nil, &usageError{fmt.Sprintf("infer: --%s %q: must be a whole number > 0", key, val)}
			}
			*map[string]*int{"weight-bits": &ia.fixedConfig.WeightBits, "membrane-bits": &ia.fixedConfig.MembraneBits,
				"decay-bits": &ia.fixedConfig.DecayBits, "input-bits": &ia.fixedConfig.InputBits}[key] = n
			ia.fixedWidths = true
		case "fixed", "per-channel":
			return nil, &usageError{fmt.Sprintf("infer: --%s takes no value", key)}
		case "limit", "batch":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || key == "batch" && n == 0 {
				return nil, &usageError{fmt.Sprintf("infer: --%s %q: must be a whole number > 0", key, val)}
			}
			if key == "limit" {
				ia.limit = n
			} else {
				ia.batch = n
			}
		default:
			return nil, &usageError{fmt.Sprintf("infer: unknown option %q\n%s", a, inferUsage)}
		}
	}
	if (ia.fixedWidths || ia.fixedConfig.PerChannel) && !ia.fixed {
		return nil, &usageError{"infer: --weight-bits, --per-channel, --membrane-bits, --decay-bits and --input-bits need --fixed"}
	}
	if ia.model == "" {
		return nil, &usageError{"infer: usage: spikegrad infer MODEL [--data DATASET] [--data.dir DIR] [--limit N]"}
	}
	return ia, nil
}

func cmdInfer(args []string, stdout, stderr io.Writer) error {
	ia, err := parseInfer(args, stdout)
	if err != nil {
		return err
	}
	m, err := infer.Load(ia.model)
	if err != nil {
		return err
	}
	if ia.data == "" {
		ia.data = m.Dataset
	}
	if ia.data != "mnist" && ia.data != "fashion-mnist" {
		return &usageError{fmt.Sprintf("infer: --data %q: give mnist or fashion-mnist (the model was trained on %q)", ia.data, m.Dataset)}
	}
	test, err := datasets.Load(ia.data, datasets.Test, datasets.ResolveOptions{Dir: ia.dir, Offline: true}, datasets.ImageOptions{})
	if err != nil {
		return fmt.Errorf("infer: %w\nset --data.dir to the folder with the files", err)
	}
	e, err := infer.New(m)
	if err != nil {
		return err
	}
	var fm *infer.FixedModel
	if ia.fixed {
		if fm, err = infer.Quantize(m, ia.fixedConfig); err != nil {
			return err
		}
	}
	// The profiles are read before the run, so that a bad file fails fast.
	profiles, err := loadProfiles(ia.profiles, stderr)
	if err != nil {
		return err
	}
	_, st, err := e.Run(test, infer.RunOptions{BatchSize: ia.batch, Limit: ia.limit})
	if err != nil {
		return err
	}
	printStats(stdout, st)
	fmt.Fprintln(stdout)
	printEnergy(stdout, st.Energies(profiles))
	if fm != nil {
		_, fst, err := fm.Run(test, infer.RunOptions{BatchSize: ia.batch, Limit: ia.limit})
		if err != nil {
			return err
		}
		c := fm.Config
		scale := "one weight scale per layer"
		if c.PerChannel {
			scale = "one weight scale per output channel"
		}
		fmt.Fprintf(stdout, "\nfixed point: %d-bit weights (%s), %d-bit membrane, %d-bit decay, %d-bit analog input\n",
			c.WeightBits, scale, c.MembraneBits, c.DecayBits, c.InputBits)
		fmt.Fprintf(stdout, "accuracy: float %.2f%%, fixed point %.2f%%\n\n", 100*st.Accuracy, 100*fst.Accuracy)
		printStats(stdout, fst)
	}
	if ia.report == "" {
		return nil
	}
	return saveReport(ia.report, ia.model, ia.data, st, profiles, stdout)
}

// printStats writes the accuracy and the per-layer table of st.
func printStats(w io.Writer, st *infer.Stats) {
	fmt.Fprintf(w, "samples %d\nsteps %d\naccuracy %.2f%%\n\n", st.Samples, st.Steps, 100*st.Accuracy)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tkind\tneurons\tspikes/sample\trate\tSynOps/sample\tMACs/sample\tdense ops/sample\tdone\tneuron updates/sample\t")
	var ops, dense float64
	for _, l := range st.Layers {
		done := "-"
		if l.DenseOps > 0 {
			done = fmt.Sprintf("%.1f%%", 100*(l.SynOps+l.MACs)/l.DenseOps)
		}
		ops += l.SynOps + l.MACs
		dense += l.DenseOps
		spikes, rate, updates := "-", "-", "-"
		if l.Kind == "lif" || l.Kind == "synaptic" {
			spikes, rate = fmt.Sprintf("%.1f", l.Spikes), fmt.Sprintf("%.4f", l.Rate)
		}
		if l.NeuronUpdates > 0 {
			updates = fmt.Sprintf("%.0f", l.NeuronUpdates)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%.0f\t%.0f\t%.0f\t%s\t%s\t\n",
			l.Layer, l.Kind, l.Neurons, spikes, rate, l.SynOps, l.MACs, l.DenseOps, done, updates)
	}
	tw.Flush()
	if dense > 0 {
		fmt.Fprintf(w, "\nsynaptic work done: %.0f of %.0f dense operations per sample (%.1f%%)\n", ops, dense, 100*ops/dense)
	}
}
