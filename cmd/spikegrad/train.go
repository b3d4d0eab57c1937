package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spikegrad/spikegrad/plots"
	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

var errInterrupted = train.ErrInterrupted

// trainArgs are the parsed arguments of train.
type trainArgs struct {
	config   train.Config
	runDir   string
	resume   bool
	progress train.ProgressMode
	maxSteps int
}

// parseTrain reads the train command's arguments: --config FILE first (the
// file applies before any other flag, whatever their order), then every
// --KEY VALUE or --KEY=VALUE in order.
func parseTrain(args []string, stdout io.Writer) (*trainArgs, error) {
	ta := &trainArgs{config: train.DefaultConfig()}
	type kv struct{ k, v string }
	var sets []kv
	var configFile string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return nil, &usageError{fmt.Sprintf("train: unexpected argument %q (options are --KEY VALUE)", a)}
		}
		key, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch key {
		case "h", "help":
			printTrainHelp(stdout, ta.config)
			return nil, errUsageShown
		}
		boolFlag := key == "resume" || isBoolOption(ta.config, key)
		if !hasVal {
			if boolFlag && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "-")) {
				val = "true"
			} else {
				if i+1 >= len(args) {
					return nil, &usageError{fmt.Sprintf("train: --%s needs a value", key)}
				}
				i++
				val = args[i]
			}
		}
		switch key {
		case "config":
			configFile = val
		case "run-dir":
			ta.runDir = val
		case "resume":
			if val != "true" && val != "false" {
				// --resume RUN_DIR
				ta.resume, ta.runDir = true, val
			} else {
				ta.resume = val == "true"
			}
		case "progress":
			m, err := train.ParseProgress(val)
			if err != nil {
				return nil, &usageError{"train: --progress: " + err.Error()}
			}
			ta.progress = m
		case "max-steps":
			if _, err := fmt.Sscan(val, &ta.maxSteps); err != nil || ta.maxSteps < 0 {
				return nil, &usageError{fmt.Sprintf("train: --max-steps %q: must be a whole number >= 0", val)}
			}
		default:
			sets = append(sets, kv{key, val})
		}
	}
	resumeConfig := ta.resume && ta.runDir != "" && configFile == ""
	if resumeConfig {
		configFile = filepath.Join(ta.runDir, rundir.ConfigFile)
	}
	if configFile != "" {
		b, err := os.ReadFile(configFile)
		if resumeConfig && errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("train: no %s: the run was stopped before it saved anything (or the folder is not a run directory); start it again with the same --config and options and --run-dir %s",
				configFile, ta.runDir)
		}
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := ta.config.ReadYAML(b, configFile); err != nil {
			return nil, err
		}
	}
	// A bad flag is a usage error (exit 2), a bad config file is not.
	flagged := map[string]bool{}
	for _, s := range sets {
		if err := ta.config.Set(s.k, s.v); err != nil {
			return nil, &usageError{err.Error()}
		}
		flagged[s.k] = true
	}
	if ta.resume && ta.runDir == "" {
		return nil, &usageError{"train: --resume needs the run directory: --resume RUN_DIR"}
	}
	if err := ta.config.Validate(); err != nil {
		var ce *train.ConfigError
		if errors.As(err, &ce) && flagged[strings.SplitN(ce.Key, "[", 2)[0]] {
			return nil, &usageError{err.Error()}
		}
		return nil, err
	}
	return ta, nil
}

func isBoolOption(c train.Config, key string) bool {
	for _, o := range c.Options() {
		if o.Key == key {
			return o.Type == "bool"
		}
	}
	return false
}

