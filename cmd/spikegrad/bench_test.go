package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

// TestParseBench checks what bench's flags ask of train.Bench: the tutorial
// recipe on synthetic inputs without --config, the config's own data with
// it, and each of bench's own flags.
func TestParseBench(t *testing.T) {
	cfgFile := writeFile(t, t.TempDir(), "run.yaml", tinyYAML)

	ba, err := parseBench(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := ba.config
	// The tutorial recipe of tutorialFlags: MNIST shapes, T = 25, batch 128.
	if c.Data.Dataset != "mnist" || c.Data.Steps != 25 || !slices.Equal(c.Model.Hidden, []int{1000}) || c.Train.BatchSize != 128 {
		t.Errorf("without --config: data %+v, hidden %v, batch %d; want the tutorial recipe", c.Data, c.Model.Hidden, c.Train.BatchSize)
	}
	if !ba.opt.Synthetic || !slices.Equal(ba.threads, []int{0}) || ba.opt.Steps != 0 || ba.opt.Warmup != 0 {
		t.Errorf("without flags: synthetic %v, threads %v, steps %d, warmup %d; want true, [0], 0, 0 (Bench's defaults)",
			ba.opt.Synthetic, ba.threads, ba.opt.Steps, ba.opt.Warmup)
	}

	ba, err = parseBench([]string{"--config", cfgFile, "--threads", "1,2", "--steps=3", "--warmup", "0", "--infer", "7", "--train.batch_size", "16"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c = ba.config
	// tinyYAML's Randman with 20 units, the batch size of the flag.
	if c.Data.Dataset != "randman" || c.Data.RandmanUnits != 20 || c.Train.BatchSize != 16 {
		t.Errorf("with --config: dataset %q, units %d, batch %d; want randman, 20, 16", c.Data.Dataset, c.Data.RandmanUnits, c.Train.BatchSize)
	}
	// --warmup 0 is Bench's -1 (none), since Bench reads 0 as its default 5.
	if ba.opt.Synthetic || !slices.Equal(ba.threads, []int{1, 2}) || ba.opt.Steps != 3 || ba.opt.Warmup != -1 || ba.opt.InferSamples != 7 {
		t.Errorf("with flags: %+v, threads %v", ba.opt, ba.threads)
	}

	ba, err = parseBench([]string{"--config=" + cfgFile, "--synthetic", "true"}, io.Discard)
	if err != nil || !ba.opt.Synthetic {
		t.Errorf("--synthetic true with --config: %v, %v", ba, err)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--threads", "1,0"}, `--threads "1,0": must be a comma-separated list`},
		{[]string{"--steps", "-1"}, `--steps "-1": must be a whole number >= 0`},
		{[]string{"--synthetic", "maybe"}, `--synthetic "maybe": must be true or false`},
		{[]string{"--warmup"}, "--warmup needs a value"},
		{[]string{"--train.epochz", "1"}, "train.epochz"},
	} {
		_, err := parseBench(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.msg) || exitCode(err) != 2 {
			t.Errorf("%q: error %v (exit %d), want a usage error saying %q", tc.args, err, exitCode(err), tc.msg)
		}
	}
}
