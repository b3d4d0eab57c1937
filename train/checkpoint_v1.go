package train

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spikegrad/spikegrad/rundir"
)

// Version 1 of the checkpoint layout kept each of the loop's counters under
// a metadata key of its own and the config as the hash of config.yaml.
// These are its keys; a run saved in it resumes through loopStateV1 and
// configV1.
const (
	metaV1ConfigHash = "config_hash" // SHA-256 of the run's config.yaml when saved, hexadecimal
	metaV1Shuffle    = "rng.shuffle" // the shuffle source at the start of the epoch, hexadecimal
)

// loopStateV1 reads the loop state of a version-1 checkpoint: its counters
// and sums, each a decimal string under its own key.
func loopStateV1(ck *Checkpoint) (*loopState, error) {
	st := &loopState{}
	for key, p := range map[string]*int{"step": &st.Step, "epoch": &st.Epoch, "epoch_step": &st.EpochStep,
		"epoch_correct": &st.EpochCorrect, "epoch_seen": &st.EpochSeen, "log_steps": &st.LogSteps,
		"epochs_since_best": &st.SinceBest} {
		v, err := ck.MetaInt(key)
		if err != nil {
			return nil, err
		}
		*p = int(v)
	}
	for key, p := range map[string]*jsonFloat{"wall": &st.Wall, "best_accuracy": &st.Best, "epoch_loss_sum": &st.EpochLoss,
		"log_loss_sum": &st.LogLoss, "test_accuracy": &st.TestAccuracy, "test_loss": &st.TestLoss} {
		s, ok := ck.Meta[key]
		v, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("train: %s: metadata %q = %q is not a number", ck.where(), key, s)
		}
		*p = jsonFloat(v)
	}
	b, err := hex.DecodeString(ck.Meta[metaV1Shuffle])
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("train: %s: metadata %q: not a random source's state", ck.where(), metaV1Shuffle)
	}
	st.Shuffle = b
	return st, nil
}

// configV1 returns the config a version-1 checkpoint was saved with: the
// run directory's config.yaml, provided its hash is the checkpoint's
// (version 1 rewrote config.yaml to the config of each resumed session and
// recorded its hash in every checkpoint).
func configV1(ck *Checkpoint, dir string) (*Config, error) {
	path := filepath.Join(dir, rundir.ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: the config of %s: %w", ck.Path, err)
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != ck.Meta[metaV1ConfigHash] {
		return nil, fmt.Errorf("train: %s is not the config that %s was saved with (its %q differs): the run's config is not known", path, ck.Path, metaV1ConfigHash)
	}
	c := DefaultConfig()
	if err := c.ReadYAML(b, path); err != nil {
		return nil, err
	}
	return &c, nil
}
