package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spikegrad/spikegrad/layers"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/rundir"
)

// ResumableKeys returns the config keys that may differ when a run is resumed
// (spikegrad train --resume DIR --train.epochs 10): they do not change what
// a step computes. Every other key (the seed, the data and model sections,
// the batch size, the optimizer and its rates, the schedule, the loss, the
// read-out, the regularisers, gradient clipping) must be as the run was
// started, or Run refuses the resume with a *ResumeError.
//
//   - name, out: where new runs go;
//   - data.dir, data.download: where the dataset's files are found (their
//     checksums are the dataset's);
//   - data.cache, data.cache_dir: whether and where converted frames are
//     kept (a cached frame is the frame converted again, bit for bit);
//   - train.epochs: a finished run continues for more epochs (the cosine
//     schedule, whose length is the run's, then spans the new length);
//   - train.patience: early stopping;
//   - train.checkpoint_every: how often a checkpoint is saved inside an epoch;
//   - train.log_every: how often the training loss is recorded;
//   - train.eval_batch_size: the memory of the evaluation (the test loss
//     may differ in its last bits, as it sums other batches);
//   - train.threads: the speed alone (results are the same for any count).
func ResumableKeys() []string { return slices.Clone(resumableKeys) }

var resumableKeys = []string{"name", "out", "data.dir", "data.download", "data.cache", "data.cache_dir", "train.epochs", "train.patience",
	"train.checkpoint_every", "train.log_every", "train.eval_batch_size", "train.threads"}

// MetaConfig and MetaSettings are the checkpoint metadata keys of what a
// run was started with: the resolved config (YAML) of a run of Run, or
// Fit's options that change the computation (JSON).
const (
	MetaConfig   = "config"
	MetaSettings = "fit_settings"
)

// ResumeError is a resume refused because the config (or Fit's options)
// differs from the run's in keys that change the computation. The run
// directory is left as it was.
type ResumeError struct {
	Dir        string
	Checkpoint string
	Options    bool // the changes are of Fit's options, not of a config
	Changes    []KeyChange
}

// KeyChange is one key whose value differs: Old is the run's, New the one
// given to the resume.
type KeyChange struct {
	Key, Old, New string
}

