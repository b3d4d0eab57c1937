package train

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

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
//   - train.epochs: a finished run continues for more epochs (the cosine
//     schedule, whose length is the run's, then spans the new length);
//   - train.patience: early stopping;
//   - train.checkpoint_every: how often a checkpoint is saved inside an epoch;
//   - train.log_every: how often the training loss is recorded;
//   - train.eval_batch_size: the memory of the evaluation (the test loss
//     may differ in its last bits, as it sums other batches);
//   - train.threads: the speed alone (results are the same for any count).
func ResumableKeys() []string { return slices.Clone(resumableKeys) }

var resumableKeys = []string{"name", "out", "data.dir", "data.download", "train.epochs", "train.patience",
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
