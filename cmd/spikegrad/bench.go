package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/train"
)

const benchUsage = `Usage: spikegrad bench [--config FILE] [--KEY VALUE ...] [--steps N] [--warmup N] [--threads 1,2] [--synthetic true|false]

Measures training steps (forward, backward, optimizer) and inference of the network a
config describes. Without --config it measures the snnTorch tutorial recipe
(784-1000-10 LIF, T = 25, batch 128, Adam) on synthetic images of MNIST's shape, so it
needs no download. Config keys are flags as for train (spikegrad train --help).

  --steps N        timed training steps (default 50)
  --warmup N       untimed steps before them (default 5)
  --threads LIST   thread counts to measure, e.g. 1,2 (default: all cores)
  --synthetic B    random inputs of the dataset's shape (default: true without --config)
  --infer N        samples for the inference measurement (default 10000)
`

// cmdBench measures training-step time and inference throughput of a
// config, by default the snnTorch tutorial recipe on synthetic inputs.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ba, err := parseBench(args, stdout)
	if err != nil {
		return err
	}
	ba.opt.Log = stderr
	fmt.Fprintf(stdout, "%-8s %7s %7s %9s %9s %9s %12s %12s %10s %10s\n", "threads", "batch", "steps", "min", "median", "p90", "train/s", "infer/s", "train RSS", "peak RSS")
	for _, th := range ba.threads {
		cfg := ba.config
		cfg.Train.Threads = th
		res, err := train.Bench(ctx, cfg, ba.opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-8d %7d %7d %9s %9s %9s %12.0f %12.0f %8.0fMB %8.0fMB\n", res.Threads, res.Batch, res.Steps,
			ms(res.StepMin), ms(res.StepMedian), ms(res.StepP90), res.TrainSamplesPerSec, res.InferSamplesPerSec,
			float64(res.TrainPeakRSS)/1e6, float64(res.PeakRSS)/1e6)
	}
	return nil
}

// benchArgs are the parsed arguments of bench.
type benchArgs struct {
	config  train.Config
	opt     train.BenchOptions
	threads []int // the thread counts to measure; 0: the config's (all cores)
}

// parseBench reads bench's own flags and passes the others, with the
// tutorial recipe in front of them when no --config is given, to
// parseTrain.
func parseBench(args []string, stdout io.Writer) (*benchArgs, error) {
	ba := &benchArgs{threads: []int{0}}
	var rest []string
	synthetic := ""
	for i := 0; i < len(args); i++ {
		key, val, has := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		takeVal := func() error {
			if has {
				return nil
			}
			if i+1 >= len(args) {
				return &usageError{fmt.Sprintf("bench: --%s needs a value", key)}
			}
			i++
			val = args[i]
			return nil
		}
		switch key {
		case "h", "help":
			fmt.Fprint(stdout, benchUsage)
			return nil, errUsageShown
		case "steps", "warmup", "infer":
			if err := takeVal(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return nil, &usageError{fmt.Sprintf("bench: --%s %q: must be a whole number >= 0", key, val)}
			}
			switch key {
			case "steps":
				ba.opt.Steps = n
			case "warmup":
				ba.opt.Warmup = n
				if n == 0 {
					ba.opt.Warmup = -1
				}
			default:
				ba.opt.InferSamples = n
			}
		case "threads":
			if err := takeVal(); err != nil {
				return nil, err
			}
			list, err := parseThreads(val)
			if err != nil {
				return nil, err
			}
			ba.threads = list
		case "synthetic":
			if err := takeVal(); err != nil {
				return nil, err
			}
			synthetic = val
		default:
			rest = append(rest, args[i])
			if !has && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				rest = append(rest, args[i])
			}
		}
	}
	hasConfig := slices.ContainsFunc(rest, func(a string) bool {
		a = strings.TrimLeft(a, "-")
		return a == "config" || strings.HasPrefix(a, "config=")
	})
	if !hasConfig {
		rest = append(tutorialFlags(), rest...)
	}
	ta, err := parseTrain(rest, stdout)
	if err != nil {
		return nil, err
	}
	ba.config = ta.config
	ba.opt.Synthetic = !hasConfig
	if synthetic != "" {
		b, err := strconv.ParseBool(synthetic)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("bench: --synthetic %q: must be true or false", synthetic)}
		}
		ba.opt.Synthetic = b
	}
	return ba, nil
}

// parseThreads reads a comma-separated list of thread counts.
func parseThreads(val string) ([]int, error) {
	var list []int
	for _, f := range strings.Split(val, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, &usageError{fmt.Sprintf("bench: --threads %q: must be a comma-separated list of whole numbers >= 1", val)}
		}
		list = append(list, n)
	}
	return list, nil
}

// tutorialFlags is the snnTorch tutorial-5 recipe (examples/*-tutorial.yaml)
// as flags.
func tutorialFlags() []string {
	return []string{"--data.dataset", "mnist", "--data.encoding", "direct", "--data.steps", "25",
		"--model.hidden", "1000", "--model.neuron", "lif", "--model.readout", "lif", "--model.beta", "0.95",
		"--model.threshold", "1", "--model.reset", "subtract", "--model.surrogate", "fast_sigmoid",
		"--model.surrogate_params", "slope=25", "--train.batch_size", "128", "--train.optimizer", "adam",
		"--train.lr", "5e-4", "--train.loss", "membrane_ce", "--train.predict", "spike_count"}
}

func ms(d interface{ Seconds() float64 }) string {
	return fmt.Sprintf("%.2fms", d.Seconds()*1000)
}