// Error returns the message of the ResumeError: every key that differs,
// one per line.
func (e *ResumeError) Error() string {
	var b strings.Builder
	what := "config"
	if e.Options {
		what = "options"
	}
	fmt.Fprintf(&b, "the %s differs from the one the run was trained with (%s) in keys that change the computation:", what, e.Checkpoint)
	for _, c := range e.Changes {
		fmt.Fprintf(&b, "\n  %s: %s -> %s", c.Key, quoteEmpty(c.Old), quoteEmpty(c.New))
	}
	if e.Options {
		b.WriteString("\nresume with the options of the run, or start a new run")
	} else {
		fmt.Fprintf(&b, "\nresume with the run's config (%s), or start a new run; only %s may change on resume",
			rundir.ConfigFile, strings.Join(resumableKeys, ", "))
	}
	return b.String()
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// checkSettings compares what the checkpoint's run was started with to
// what this session was given; v1 is a checkpoint of version 1, which
// recorded its config as the hash of config.yaml.
func (f *fitter) checkSettings(ck *Checkpoint, v1 bool) error {
	var changes []KeyChange
	isOptions := f.s.config == nil
	switch {
	case !isOptions:
		old, err := checkpointConfig(ck, f.dir, v1)
		if err != nil {
			return err
		}
		changes = configChanges(old, f.s.config)
	case v1:
		return fmt.Errorf("%s is a checkpoint of version 1, which only Run wrote: resume it with Run", ck.Path)
	default:
		js, ok := ck.Meta[MetaSettings]
		if !ok {
			return fmt.Errorf("%s: metadata %q missing: the run was started from a config; resume it with Run", ck.where(), MetaSettings)
		}
		var old, now map[string]string
		if err := json.Unmarshal([]byte(js), &old); err != nil {
			return fmt.Errorf("%s: metadata %q: %w", ck.where(), MetaSettings, err)
		}
		if err := json.Unmarshal([]byte(f.settings), &now); err != nil {
			return err
		}
		changes = mapChanges(old, now)
	}
	if len(changes) > 0 {
		return &ResumeError{Dir: f.dir, Checkpoint: ck.Path, Options: isOptions, Changes: changes}
	}
	return nil
}

// checkpointConfig returns the config a checkpoint was saved with.
func checkpointConfig(ck *Checkpoint, dir string, v1 bool) (*Config, error) {
	if v1 {
		return configV1(ck, dir)
	}
	y, ok := ck.Meta[MetaConfig]
	if !ok {
		return nil, fmt.Errorf("%s: metadata %q missing: the run was not started from a config", ck.where(), MetaConfig)
	}
	old := DefaultConfig()
	if err := old.ReadYAML([]byte(y), ck.Path+" (metadata "+strconv.Quote(MetaConfig)+")"); err != nil {
		return nil, err
	}
	return &old, nil
}

// configChanges lists the keys other than ResumableKeys whose values differ
// between two configs, in file order.
func configChanges(old, now *Config) []KeyChange {
	var out []KeyChange
	oo, no := old.Options(), now.Options()
	for i := range oo {
		if oo[i].Default != no[i].Default && !slices.Contains(resumableKeys, oo[i].Key) {
			out = append(out, KeyChange{Key: oo[i].Key, Old: oo[i].Default, New: no[i].Default})
		}
	}
	return out
}

// mapChanges lists the keys whose values differ between two maps, sorted.
func mapChanges(old, now map[string]string) []KeyChange {
	var out []KeyChange
	keys := slices.Sorted(maps.Keys(old))
	for k := range now {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		o, ok1 := old[k]
		n, ok2 := now[k]
		if o != n || ok1 != ok2 {
			out = append(out, KeyChange{Key: k, Old: o, New: n})
		}
	}
	return out
}

// runEntries are the entries a run directory may hold.
var runEntries = []string{rundir.ConfigFile, rundir.MetricsFile, rundir.CheckpointDir, rundir.ModelDir, rundir.PlotsDir}

// startOver restarts, from step 0, a run that was stopped (killed) before
// its first checkpoint: in a folder that holds nothing but such a run's
// files, it removes its metrics and a best checkpoint without a last one,
// and begins again.
func (f *fitter) startOver() error {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return fmt.Errorf("no run there: %w", err)
	}
	for _, e := range entries {
		if !slices.Contains(runEntries, e.Name()) && !isTemp(e.Name()) {
			return fmt.Errorf("no checkpoint (%s) to resume from, and the folder holds %s, which is not a file of a run: give the run directory", rundir.LastCheckpoint, e.Name())
		}
	}
	removeTemps(f.dir)
	for _, name := range []string{rundir.MetricsFile, rundir.BestCheckpoint} {
		if err := os.Remove(filepath.Join(f.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	f.prog.line("%s holds no checkpoint yet: starting the run over from step 0", f.dir)
	return f.begin()
}

// isTemp reports a temporary file of an atomic write (a hidden file with
// ".tmp" in its name: "." + name + ".tmp…" of internal/atomicfile).
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp")
}

// removeTemps removes the temporary files that a process killed while
// writing a run's files leaves behind.
func removeTemps(dir string) {
	for _, d := range []string{"", rundir.CheckpointDir, rundir.ModelDir, rundir.PlotsDir} {
		entries, _ := os.ReadDir(filepath.Join(dir, d))
		for _, e := range entries {
			if isTemp(e.Name()) && e.Type().IsRegular() {
				os.Remove(filepath.Join(dir, d, e.Name()))
			}
		}
	}
}

// resumeFrom restores the run from its last checkpoint, after checking
// that the checkpoint belongs to this network and these settings.
func (f *fitter) resumeFrom(ck *Checkpoint) error {
	v1 := ck.Meta[MetaVersion] == "1" // the earlier layout: a key per counter
	if err := f.checkSettings(ck, v1); err != nil {
		return err
	}
	if got, ok := ck.Meta[MetaArchitecture]; f.arch != "" && ok && canonicalArchitecture(got) != f.arch {
		return fmt.Errorf("the checkpoint %s holds another architecture than the network:\ncheckpoint: %s\nnetwork:    %s",
			ck.Path, compactJSON(got), compactJSON(f.arch))
	}
	st, err := checkpointLoop(ck, v1)
	if err != nil {
		return err
	}
	if (st.Plateau != nil) != (f.plateau != nil) {
		return fmt.Errorf("%s: the run was trained %s ReduceLROnPlateau", ck.where(), map[bool]string{true: "with", false: "without"}[st.Plateau != nil])
	}
	if err := f.shuffle.UnmarshalBinary(st.Shuffle); err != nil {
		return fmt.Errorf("%s: the random source: %w", ck.where(), err)
	}
	if f.plateau != nil {
		p := st.Plateau
		if err := f.plateau.SetState(optim.PlateauState{Best: float64(p.Best), BadEpochs: p.BadEpochs,
			CooldownLeft: p.CooldownLeft, Epochs: p.Epochs}); err != nil {
			return fmt.Errorf("%s: %w", ck.where(), err)
		}
	}
	if err := ck.Restore(f.params); err != nil {
		return err
	}
	if err := ck.RestoreOptimizer(f.opt); err != nil {
		return err
	}
	f.st, f.wall0 = *st, float64(st.Wall)
	removeTemps(f.dir)
	if err := rundir.TruncateMetrics(filepath.Join(f.dir, rundir.MetricsFile), f.st.Step); err != nil {
		return err
	}
	if c := f.s.config; c != nil {
		// A resume may change a key of ResumableKeys (more epochs):
		// config.yaml stays the config the run uses.
		path := filepath.Join(f.dir, rundir.ConfigFile)
		if old, err := os.ReadFile(path); err != nil || string(old) != f.settings {
			if err := writeConfig(path, c); err != nil {
				return err
			}
			f.prog.line("%s updated to the config of the resumed run", path)
		}
	}
	f.prog.line("resuming %s at epoch %d, step %d", f.dir, f.st.Epoch+1, f.st.Step)
	return nil
}

// checkpointLoop reads the loop state of a checkpoint.
func checkpointLoop(ck *Checkpoint, v1 bool) (*loopState, error) {
	if v1 {
		return loopStateV1(ck)
	}
	js, ok := ck.Meta[MetaLoop]
	if !ok {
		return nil, fmt.Errorf("%s: metadata %q missing", ck.where(), MetaLoop)
	}
	st, err := unmarshalLoop(js)
	if err != nil {
		return nil, fmt.Errorf("%s: metadata %q: %w", ck.where(), MetaLoop, err)
	}
	return st, nil
}

func compactJSON(s string) string {
	var b []byte
	for _, c := range []byte(s) {
		if c != '\n' && c != ' ' {
			b = append(b, c)
		}
	}
	return string(b)
}

// canonicalArchitecture returns the architecture JSON of a checkpoint as
// model.Marshal writes the network it describes, so that a checkpoint of an
// earlier model format (or one that omits a default) compares equal to the
// same network. A text that does not build is returned as it is.
func canonicalArchitecture(s string) string {
	m, err := model.Unmarshal([]byte(s))
	if err != nil {
		return s
	}
	net, err := layers.Build(m, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return s
	}
	b, err := model.Marshal(net.Model())
	if err != nil {
		return s
	}
	return string(b)
}
