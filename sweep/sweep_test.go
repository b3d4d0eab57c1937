package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/spikegrad/spikegrad/rundir"
	"github.com/spikegrad/spikegrad/train"
)

// TestMain lets the test binary serve as the worker of the local executor:
// run as `<test binary> sweep run-trial DIR ID --epochs E` it runs the trial
// as spikegrad's command does, so that the executor's tests start real
// processes.
func TestMain(m *testing.M) {
	if len(os.Args) >= 5 && os.Args[1] == "sweep" && os.Args[2] == "run-trial" {
		os.Exit(runTrialMain(os.Args[3:]))
	}
	os.Exit(m.Run())
}

func runTrialMain(args []string) int {
	epochs := 0
	if len(args) == 4 && args[2] == "--epochs" {
		epochs, _ = strconv.Atoi(args[3])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := RunTrial(ctx, args[0], args[1], epochs, os.Stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, train.ErrInterrupted):
		fmt.Fprintln(os.Stderr, err)
		return 130
	}
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// tinySweepBase is a sweep base of well under a second per epoch: Randman
// with 10 classes of 40 samples (320 for training after the 20% test split,
// so 10 batches of 32 per epoch), 20 units, 20 steps, a 20-16-10 network.
const tinySweepBase = `base:
  data: {randman_samples: 40, randman_units: 20, randman_steps: 20}
  model: {hidden: [16]}
  train: {epochs: 2, batch_size: 32, eval_batch_size: 64, log_every: 3}
`

func writeSweep(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func planOf(t *testing.T, text string) *Plan {
	t.Helper()
	p, err := ReadPlan(writeSweep(t, text))
	if err != nil {
		t.Fatalf("PlanSweep: %v", err)
	}
	return p
}

func TestSweepGridCoverage(t *testing.T) {
	p := planOf(t, "name: g\n"+tinySweepBase+`strategy: {name: grid}
parameters:
  train.lr: {values: [1e-3, 2e-3, 5e-3]}
  train.batch_size: {range: [16, 48], step: 16}
  model.surrogate_params.slope: {values: [10, 25]}
  model.hidden: {values: [[8], [16, 8]]}
`)
	// 3 · 3 · 2 · 2 combinations.
	if len(p.Trials) != 36 {
		t.Fatalf("%d trials, want 36", len(p.Trials))
	}
	seen := map[string]bool{}
	for i, tr := range p.Trials {
		if want := fmt.Sprintf("t%04d", i); tr.ID != want {
			t.Errorf("trial %d: ID %s, want %s", i, tr.ID, want)
		}
		key := tr.Params["train.lr"] + "|" + tr.Params["train.batch_size"] + "|" + tr.Params["model.surrogate_params.slope"] + "|" + tr.Params["model.hidden"]
		if seen[key] {
			t.Errorf("combination %s twice", key)
		}
		seen[key] = true
	}
	for _, lr := range []string{"1e-3", "2e-3", "5e-3"} {
		for _, bs := range []string{"16", "32", "48"} {
			for _, sl := range []string{"10", "25"} {
				for _, h := range []string{"8", "16,8"} {
					if !seen[lr+"|"+bs+"|"+sl+"|"+h] {
						t.Errorf("combination lr=%s batch=%s slope=%s hidden=%s missing", lr, bs, sl, h)
					}
				}
			}
		}
	}
	// The last parameter varies fastest.
	if a, b := p.Trials[0].Params, p.Trials[1].Params; a["model.hidden"] != "8" || b["model.hidden"] != "16,8" || a["train.lr"] != b["train.lr"] {
		t.Errorf("first trials %v, %v: want the last parameter to vary fastest", a, b)
	}
	// The trial's config carries the values, the map entry merged into
	// the base's map.
	c, err := p.Spec.TrialConfig(p.Trials[35], 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.LR != 5e-3 || c.Train.BatchSize != 48 || c.Model.SurrogateParams["slope"] != 25 || !slices.Equal(c.Model.Hidden, []int{16, 8}) || c.Train.Epochs != 2 {
		t.Errorf("trial t0035 config: lr %g, batch %d, surrogate %v, hidden %v, epochs %d",
			c.Train.LR, c.Train.BatchSize, c.Model.SurrogateParams, c.Model.Hidden, c.Train.Epochs)
	}
	if p.Spec.Base.Model.SurrogateParams["slope"] != 25 || !slices.Equal(p.Spec.Base.Model.Hidden, []int{16}) {
		t.Errorf("building trial configs changed the base: %v %v", p.Spec.Base.Model.SurrogateParams, p.Spec.Base.Model.Hidden)
	}
}

func TestSweepRandomReproducible(t *testing.T) {
	text := func(seed int) string {
		return fmt.Sprintf("name: r\n"+tinySweepBase+`strategy: {name: random, trials: 400, seed: %d}
parameters:
  train.lr: {log_uniform: [1e-4, 1e-2]}
  model.beta: {uniform: [0.8, 0.99]}
  train.batch_size: {log_uniform: [16, 64]}
  model.threshold: {values: [0.5, 1, 2]}
`, seed)
	}
	a, b, c := planOf(t, text(7)), planOf(t, text(7)), planOf(t, text(8))
	same := func(x, y *Plan) bool {
		for i := range x.Trials {
			for k, v := range x.Trials[i].Params {
				if y.Trials[i].Params[k] != v {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("the same seed gave two different plans")
	}
	if same(a, c) {
		t.Error("seeds 7 and 8 gave the same plan")
	}
	var sumLog float64
	thresholds := map[string]int{}
	for _, tr := range a.Trials {
		lr, err := strconv.ParseFloat(tr.Params["train.lr"], 64)
		if err != nil || lr < 1e-4 || lr > 1e-2 {
			t.Fatalf("%s: lr %q outside [1e-4, 1e-2]", tr.ID, tr.Params["train.lr"])
		}
		sumLog += math.Log10(lr)
		beta, _ := strconv.ParseFloat(tr.Params["model.beta"], 64)
		if beta < 0.8 || beta > 0.99 {
			t.Fatalf("%s: beta %g outside [0.8, 0.99]", tr.ID, beta)
		}
		bs, err := strconv.Atoi(tr.Params["train.batch_size"])
		if err != nil || bs < 16 || bs > 64 {
			t.Fatalf("%s: batch size %q is not a whole number in [16, 64]", tr.ID, tr.Params["train.batch_size"])
		}
		thresholds[tr.Params["model.threshold"]]++
	}
	// log10(lr) is uniform on [-4, -2]: mean -3, standard deviation
	// 2/sqrt(12) = 0.577, so the mean of 400 samples has a standard
	// deviation of 0.029; 0.12 is four of them.
	if m := sumLog / 400; math.Abs(m+3) > 0.12 {
		t.Errorf("mean of log10(lr) over 400 samples = %.3f, want -3 ± 0.12 (log-uniform)", m)
	}
	// Each of the 3 values: 400/3 = 133 expected, binomial sd 9.4; > 90
	// is 4.6 sd below.
	for _, v := range []string{"0.5", "1", "2"} {
		if thresholds[v] < 90 {
			t.Errorf("threshold %s drawn %d times of 400, want about 133", v, thresholds[v])
		}
	}
}

func TestSweepFileErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "run.yaml"), []byte("train:\n  lr: -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown top key", "name: e\nbase: {}\nparams: {}\n",
			"config F:3: params: unknown key (allowed: base, base_config, metric, name, parameters, resources, strategy)"},
		{"unknown base key", "name: e\nbase:\n  train: {lr: 1e-3, epochz: 2}\nparameters:\n  train.lr: {values: [1e-3]}\n",
			"config F:3: base.train.epochz: unknown key (allowed: batch_size, beta1, beta2, bptt, bptt_window, checkpoint_every, clip_grad_norm, correct_rate, drop_last, epochs, eps, eval_batch_size, gamma, incorrect_rate, log_every, loss, lr, momentum, nesterov, optimizer, patience, plateau_cooldown, plateau_factor, plateau_metric, plateau_min_lr, plateau_patience, plateau_threshold, predict, rate_bound_weight, rate_l1, rate_max, rate_min, schedule, step_size, threads, warmup, weight_decay)"},
		{"no base", "name: e\nparameters:\n  train.lr: {values: [1e-3]}\n",
			"config F: base: missing: give the base training config (base: {...}) or a file (base_config: run.yaml)"},
		{"bad base value", "name: e\nbase: {model: {beta: 2}}\nparameters:\n  train.lr: {values: [1e-3]}\n",
			"config F: base.model.beta = 2: must be in [0, 1]"},
		{"bad base_config value", "name: e\nbase_config: run.yaml\nparameters:\n  train.lr: {values: [1e-3]}\n",
			"sweep F: base_config run.yaml: config: train.lr = -1: must be > 0"},
		{"unknown parameter", "name: e\nbase: {}\nparameters:\n  train.learning_rate: {values: [1e-3]}\n",
			"config F:4: parameters.train.learning_rate: unknown option (allowed: batch_size, beta1, beta2, bptt, bptt_window, checkpoint_every, clip_grad_norm, correct_rate, drop_last, epochs, eps, eval_batch_size, gamma, incorrect_rate, log_every, loss, lr, momentum, nesterov, optimizer, patience, plateau_cooldown, plateau_factor, plateau_metric, plateau_min_lr, plateau_patience, plateau_threshold, predict, rate_bound_weight, rate_l1, rate_max, rate_min, schedule, step_size, threads, warmup, weight_decay)"},
		{"unknown section", "name: e\nbase: {}\nparameters:\n  optim.lr: {values: [1e-3]}\n",
			"config F:4: parameters.optim.lr: optim: unknown option (allowed: data, model, name, out, seed, train)"},
		{"no parameters", "name: e\nbase: {}\n",
			"config F: parameters: must map at least one config key to its values, e.g. train.lr: {log_uniform: [1e-4, 1e-2]}"},
		{"empty values", "name: e\nbase: {}\nparameters:\n  train.lr: {values: []}\n",
			"config F:4: parameters.train.lr.values: is empty: give at least one value"},
		{"empty range", "name: e\nbase: {}\nstrategy: {name: random, trials: 2}\nparameters:\n  train.lr: {uniform: [1e-2, 1e-3]}\n",
			"config F:5: parameters.train.lr.uniform: is an empty range: high 0.001 < low 0.01"},
		{"infinite bound", "name: e\nbase: {}\nstrategy: {name: random, trials: 2}\nparameters:\n  train.lr: {uniform: [1e-3, .inf]}\n",
			`config F:5: parameters.train.lr.uniform = ".inf": must be [low, high] with finite numbers`},
		{"infinite step", "name: e\nbase: {}\nparameters:\n  model.beta: {range: [0.8, 0.9], step: .inf}\n",
			`config F:4: parameters.model.beta.step = ".inf": must be a finite number > 0`},
		{"infinite value", "name: e\nbase: {}\nparameters:\n  train.lr: {values: [1e-3, .inf]}\n",
			`config F:4: parameters.train.lr = ".inf": must be finite`},
		{"log of zero", "name: e\nbase: {}\nstrategy: {name: random, trials: 2}\nparameters:\n  train.lr: {log_uniform: [0, 1e-3]}\n",
			"config F:5: parameters.train.lr.log_uniform: low 0 must be > 0 for a log-uniform range"},
		{"bad value", "name: e\nbase: {}\nparameters:\n  model.beta: {values: [0.9, 1.5]}\n",
			`config F:4: parameters.model.beta = "1.5": must be in [0, 1]`},
		{"bad range end", "name: e\nbase: {}\nstrategy: {name: random, trials: 2}\nparameters:\n  train.lr: {uniform: [-1, 1]}\n",
			`config F:5: parameters.train.lr = "-1": must be > 0`},
		{"range of strings", "name: e\nbase: {}\nparameters:\n  model.neuron: {range: [1, 2]}\n",
			"config F:4: parameters.model.neuron.range: model.neuron is not a number (string): give its values"},
		{"real range without step", "name: e\nbase: {}\nparameters:\n  model.beta: {range: [0.8, 0.9]}\n",
			"config F:4: parameters.model.beta.range: a range of a real-valued key needs a step (or use uniform or log_uniform)"},
		{"continuous grid", "name: e\nbase: {}\nparameters:\n  train.lr: {log_uniform: [1e-4, 1e-3]}\n",
			`config F: strategy.name = "grid": a grid needs every parameter to have a finite list of values: parameters.train.lr is continuous (give values, or a range with a step)`},
		{"random without trials", "name: e\nbase: {}\nstrategy: {name: random}\nparameters:\n  train.lr: {log_uniform: [1e-4, 1e-3]}\n",
			"config F:3: strategy.trials = 0: must be >= 1 for a random search"},
		{"halving too few trials", "name: e\nbase: {}\nstrategy: {name: halving, trials: 4, min_epochs: 1, max_epochs: 9}\nparameters:\n  train.lr: {log_uniform: [1e-4, 1e-3]}\n",
			"config F:3: strategy.trials = 4: successive halving over rungs of 1, 3, 9 epochs keeps 1 in 3 at each rung and needs at least 9 trials"},
		{"halving inverted rungs", "name: e\nbase: {}\nstrategy: {name: halving, trials: 9, min_epochs: 3, max_epochs: 1}\nparameters:\n  train.lr: {log_uniform: [1e-4, 1e-3]}\n",
			"config F:3: strategy.max_epochs = 1: must be >= min_epochs = 3"},
		{"halving varies epochs", "name: e\nbase: {}\nstrategy: {name: halving, trials: 9, min_epochs: 1, max_epochs: 3}\nparameters:\n  train.epochs: {values: [1, 2]}\n",
			"config F:5: parameters.train.epochs: successive halving sets the epochs of each rung (strategy.min_epochs, max_epochs): do not vary them"},
		{"unknown strategy", "name: e\nbase: {}\nstrategy: {name: bayes}\nparameters:\n  train.lr: {values: [1e-3]}\n",
			`config F:3: strategy.name = "bayes": must be grid, random or halving`},
		{"bad metric goal", "name: e\nbase: {}\nmetric: {name: loss, goal: lowest}\nparameters:\n  train.lr: {values: [1e-3]}\n",
			`config F:3: metric.goal = "lowest": must be max or min`},
		{"varying out", "name: e\nbase: {}\nparameters:\n  out: {values: [a]}\n",
			"config F:4: parameters.out: cannot be varied: each trial runs in its own directory of the sweep"},
		{"two kinds", "name: e\nbase: {}\nparameters:\n  train.lr: {values: [1e-3], uniform: [1, 2]}\n",
			"config F:4: parameters.train.lr.uniform: give only one of values, range, uniform, log_uniform"},
		{"readout conflict", "name: e\nbase: {}\nparameters:\n  train.predict: {values: [membrane_max, spike_count]}\n",
			`config F:4: parameters.train.predict = "spike_count": a non-spiking li read-out has no spikes: use membrane_sum or membrane_max`},
	} {
		p := filepath.Join(dir, "sweep.yaml")
		if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPlan(p)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if got := strings.ReplaceAll(err.Error(), p, "F"); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// scriptExecutor is an Executor that runs no training: for each job it
// appends test-accuracy records for the new epochs to the trial's
// metrics.jsonl, from acc(id, epoch), and records the trial done, or failed
// for the IDs in fail.
type scriptExecutor struct {
	acc   func(id string, epoch int) float64
	fail  map[string]bool
	calls [][]Job
}

func (f *scriptExecutor) Execute(ctx context.Context, dir string, jobs []Job) error {
	f.calls = append(f.calls, slices.Clone(jobs))
	for _, j := range jobs {
		st, err := ReadStatus(dir, j.ID)
		if err != nil {
			return err
		}
		if f.fail[j.ID] {
			if err := WriteStatus(dir, j.ID, Status{State: StateFailed, Error: "scripted failure", PID: os.Getpid()}); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(trialDir(dir, j.ID), 0o755); err != nil {
			return err
		}
		w, err := rundir.OpenMetrics(filepath.Join(trialDir(dir, j.ID), rundir.MetricsFile))
		if err != nil {
			return err
		}
		for e := st.Epochs + 1; e <= j.Epochs; e++ {
			for _, m := range []rundir.Metric{{Step: 10 * e, Epoch: e, Split: rundir.SplitTest, Name: "loss", Value: 1 - f.acc(j.ID, e), Wall: float64(e)},
				{Step: 10 * e, Epoch: e, Split: rundir.SplitTest, Name: "accuracy", Value: f.acc(j.ID, e), Wall: float64(e)}} {
				if err := w.Write(m); err != nil {
					return err
				}
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		if err := WriteStatus(dir, j.ID, Status{State: StateDone, Epochs: j.Epochs, PID: os.Getpid()}); err != nil {
			return err
		}
	}
	return nil
}

func TestSweepHalvingPromotions(t *testing.T) {
	p := planOf(t, "name: h\n"+tinySweepBase+`strategy: {name: halving, trials: 0, min_epochs: 1, max_epochs: 9, eta: 3}
parameters:
  train.lr: {values: [1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3]}
`)
	if !slices.Equal(p.Rungs, []int{1, 3, 9}) {
		t.Fatalf("rungs %v, want [1 3 9]", p.Rungs)
	}
	// Trial k (t000k) has accuracy k/10 after one epoch; from epoch 2 on,
	// t0001 overtakes every other one. t0008, best at rung 0, fails.
	acc := func(id string, epoch int) float64 {
		k, _ := strconv.Atoi(id[1:])
		if epoch >= 2 && k == 1 {
			return 0.99
		}
		return float64(k)/10 + 0.001*float64(epoch)
	}
	ex := &scriptExecutor{acc: acc, fail: map[string]bool{"t0008": true}}
	dir := filepath.Join(t.TempDir(), "sweep")
	if err := Run(context.Background(), p, dir, ex, nil); err != nil {
		t.Fatal(err)
	}
	// Rung 0: all 9 to 1 epoch. Ranked at epoch 1: t0008 failed (last),
	// then t0007, t0006, t0005 (0.7, 0.6, 0.5): 9/3 = 3 promoted to 3
	// epochs. Ranked at epoch 3: t0007 0.703, t0006 0.603, t0005 0.503:
	// one promoted to 9 epochs, t0007.
	want := [][]Job{nil, {{"t0007", 3}, {"t0006", 3}, {"t0005", 3}}, {{"t0007", 9}}}
	for i := range 9 {
		want[0] = append(want[0], Job{fmt.Sprintf("t%04d", i), 1})
	}
	if fmt.Sprint(ex.calls) != fmt.Sprint(want) {
		t.Errorf("executor calls:\n got %v\nwant %v", ex.calls, want)
	}
	states := map[string]string{}
	for i := range 9 {
		id := fmt.Sprintf("t%04d", i)
		st, err := ReadStatus(dir, id)
		if err != nil {
			t.Fatal(err)
		}
		states[id] = fmt.Sprintf("%s/%d", st.State, st.Epochs)
	}
	wantStates := map[string]string{"t0000": "stopped/1", "t0001": "stopped/1", "t0002": "stopped/1", "t0003": "stopped/1",
		"t0004": "stopped/1", "t0005": "stopped/3", "t0006": "stopped/3", "t0007": "done/9", "t0008": "failed/0"}
	if fmt.Sprint(states) != fmt.Sprint(wantStates) {
		t.Errorf("states:\n got %v\nwant %v", states, wantStates)
	}
	pj, err := readPlanJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(pj.Rungs[1].Trials, pj.Rungs[2].Trials); got != "[t0007 t0006 t0005] [t0007]" {
		t.Errorf("plan.json rungs: %s", got)
	}
	// Running the finished sweep again runs nothing.
	ex.calls = nil
	if err := Run(context.Background(), p, dir, ex, nil); err != nil || len(ex.calls) != 0 {
		t.Errorf("second run: %v, calls %v", err, ex.calls)
	}
	// Epochs trained: five stopped at 1, two at 3, one at 9, and the
	// failed t0008 none: 5 + 6 + 9 = 20 (rung by rung 8 + 3·2 + 1·6),
	// against 9 · 9 = 81 for the grid.
	total := 0
	for i := range 9 {
		st, _ := ReadStatus(dir, fmt.Sprintf("t%04d", i))
		total += st.Epochs
	}
	if total != 20 {
		t.Errorf("total epochs %d, want 20", total)
	}
}

func TestSweepReportTable(t *testing.T) {
	p := planOf(t, "name: rep\n"+tinySweepBase+`metric: {name: loss}
strategy: {name: grid}
parameters:
  train.lr: {values: [1e-3, 2e-3, 3e-3, 4e-3]}
  model.beta: {values: [0.9]}
`)
	if p.Spec.Metric != (Metric{Name: "loss", Split: rundir.SplitTest, Goal: "min"}) {
		t.Fatalf("metric %+v: want test loss, min", p.Spec.Metric)
	}
	// Accuracies 0.5, 0.8, 0.6 (test loss 1 - acc); t0003 fails.
	accs := map[string]float64{"t0000": 0.5, "t0001": 0.8, "t0002": 0.6}
	ex := &scriptExecutor{acc: func(id string, e int) float64 { return accs[id] }, fail: map[string]bool{"t0003": true}}
	dir := filepath.Join(t.TempDir(), "s")
	if err := Run(context.Background(), p, dir, ex, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Write(); err != nil {
		t.Fatal(err)
	}
	csv := string(mustRead(t, filepath.Join(dir, ReportCSVFile)))
	// The values are plan.json's numbers. Lowest loss first: t0001 (0.2), t0002 (0.4), t0000 (0.5), then the
	// failed trial without a value.
	// The ranked metric is the test loss, so it is not repeated after the
	// test accuracy.
	want := `rank,id,state,epochs,train.lr,model.beta,test/loss final,test/loss best,best epoch,test/accuracy,seconds,error
1,t0001,done,2,0.002,0.9,0.2,0.2,1,0.8,2.0,
2,t0002,done,2,0.003,0.9,0.4,0.4,1,0.6,2.0,
3,t0000,done,2,0.001,0.9,0.5,0.5,1,0.5,2.0,
,t0003,failed,0,0.004,0.9,,,,,0.0,scripted failure
`
	if csv != want {
		t.Errorf("report.csv:\n%s\nwant:\n%s", csv, want)
	}
	md := string(mustRead(t, filepath.Join(dir, ReportMDFile)))
	if !strings.Contains(md, "Best: t0001 (train.lr=0.002, model.beta=0.9), test/loss 0.2 after 2 epochs") ||
		!strings.Contains(md, "| 1 | t0001 | done | 2 | 0.002 | 0.9 |") {
		t.Errorf("report.md:\n%s", md)
	}
	// best.yaml is the best trial's config, as spikegrad train reads it.
	c := train.DefaultConfig()
	if err := c.ReadYAML(mustRead(t, filepath.Join(dir, BestFile)), BestFile); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	wantCfg, err := p.Spec.TrialConfig(p.Trials[1], 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() != wantCfg.Hash() || c.Train.LR != 2e-3 {
		t.Errorf("best.yaml holds lr %g; want t0001's config", c.Train.LR)
	}
	// Ranked by accuracy (max) instead.
	rep.SortBy(Metric{Name: "accuracy", Split: rundir.SplitTest, Goal: "max"})
	var ids []string
	for _, r := range rep.Rows {
		ids = append(ids, r.Trial.ID)
	}
	if fmt.Sprint(ids) != "[t0001 t0002 t0000 t0003]" {
		t.Errorf("by accuracy: %v", ids)
	}
}

func TestSweepDirectoryFromAnotherSweep(t *testing.T) {
	text := "name: a\n" + tinySweepBase + "parameters:\n  train.lr: {values: [1e-3]}\n"
	p := planOf(t, text)
	dir := filepath.Join(t.TempDir(), "s")
	ex := &scriptExecutor{acc: func(string, int) float64 { return 0.5 }}
	if err := Run(context.Background(), p, dir, ex, nil); err != nil {
		t.Fatal(err)
	}
	// More workers: the same sweep.
	p2 := planOf(t, text+"resources: {workers: 1}\n")
	if err := Run(context.Background(), p2, dir, ex, nil); err != nil {
		t.Errorf("same sweep with other resources: %v", err)
	}
	p3 := planOf(t, strings.Replace(text, "1e-3", "2e-3", 1))
	ex.calls = nil
	err := Run(context.Background(), p3, dir, ex, nil)
	want := fmt.Sprintf(`sweep: %s was made from another sweep file than %s (resolved sweep line 15: "values: [\"1e-3\"]" in the directory's sweep.yaml, "values: [\"2e-3\"]" in %s); choose another --dir or remove it`,
		dir, p3.Spec.File, p3.Spec.File)
	if err == nil || err.Error() != want {
		t.Errorf("another sweep in the same directory:\n got %v\nwant %s", err, want)
	}
	if len(ex.calls) != 0 {
		t.Errorf("trials ran: %v", ex.calls)
	}
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess(os.Args[0], []string{os.Args[0], "-test.run=^$"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestSweepLostWorkerIsInterruptedAndResumed(t *testing.T) {
	p := planOf(t, "name: lost\n"+tinySweepBase+"parameters:\n  train.lr: {values: [1e-3, 2e-3]}\n")
	dir := filepath.Join(t.TempDir(), "s")
	ex := &scriptExecutor{acc: func(string, int) float64 { return 0.5 }}
	if err := Run(context.Background(), p, dir, ex, nil); err != nil {
		t.Fatal(err)
	}
	// A crash of the machine: t0001 stays "running" with a process that
	// no longer exists.
	host, _ := os.Hostname()
	if err := WriteStatus(dir, "t0001", Status{State: StateRunning, Epochs: 1, Host: host, PID: deadPID(t)}); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if want := map[string]string{"t0000": StateDone, "t0001": StateInterrupted}[r.Trial.ID]; r.State != want {
			t.Errorf("report: %s is %s, want %s", r.Trial.ID, r.State, want)
		}
	}
	ex.calls = nil
	if err := Run(context.Background(), p, dir, ex, nil); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ex.calls) != "[[{t0001 2}]]" {
		t.Errorf("resume ran %v, want only t0001", ex.calls)
	}
	// An executor that returns without the trial recording an outcome:
	// failed, not a gap.
	if err := WriteStatus(dir, "t0001", Status{State: StateRunning, Epochs: 1, Host: host, PID: deadPID(t)}); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), p, dir, nopExecutor{}, nil); err != nil {
		t.Fatal(err)
	}
	st, _ := ReadStatus(dir, "t0001")
	if st.State != StateFailed || st.Error != "the trial's process ended without recording an outcome" {
		t.Errorf("t0001 after a silent executor: %+v", st)
	}
}

type nopExecutor struct{}

func (nopExecutor) Execute(context.Context, string, []Job) error { return nil }

func TestTrialStatusFile(t *testing.T) {
	dir := t.TempDir()
	st, err := ReadStatus(dir, "t0000")
	if err != nil || st.State != StatePending {
		t.Fatalf("missing status: %+v, %v; want pending", st, err)
	}
	in := Status{State: StateFailed, Epochs: 2, Error: "x", Host: "h", PID: 7, Job: "12_3"}
	if err := WriteStatus(dir, "t0000", in); err != nil {
		t.Fatal(err)
	}
	b := mustRead(t, filepath.Join(dir, TrialsDir, "t0000", StatusFile))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["started"]; ok {
		t.Errorf("a zero start time is written: %s", b)
	}
	out, err := ReadStatus(dir, "t0000")
	if err != nil || out != in {
		t.Errorf("read back %+v, %v; want %+v", out, err, in)
	}
	if err := os.WriteFile(filepath.Join(dir, TrialsDir, "t0000", StatusFile), []byte(`{"state": "sleeping"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatus(dir, "t0000"); err == nil || !strings.Contains(err.Error(), `unknown state "sleeping"`) {
		t.Errorf("bad state: %v", err)
	}
}

func TestSweepReportSlurmTrials(t *testing.T) {
	p := planOf(t, "name: sl\n"+tinySweepBase+"parameters:\n  train.lr: {values: [1e-3, 2e-3]}\n")
	dir := filepath.Join(t.TempDir(), "s")
	if err := Run(context.Background(), p, dir, &scriptExecutor{acc: func(string, int) float64 { return 0.5 }}, nil); err != nil {
		t.Fatal(err)
	}
	// A trial running under a Slurm task on another node: its pid says
	// nothing here, so the report keeps it running until Slurm is asked.
	if err := WriteStatus(dir, "t0001", Status{State: StateRunning, Epochs: 1, Host: "node7", PID: 1, Job: "41_1"}); err != nil {
		t.Fatal(err)
	}
	rep, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ids := rep.SlurmUnsettled(); fmt.Sprint(ids) != "[t0001]" {
		t.Fatalf("SlurmUnsettled = %v, want [t0001]", ids)
	}
	rep.Update(map[string]Status{"t0001": {State: StateInterrupted, Error: "Slurm task 41_1 ended without a result (state CANCELLED)"}})
	for _, r := range rep.Rows {
		if r.Trial.ID == "t0001" && (r.State != StateInterrupted || !strings.Contains(r.Error, "CANCELLED")) {
			t.Errorf("after Update: %s %q", r.State, r.Error)
		}
	}
}

// detachExecutor submits its trials (records them pending under a job id)
// and returns ErrDetached, as Slurm does with Detach.
type detachExecutor struct{}

func (detachExecutor) Execute(_ context.Context, dir string, jobs []Job) error {
	for i, j := range jobs {
		if err := WriteStatus(dir, j.ID, Status{State: StatePending, Job: fmt.Sprintf("77_%d", i)}); err != nil {
			return err
		}
	}
	return ErrDetached
}

// TestSweepDetached: a sweep whose executor returns right after submitting
// leaves its trials pending (the array still runs them), not failed.
func TestSweepDetached(t *testing.T) {
	p := planOf(t, "name: d\n"+tinySweepBase+`strategy: {name: grid}
parameters:
  train.lr: {values: [1e-3, 2e-3]}
`)
	dir := filepath.Join(t.TempDir(), "sweep")
	if err := Run(context.Background(), p, dir, detachExecutor{}, nil); !errors.Is(err, ErrDetached) {
		t.Fatalf("RunSweep: %v, want ErrDetached", err)
	}
	for _, id := range []string{"t0000", "t0001"} {
		if st, _ := ReadStatus(dir, id); st.State != StatePending || st.Job == "" {
			t.Errorf("%s after a detached submission: %+v, want pending with its job", id, st)
		}
	}
}

// TestExampleSweeps plans the sweep files of the examples folder.
func TestExampleSweeps(t *testing.T) {
	files, _ := filepath.Glob("../examples/sweep-*.yaml")
	if len(files) == 0 {
		t.Fatal("examples: no sweep-*.yaml")
	}
	for _, f := range files {
		if _, err := ReadPlan(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSweepBadSlurmResources(t *testing.T) {
	_, err := ReadPlan(writeSweep(t, "name: s\n"+tinySweepBase+`resources: {slurm: {time: "soon"}}
parameters:
  train.lr: {values: [1e-3]}
`))
	if err == nil || !strings.Contains(err.Error(), `resources.slurm.time "soon"`) {
		t.Fatalf("PlanSweep: %v, want an error naming resources.slurm.time", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