func printTrainHelp(w io.Writer, c train.Config) {
	fmt.Fprint(w, `Usage: spikegrad train [--config FILE] [--KEY VALUE ...]
       spikegrad train --resume RUN_DIR

Trains a spiking network and writes a run directory: config.yaml, metrics.jsonl,
checkpoints/, model/ and plots/. Ctrl-C saves a checkpoint and stops; --resume
continues from it. Every key of the YAML config is also a flag (--train.epochs 3);
flags apply after --config.

Command options:
  --config FILE       YAML config (keys as below, nested by section)
  --run-dir DIR       run directory (default: <out>/<name>-<date>-<time>)
  --resume RUN_DIR    continue the run in RUN_DIR from its last checkpoint (from step 0
                      if it has none yet); of the config keys, only these may change:
`+indentList(train.ResumableKeys(), 22, 88)+`
  --progress MODE     auto, bar, lines or off (default auto: a bar on a terminal)
  --max-steps N       stop after N optimizer steps in total, with a checkpoint

Config keys (default values):
`)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, o := range c.Options() {
		def := o.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "  --%s %s\t%s (default %s)\n", o.Key, strings.ToUpper(o.Type), o.Help, def)
	}
	tw.Flush()
}

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ta, err := parseTrain(args, stdout)
	if err != nil {
		return err
	}
	res, err := train.Run(ctx, ta.config, train.Options{RunDir: ta.runDir, Resume: ta.resume, Log: stderr,
		Progress: ta.progress, MaxSteps: ta.maxSteps})
	if res != nil {
		if paths, perr := plots.SaveRunPlots(res.RunDir); perr != nil {
			fmt.Fprintf(stderr, "spikegrad: plots: %v\n", perr)
		} else {
			fmt.Fprintf(stderr, "plots: %s\n", strings.Join(relAll(res.RunDir, paths), ", "))
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "run directory: %s\n", res.RunDir)
	if res.Epochs == 0 {
		fmt.Fprintf(stdout, "steps %d, no epoch completed yet\n", res.Steps)
	} else {
		fmt.Fprintf(stdout, "epochs %d, steps %d, test accuracy %.2f%% (best %.2f%%), test loss %.4f, %.0f samples/s\n",
			res.Epochs, res.Steps, 100*res.TestAccuracy, 100*res.BestAccuracy, res.TestLoss, res.SamplesPerSec)
	}
	if res.Stopped != "" {
		fmt.Fprintf(stdout, "stopped: %s\n", res.Stopped)
	}
	return nil
}

// indentList joins items with commas into lines of at most width columns,
// each indented by indent spaces.
func indentList(items []string, indent, width int) string {
	var b strings.Builder
	line := strings.Repeat(" ", indent)
	for i, it := range items {
		if i < len(items)-1 {
			it += ","
		}
		if len(line)+1+len(it) > width && strings.TrimSpace(line) != "" {
			b.WriteString(line + "\n")
			line = strings.Repeat(" ", indent)
		}
		if strings.TrimSpace(line) != "" {
			line += " "
		}
		line += it
	}
	b.WriteString(line)
	return b.String()
}

func relAll(dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if r, err := filepath.Rel(dir, p); err == nil {
			out[i] = r
		} else {
			out[i] = p
		}
	}
	return out
}

func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, "Usage: spikegrad eval RUN_DIR\n\nEvaluates the final model of a run directory on the test set of its config:\naccuracy, loss, firing rates and the confusion matrix.")
			return errUsageShown
		}
		return &usageError{"eval: usage: spikegrad eval RUN_DIR"}
	}
	ev, err := train.EvaluateRun(ctx, args[0], stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "samples %d\naccuracy %.2f%%\nloss %.4f\n", ev.Samples, 100*ev.Accuracy, ev.Loss)
	for _, r := range ev.Rates {
		fmt.Fprintf(stdout, "rate/%s %.4f\n", r.Layer, r.Rate)
	}
	fmt.Fprintln(stdout, "confusion (rows: true class, columns: predicted)")
	for _, row := range ev.Confusion {
		for j, c := range row {
			if j > 0 {
				fmt.Fprint(stdout, " ")
			}
			fmt.Fprintf(stdout, "%5d", c)
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

var _ = errors.Is
