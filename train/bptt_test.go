package train

import (
	"context"
	"math"
	"strings"
	"testing"
)

// bpttWeights trains cfg for 3 steps with train.bptt mode and window and
// returns the weights after them.
func bpttWeights(t *testing.T, cfg Config, mode string, window int) [][]float32 {
	t.Helper()
	cfg.Train.BPTT, cfg.Train.BPTTWindow = mode, window
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	data, net, o, obj := built(t, cfg)
	nb := batchesPerEpoch(data.Train.Len(), cfg.Train.BatchSize, cfg.Train.DropLast)
	opts := fitOptions(&cfg, Options{RunDir: t.TempDir(), Now: fixedClock(), MaxSteps: 3}, nb)
	if _, err := Fit(context.Background(), net, data, o, obj, opts...); err != nil {
		t.Fatal(err)
	}
	var w [][]float32
	for _, p := range net.Params() {
		w = append(w, append([]float32(nil), p.Data...))
	}
	return w
}

// maxDiff returns the largest difference between two sets of weights.
func maxDiff(a, b [][]float32) float64 {
	d := 0.0
	for i := range a {
		for j := range a[i] {
			d = max(d, math.Abs(float64(a[i][j]-b[i][j])))
		}
	}
	return d
}

// TestFitBPTT trains tinyConfig's network (Randman, T = 20, LIF hidden
// layer, LI read-out) for 3 steps of SGD at lr 0.05 with each train.bptt.
// Checkpointing gives full BPTT's gradients up to the rounding of sums
// over time (layers.TestWindowsMatchForward), so the weights agree to
// 1e-6 (weights of magnitude ≈ 0.1 to 1 moved by lr·gradient; rounding in
// the gradients' last bits moves them by far less); the same holds with a
// rate regulariser, which reads the hidden layer's spikes that the windows
// then keep, and for truncation with one window of all 20 steps. Truncation
// to windows of one step drops every path through time, and the weights
// differ by more than 1e-3 (measured: 0.13; checkpointing: 3e-8 and 8e-8).
func TestFitBPTT(t *testing.T) {
	cfg := tinyConfig()
	cfg.Train.Optimizer, cfg.Train.LR = "sgd", 0.05
	full := bpttWeights(t, cfg, "full", 0)
	for _, c := range []struct {
		mode   string
		window int
	}{{"checkpoint", 0}, {"checkpoint", 3}, {"truncated", 20}} {
		if d := maxDiff(full, bpttWeights(t, cfg, c.mode, c.window)); d > 1e-6 {
			t.Errorf("bptt %s, window %d: weights differ from full BPTT's by %g", c.mode, c.window, d)
		}
	}
	if d := maxDiff(full, bpttWeights(t, cfg, "truncated", 1)); d < 1e-3 {
		t.Errorf("bptt truncated, window 1: weights differ from full BPTT's by only %g", d)
	}
	reg := cfg
	reg.Train.RateL1 = 0.5
	if d := maxDiff(bpttWeights(t, reg, "full", 0), bpttWeights(t, reg, "checkpoint", 4)); d > 1e-6 {
		t.Errorf("with rate_l1: checkpointed weights differ from full BPTT's by %g", d)
	}
}

func TestFitBPTTErrors(t *testing.T) {
	data, net, opt, obj := handFit(t)
	for _, c := range []struct {
		opt  FitOption
		want string
	}{
		{WithBPTT(BPTTCheckpoint, 0), "train: Fit: WithBPTT(checkpoint): the network (*train.handNet) has no ForwardWindows method to run in windows of time steps"},
		{WithBPTT(BPTTFull, 3), "train: Fit: WithBPTT(full, 3): full backpropagation through time has no window; give 0"},
		{WithBPTT(BPTTTruncated, 0), "train: Fit: WithBPTT(truncated, 0): truncation needs the window's length in time steps, at least 1"},
		{WithBPTT(BPTTCheckpoint, -2), "train: Fit: WithBPTT(checkpoint, -2): the window must be >= 0"},
	} {
		if _, err := Fit(context.Background(), net, data, opt, obj, c.opt, WithRunDir(t.TempDir())); err == nil || err.Error() != c.want {
			t.Errorf("%v\nwant %s", err, c.want)
		}
	}
	if _, err := ParseBPTT("online"); err == nil || !strings.Contains(err.Error(), "allowed: full, checkpoint, truncated") {
		t.Errorf("ParseBPTT: %v", err)
	}
}
