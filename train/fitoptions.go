package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/spikegrad/spikegrad/optim"
)

// FitOption changes how Fit trains; pass any number of them. Later options
// override earlier ones.
type FitOption func(*fitSettings)

// fitSettings are Fit's options after applying them.
type fitSettings struct {
	runDir, out, name string
	resume            bool
	epochs            int
	batchSize         int
	dropLast          bool
	bucket            int
	seed              uint64
	evalBatchSize     int
	logEvery          int
	clip              float64
	patience          int
	schedule          optim.Schedule
	plateau           *optim.PlateauConfig
	plateauMetric     Monitor
	checkpointEvery   int
	bptt              BPTT
	bpttWindow        int
	maxSteps          int
	threads           int
	log               io.Writer
	progress          ProgressMode
	now               func() time.Time
	config            *Config // the config of a run of Run, recorded and compared on resume
	errs              []error
}

// defaultSettings are DefaultConfig's where the config has the setting.
func defaultSettings() fitSettings {
	l := DefaultConfig().Train
	return fitSettings{out: "runs", name: "run", epochs: l.Epochs, batchSize: l.BatchSize, logEvery: l.LogEvery,
		log: io.Discard, progress: ProgressOff, now: time.Now}
}

func (s *fitSettings) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf("train: Fit: "+format, args...))
}

// check reports the options given out of range, and those that do not go
// together.
func (s *fitSettings) check() error {
	if s.schedule != nil && s.plateau != nil {
		s.fail("WithSchedule and WithPlateau both set the learning rate: choose one")
	}
	if s.resume && s.runDir == "" {
		s.fail("Resume needs the run directory: WithRunDir(dir)")
	}
	switch {
	case s.bptt > BPTTTruncated:
		s.fail("WithBPTT: unknown mode %v", s.bptt)
	case s.bpttWindow < 0:
		s.fail("WithBPTT(%v, %d): the window must be >= 0", s.bptt, s.bpttWindow)
	case s.bptt == BPTTFull && s.bpttWindow != 0:
		s.fail("WithBPTT(%v, %d): full backpropagation through time has no window; give 0", s.bptt, s.bpttWindow)
	case s.bptt == BPTTTruncated && s.bpttWindow == 0:
		s.fail("WithBPTT(%v, 0): truncation needs the window's length in time steps, at least 1", s.bptt)
	}
	return errors.Join(s.errs...)
}

// evalBatch is the evaluation batch size: EvalBatchSize, or BatchSize.
func (s *fitSettings) evalBatch() int {
	if s.evalBatchSize > 0 {
		return s.evalBatchSize
	}
	return s.batchSize
}

