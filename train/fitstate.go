package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// loopState is everything of Fit's loop that a resumed run needs besides the
// weights and the optimizer: its counters, its sums, its random source and
// the plateau scheduler. A checkpoint holds it as one JSON value under
// MetaLoop, written and read by the same struct, and reading it requires
// every field: a counter added here travels with checkpoints by this one
// edit, and a checkpoint without it is refused instead of resumed wrongly.
// Floats are JSON numbers written exactly (the shortest decimal that reads
// back to the same float64), or the strings "NaN", "+Inf" and "-Inf".
type loopState struct {
	Step      int `json:"step"`       // optimizer steps taken
	Epoch     int `json:"epoch"`      // completed epochs
	EpochStep int `json:"epoch_step"` // batches of the current epoch done

	// Sums over the batches of the current epoch so far, and over the steps
	// since the last logged training loss, so that a run resumed inside an
	// epoch logs what an uninterrupted run logs.
	EpochLoss    jsonFloat `json:"epoch_loss"`
	EpochCorrect int       `json:"epoch_correct"`
	EpochSeen    int       `json:"epoch_seen"`
	LogLoss      jsonFloat `json:"log_loss"`
	LogSteps     int       `json:"log_steps"`

	Best         jsonFloat `json:"best_accuracy"`     // best test accuracy so far; -1 before the first epoch
	SinceBest    int       `json:"epochs_since_best"` // epochs since it improved
	TestAccuracy jsonFloat `json:"test_accuracy"`     // of the last completed epoch
	TestLoss     jsonFloat `json:"test_loss"`
	Wall         jsonFloat `json:"wall"` // seconds since the run started, over all its sessions

	// Shuffle is the state of the random source of batch order and encoding
	// noise at the start of the current epoch (base64 in JSON).
	Shuffle []byte `json:"shuffle"`
	// Plateau is the state of ReduceLROnPlateau, or null without one.
	Plateau *plateauState `json:"plateau"`
}

// plateauState is optim.PlateauState in JSON.
type plateauState struct {
	Best         jsonFloat `json:"best"`
	BadEpochs    int       `json:"bad_epochs"`
	CooldownLeft int       `json:"cooldown_left"`
	Epochs       int       `json:"epochs"`
}

// MetaLoop is the checkpoint metadata key of Fit's loop state: its step
// and epoch counters, sums, random source and scheduler state, as one JSON
// object.
const MetaLoop = "loop"

// jsonFloat is a float64 whose JSON form also holds NaN and infinities.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	case `"+Inf"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Inf"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*f = jsonFloat(v)
	return nil
}

// marshal returns the state's JSON.
func (s *loopState) marshal() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("train: checkpoint: loop state: %w", err)
	}
	return string(b), nil
}

// unmarshalLoop reads the JSON of a loop state, requiring each field of
// loopState (and of its plateau state) and no other.
func unmarshalLoop(js string) (*loopState, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &keys); err != nil {
		return nil, err
	}
	if err := requireFields(reflect.TypeFor[loopState](), keys); err != nil {
		return nil, err
	}
	if p := keys["plateau"]; string(p) != "null" {
		var pk map[string]json.RawMessage
		if err := json.Unmarshal(p, &pk); err != nil {
			return nil, fmt.Errorf("plateau: %w", err)
		}
		if err := requireFields(reflect.TypeFor[plateauState](), pk); err != nil {
			return nil, fmt.Errorf("plateau: %w", err)
		}
	}
	var s loopState
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// requireFields reports the JSON fields of struct type t missing from keys,
// and the keys that are not fields of t.
func requireFields(t reflect.Type, keys map[string]json.RawMessage) error {
	var missing []string
	known := map[string]bool{}
	for i := range t.NumField() {
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		known[name] = true
		if _, ok := keys[name]; !ok {
			missing = append(missing, name)
		}
	}
	var unknown []string
	for k := range keys {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	switch {
	case len(missing) > 0:
		return fmt.Errorf("fields missing: %s (written by another version of spikegrad?)", strings.Join(missing, ", "))
	case len(unknown) > 0:
		return fmt.Errorf("unknown fields: %s (written by another version of spikegrad?)", strings.Join(unknown, ", "))
	}
	return nil
}
