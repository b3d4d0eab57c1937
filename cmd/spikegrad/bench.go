package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/train"
)

// cmdBench measures training-step time and inference throughput of a
// config, by default the snnTorch tutorial recipe on synthetic inputs.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opt := train.BenchOptions{Log: stderr}
	var rest []string
	threadList := []int{0}
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
			fmt.Fprint(stdout, `Usage: spikegrad bench [--config FILE] [--KEY VALUE ...] [--steps N] [--warmup N] [--threads 1,2] [--synthetic true|false]

Measures training steps (forward, backward, optimizer) and inference of the network a
config describes. Without --config it measures the snnTorch tutorial recipe
(784-1000-10 LIF, T = 25, batch 128, Adam) on synthetic images of MNIST's shape, so it
needs no download. Config keys are flags as for train (spikegrad train --help).

  --steps N        timed training steps (default 50)
  --warmup N       untimed steps before them (default 5)
  --threads LIST   thread counts to measure, e.g. 1,2 (default: all cores)
  --synthetic B    random inputs of the dataset's shape (default: true without --config)
  --infer N        samples for the inference measurement (default 10000)
`)
			return errUsageShown
		case "steps", "warmup", "infer":
			if err := takeVal(); err != nil {
				return err
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return &usageError{fmt.Sprintf("bench: --%s %q: must be a whole number >= 0", key, val)}
			}
			switch key {
			case "steps":
				opt.Steps = n
			case "warmup":
				opt.Warmup = n
				if n == 0 {
					opt.Warmup = -1
				}
			default:
				opt.InferSamples = n
			}
		case "threads":
			if err := takeVal(); err != nil {
				return err
			}
			threadList = threadList[:0]
			for _, f := range strings.Split(val, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n < 1 {
					return &usageError{fmt.Sprintf("bench: --threads %q: must be a comma-separated list of whole numbers >= 1", val)}
				}
				threadList = append(threadList, n)
			}
		case "synthetic":
			if err := takeVal(); err != nil {
				return err
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
	hasConfig := false
	for _, a := range rest {
		if strings.TrimLeft(a, "-") == "config" || strings.HasPrefix(strings.TrimLeft(a, "-"), "config=") {
			hasConfig = true
		}
	}
	if !hasConfig {
		rest = append(tutorialFlags(), rest...)
	}
	ta, err := parseTrain(rest, stdout)
	if err != nil {
		return err
	}
	opt.Synthetic = !hasConfig
	if synthetic != "" {
		b, err := strconv.ParseBool(synthetic)
		if err != nil {
			return &usageError{fmt.Sprintf("bench: --synthetic %q: must be true or false", synthetic)}
		}
		opt.Synthetic = b
	}
	fmt.Fprintf(stdout, "%-8s %7s %7s %9s %9s %9s %12s %12s %10s\n", "threads", "batch", "steps", "min", "median", "p90", "train/s", "infer/s", "peak RSS")
	for _, th := range threadList {
		cfg := ta.config
		cfg.Train.Threads = th
		res, err := train.Bench(ctx, cfg, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-8d %7d %7d %9s %9s %9s %12.0f %12.0f %8.0fMB\n", res.Threads, res.Batch, res.Steps,
			ms(res.StepMin), ms(res.StepMedian), ms(res.StepP90), res.TrainSamplesPerSec, res.InferSamplesPerSec, float64(res.PeakRSS)/1e6)
	}
	return nil
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
