package rundir

import "time"

// Files and folders of a run directory, relative to it.
const (
	ConfigFile     = "config.yaml"                  // the resolved config the run uses
	MetricsFile    = "metrics.jsonl"                // one Metric per line
	CheckpointDir  = "checkpoints"                  // holds LastCheckpoint and BestCheckpoint
	LastCheckpoint = "checkpoints/last.safetensors" // the checkpoint a resumed run continues from
	BestCheckpoint = "checkpoints/best.safetensors" // the checkpoint of the best test accuracy so far
	ModelDir       = "model"                        // holds the final model, ModelWeights and ModelArch
	ModelWeights   = "model/weights.safetensors"    // the final model's weights
	ModelArch      = "model/model.json"             // the final model's architecture
	PlotsDir       = "plots"                        // the figures drawn from the run's files
)

// The splits of a metrics record: what data a value was measured on.
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

// dirTime is the layout of the time in a run directory's name.
const dirTime = "20060102-150405"

// DirName returns the name of a new run directory for a run called name
// started at t: "<name>-<YYYYMMDD>-<hhmmss>", such as
// "mnist-tutorial-20250314-093000", in t's location. Names sort by start
// time within one name.
func DirName(name string, t time.Time) string {
	return name + "-" + t.Format(dirTime)
}
