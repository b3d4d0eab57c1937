package rundir_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/spikegrad/spikegrad/rundir"
)

// Records appended to metrics.jsonl, one JSON object per line, and read back.
func ExampleMetricsWriter() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "metrics.jsonl")

	w, err := rundir.OpenMetrics(path)
	if err != nil {
		log.Fatal(err)
	}
	w.Write(rundir.Metric{Step: 468, Epoch: 1, Split: rundir.SplitTrain, Name: "loss", Value: 0.53, Wall: 12.3})
	w.Write(rundir.Metric{Step: 468, Epoch: 1, Split: rundir.SplitTest, Name: "accuracy", Value: 0.91, Wall: 13.5})
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	ms, err := rundir.ReadMetrics(path)
	fmt.Println(len(ms), ms[1].Name, ms[1].Value, err)
	// Output:
	// {"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}
	// {"step": 468, "epoch": 1, "split": "test", "name": "accuracy", "value": 0.91, "wall": 13.5}
	// 2 accuracy 0.91 <nil>
}

// The name of a new run's directory: the run's name and its start time.
func ExampleDirName() {
	start := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	fmt.Println(filepath.Join("runs", rundir.DirName("mnist-tutorial", start), rundir.LastCheckpoint))
	// Output:
	// runs/mnist-tutorial-20250314-093000/checkpoints/last.safetensors
}