// record is what a checkpoint records of the settings that change the
// computation, as JSON, for a resume to compare: the options named as the
// functions that set them. The others (Epochs, EarlyStopping, LogEvery,
// EvalBatchSize, CheckpointEvery, Threads, WithLog, MaxSteps, the run
// directory) may change on resume.
func (s *fitSettings) record(data *DataSplits) (string, error) {
	plateau := "none"
	if s.plateau != nil {
		plateau = fmt.Sprintf("%+v on %v", *s.plateau, s.plateauMetric)
	}
	m := map[string]string{
		"BatchSize":    fmt.Sprint(s.batchSize),
		"DropLast":     fmt.Sprint(s.dropLast),
		"Seed":         fmt.Sprint(s.seed),
		"ClipGradNorm": fmt.Sprint(s.clip),
		"WithSchedule": describeValue(s.schedule),
		"WithPlateau":  plateau,
		"data.Steps":   fmt.Sprint(data.Steps),
	}
	if s.bucket > 1 { // absent when off, as in checkpoints written before BucketByLength
		m["BucketByLength"] = fmt.Sprint(s.bucket)
	}
	if s.bptt != BPTTFull { // absent for full BPTT, as in checkpoints written before WithBPTT
		m["WithBPTT"] = fmt.Sprintf("%v, window %d", s.bptt, s.bpttWindow)
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// describeValue prints a value for a comparison across processes: its
// String method, or its fields; for a function or a pointer only its type,
// as an address would differ in every process.
func describeValue(v any) string {
	if v == nil {
		return "none"
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Func, reflect.Pointer, reflect.Chan, reflect.UnsafePointer, reflect.Map, reflect.Slice:
		return fmt.Sprintf("%T", v)
	}
	return fmt.Sprintf("%T%+v", v, v)
}

// intOption is the option that sets a whole-number setting n >= lo.
func intOption(name string, n, lo int, set func(*fitSettings, int)) FitOption {
	return func(s *fitSettings) {
		if n < lo {
			s.fail("%s(%d): must be >= %d", name, n, lo)
		}
		set(s, n)
	}
}

// WithRunDir makes dir the run directory: a new one (or an existing empty
// folder), or with Resume the run to continue.
func WithRunDir(dir string) FitOption {
	return func(s *fitSettings) { s.runDir = dir }
}

// WithRunName makes the run directory <out>/<name>-<date>-<time>, made anew
// (default runs/run-<date>-<time>). WithRunDir takes precedence.
func WithRunName(out, name string) FitOption {
	return func(s *fitSettings) {
		if out == "" || name == "" {
			s.fail("WithRunName(%q, %q): both must be non-empty", out, name)
		}
		s.out, s.name = out, name
	}
}

// Resume continues the run in the WithRunDir directory from its last
// checkpoint, bit-identically to a run that was never stopped; the
// network, optimizer and objective must be built as for the first session
// (a checkpoint of another architecture, or settings that change the
// computation, are refused with an error naming them). A run stopped before
// its first checkpoint starts over from step 0 in the same directory. A
// finished run trains no more and reports its results, unless Epochs asks
// for more.
func Resume() FitOption {
	return func(s *fitSettings) { s.resume = true }
}

// Epochs sets the number of passes over the training set (default 5).
func Epochs(n int) FitOption {
	return intOption("Epochs", n, 1, func(s *fitSettings, n int) { s.epochs = n })
}

// BatchSize sets the samples per optimizer step (default 128).
func BatchSize(n int) FitOption {
	return intOption("BatchSize", n, 1, func(s *fitSettings, n int) { s.batchSize = n })
}

// DropLast skips the last, smaller batch of each epoch.
func DropLast() FitOption {
	return func(s *fitSettings) { s.dropLast = true }
}

// BucketByLength batches a training set of sequences of their own lengths
// (datasets.VarLen) by similar lengths, so that batches carry little
// padding: datasets.LoaderConfig.Bucket = k (runs of k batches sorted by
// length, then the batches shuffled). 0 or 1 is off, the default; other
// datasets ignore it.
func BucketByLength(k int) FitOption {
	return intOption("BucketByLength", k, 0, func(s *fitSettings, k int) { s.bucket = k })
}

// Seed seeds the random source of the batch order and of a stochastic
// encoding's noise (default 0).
func Seed(seed uint64) FitOption {
	return func(s *fitSettings) { s.seed = seed }
}

// EvalBatchSize sets the samples per batch of the test-set evaluation
// (default: BatchSize); larger batches need more memory.
func EvalBatchSize(n int) FitOption {
	return intOption("EvalBatchSize", n, 1, func(s *fitSettings, n int) { s.evalBatchSize = n })
}

// LogEvery records the training loss, averaged over the steps since the
// last record, every n steps (default 10).
func LogEvery(n int) FitOption {
	return intOption("LogEvery", n, 1, func(s *fitSettings, n int) { s.logEvery = n })
}

// ClipGradNorm scales the gradients before each step so that their global
// norm is at most c (optim.ClipGradNorm; 0, the default: no clipping).
func ClipGradNorm(c float64) FitOption {
	return func(s *fitSettings) {
		if !(c >= 0) || c > 1e308 {
			s.fail("ClipGradNorm(%g): must be finite and >= 0", c)
		}
		s.clip = c
	}
}

// EarlyStopping stops the run after patience epochs without a better test
// accuracy (0, the default: never).
func EarlyStopping(patience int) FitOption {
	return intOption("EarlyStopping", patience, 0, func(s *fitSettings, n int) { s.patience = n })
}

// WithSchedule sets the learning rate before each optimizer step t (0, 1,
// … counted over the whole run) to sched.LR(t). Without it (and without
// WithPlateau) the optimizer's rate stays as configured.
func WithSchedule(sched optim.Schedule) FitOption {
	return func(s *fitSettings) { s.schedule = sched }
}

// WithPlateau lowers the learning rate when the test metric m has stopped
// improving, checked after every epoch (optim.ReduceLROnPlateau with cfg,
// whose Mode must be optim.Min for the test loss and optim.Max for the test
// accuracy). Its state is part of the checkpoints.
func WithPlateau(cfg optim.PlateauConfig, m Monitor) FitOption {
	return func(s *fitSettings) {
		if m != MonitorTestLoss && m != MonitorTestAccuracy {
			s.fail("WithPlateau: unknown metric %v", m)
		} else if cfg.Mode != m.mode() {
			s.fail("WithPlateau: %v improves in mode %v, the config has mode %v", m, m.mode(), cfg.Mode)
		}
		s.plateau, s.plateauMetric = &cfg, m
	}
}

// CheckpointEvery also saves the last checkpoint every n optimizer steps
// inside an epoch, so that a crash loses at most n steps (0, the default:
// at each epoch's end only). Checkpoints are written atomically: a process
// killed at any moment leaves the previous one or the new one.
func CheckpointEvery(n int) FitOption {
	return intOption("CheckpointEvery", n, 0, func(s *fitSettings, n int) { s.checkpointEvery = n })
}

// MaxSteps stops the run after n optimizer steps in total, saving a
// checkpoint as on interruption (0, the default: no limit). For tests and
// benchmarks.
func MaxSteps(n int) FitOption {
	return intOption("MaxSteps", n, 0, func(s *fitSettings, n int) { s.maxSteps = n })
}

// Threads sets the kernels' thread count for the run (0, the default:
// leave the setting as it is). The count is one setting of the process
// (autograd.SetThreads), not of a run: while runs that set it overlap in
// one process, the kernels use the largest count any of them asked for,
// and when the last of them ends the setting from before the first comes
// back. Results do not depend on it, only the speed.
func Threads(n int) FitOption {
	return intOption("Threads", n, 0, func(s *fitSettings, n int) { s.threads = n })
}

// BPTT selects how a training step backpropagates through time (see
// WithBPTT); the config key train.bptt names it.
type BPTT uint8

const (
	// BPTTFull runs the network over the whole sequence and keeps every
	// step on the tape (the default).
	BPTTFull BPTT = iota
	// BPTTCheckpoint is gradient checkpointing over time
	// (layers.Windows.Checkpoint): full BPTT's gradients with memory for
	// one window and the states at the window boundaries, at the cost of a
	// second forward pass.
	BPTTCheckpoint
	// BPTTTruncated is truncated BPTT (layers.Windows.Truncate): the state
	// is carried between windows but detached, so no gradient crosses a
	// window boundary. The loss still reads every step.
	BPTTTruncated
)

var bpttNames = [...]string{"full", "checkpoint", "truncated"}

// String returns the config name: "full", "checkpoint" or "truncated".
func (m BPTT) String() string {
	if int(m) < len(bpttNames) {
		return bpttNames[m]
	}
	return fmt.Sprintf("BPTT(%d)", uint8(m))
}

// ParseBPTT returns the BPTT named s.
func ParseBPTT(s string) (BPTT, error) {
	for i, n := range bpttNames {
		if n == s {
			return BPTT(i), nil
		}
	}
	return 0, fmt.Errorf("unknown bptt %q (allowed: full, checkpoint, truncated)", s)
}

// WithBPTT sets how each training step backpropagates through time: mode
// BPTTCheckpoint or BPTTTruncated runs the sequence in windows of window
// time steps (layers.Sequential.ForwardWindows); window 0 with
// BPTTCheckpoint is ⌈√T⌉ for a batch of T steps, which keeps the fewest
// values (T/K states plus one window of K steps). BPTTFull, the default,
// takes window 0. The network must have a ForwardWindows method like
// layers.Sequential's, and its layers must all run in windows
// (layers.Sequential.CheckWindows); Fit refuses it otherwise. When the
// objective reads hidden layers (Classification with a rate regulariser,
// or any Objective that is not a Classification), the windows keep every
// neuron layer's output over all steps for it (layers.Windows.KeepOutputs).
// Checkpointing gives full BPTT's gradients up to float32 rounding (the
// sums over time of a weight's gradient are added window by window); the
// mode is part of what a resume compares.
func WithBPTT(mode BPTT, window int) FitOption {
	return func(s *fitSettings) { s.bptt, s.bpttWindow = mode, window }
}

// WithLog reports progress and messages on w (usually os.Stderr) in the
// given mode (default: nothing).
func WithLog(w io.Writer, mode ProgressMode) FitOption {
	return func(s *fitSettings) {
		if w == nil {
			w = io.Discard
		}
		s.log, s.progress = w, mode
	}
}

// WithClock replaces time.Now as the run's clock (wall times and
// throughput in the metrics); tests fix it.
func WithClock(now func() time.Time) FitOption {
	return func(s *fitSettings) {
		if now != nil {
			s.now = now
		}
	}
}

// withConfig records the config of a run of Run: written to config.yaml,
// stored in the checkpoints, and compared key by key on resume.
func withConfig(c *Config) FitOption {
	return func(s *fitSettings) { s.config = c }
}
