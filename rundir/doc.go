// Package rundir is the contract of a training run's directory: the names of
// its files, the name of a new run's directory, and metrics.jsonl, the
// record of what the run measured, with its one writer and one reader. The
// training loop writes a run directory; the plots, sweep reports and
// anything else that reads one (a notebook, an exported model) go through
// this package, so the files are named and parsed in one place.
//
// # The run directory
//
// A run named name and started at time t writes the folder
// <name>-<YYYYMMDD>-<hhmmss> (DirName) inside its config's output folder:
//
//	config.yaml                   ConfigFile: the resolved config the run uses
//	metrics.jsonl                 MetricsFile: one Metric per line
//	checkpoints/last.safetensors  LastCheckpoint: what a resumed run continues from
//	checkpoints/best.safetensors  BestCheckpoint: the best test accuracy so far
//	model/weights.safetensors     ModelWeights: the final weights
//	model/model.json              ModelArch: the final model's architecture
//	plots/                        PlotsDir: figures drawn from the files above
//
// Weights and checkpoints are safetensors files (package safetensors).
// Every file that is replaced rather than appended to is written
// atomically: a temporary file in the same folder, synced and renamed over
// the old one, so that after a crash a reader finds the old file or the
// complete new one.
//
// # metrics.jsonl
//
// Each line is one JSON object, a Metric, with the keys in this order:
//
//	{"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}
//
// step counts optimizer steps from 0, epoch counts completed epochs, split
// is "train" or "test" (SplitTrain, SplitTest), name names the metric
// ("loss", "accuracy", "samples_per_s", "lr", "rate/<layer>", ...), value
// is the measurement, and wall is seconds since the run started,
// continuing across resumes. JSON has no NaN or infinity: a value that is
// not finite (a diverged loss) is written as null and reads back as NaN.
// Numbers are written in the shortest decimal form that reads back to the
// same float64, as JavaScript writes them, so the bytes of a record depend
// on its values only.
//
// A MetricsWriter (OpenMetrics) appends records, each one line in one
// write, so that a crash loses at most the line being written. ReadMetrics
// reads a file. It is strict, so that a file one program accepts every
// program accepts: any line that is not exactly a record (a blank line, an
// unknown, missing or repeated key, a value of the wrong type, a split
// other than "train" or "test") is a *LineError whose message reads
// "path:line: what is wrong". The one exception keeps a crashed run
// readable: a last line without its newline that is not a complete record
// was torn by the crash and is ignored. A file without any record is an
// error wrapping ErrNoMetrics.
//
// # Resuming
//
// A run resumed from the checkpoint of step s calls TruncateMetrics(path,
// s), which drops the records logged after that checkpoint (and a torn last
// line), and then OpenMetrics, which also repairs a last line left without
// its newline. The records after the checkpoint are then logged again by
// the resumed run, and the file ends up as an uninterrupted run's, apart
// from the wall times.
//
// # Examples
//
// ExampleMetricsWriter writes records and reads them back; ExampleDirName
// names a new run's directory.
package rundir
