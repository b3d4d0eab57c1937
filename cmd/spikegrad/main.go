package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsageShown) {
			fmt.Fprintln(os.Stderr, "spikegrad:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsageShown is returned after --help: the usage is the output.
var errUsageShown = errors.New("usage shown")

func exitCode(err error) int {
	if errors.Is(err, errUsageShown) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	if errors.Is(err, errInterrupted) {
		return 130
	}
	return 1
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

const usage = `spikegrad trains spiking neural networks with surrogate gradients.

Usage:
  spikegrad train [--config FILE] [--KEY VALUE ...]   train a network (default: Randman, no download)
  spikegrad train --resume RUN_DIR                    continue an interrupted run bit-identically
  spikegrad eval RUN_DIR                              evaluate a run's final model on its test set
  spikegrad plot RUN_DIR|SWEEP_DIR|REPORT_DIR         draw the figures of a run, a sweep or an inference report
  spikegrad bench [--config FILE] [--threads 1,2]     measure training-step time and inference throughput
  spikegrad sweep SWEEP.yaml [--dir DIR]              run a hyperparameter sweep (resumable)
  spikegrad sweep report DIR                          rank a sweep's trials, write the table and best.yaml
  spikegrad export RUN_DIR [--out FILE]               write a run's model as one inference model file
  spikegrad infer MODEL [--data DATASET]              run an exported model: accuracy, spikes, SynOps
  spikegrad import FILE.nir --dt S --steps T          convert a NIR graph into a model spikegrad infer runs

Run 'spikegrad COMMAND --help' for a command's options.
`

// run is the command without the process around it: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return cmdTrain(ctx, nil, stdout, stderr)
	}
	switch args[0] {
	case "train":
		return cmdTrain(ctx, args[1:], stdout, stderr)
	case "eval":
		return cmdEval(ctx, args[1:], stdout, stderr)
	case "plot":
		return cmdPlot(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr)
	case "sweep":
		return cmdSweep(ctx, args[1:], stdout, stderr)
	case "export":
		return cmdExport(args[1:], stdout, stderr)
	case "infer":
		return cmdInfer(args[1:], stdout, stderr)
	case "import":
		return cmdImport(args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return errUsageShown
	}
	return &usageError{fmt.Sprintf("unknown command %q\n\n%s", args[0], usage)}
}
