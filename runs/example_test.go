package runs_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/spikegrad/spikegrad/runs"
)

// Records appended to metrics.jsonl, one JSON object per line, and read back.
func ExampleMetricsWriter() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "metrics.jsonl")

	w, err := runs.OpenMetrics(path)
	if err != nil {
		log.Fatal(err)
	}
	w.Write(runs.Metric{Step: 468, Epoch: 1, Split: runs.SplitTrain, Name: "loss", Value: 0.53, Wall: 12.3})
	w.Write(runs.Metric{Step: 468, Epoch: 1, Split: runs.SplitTest, Name: "accuracy", Value: 0.91, Wall: 13.5})
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	ms, err := runs.ReadMetrics(path)
	fmt.Println(len(ms), ms[1].Name, ms[1].Value, err)
	// Output:
	// {"step": 468, "epoch": 1, "split": "train", "name": "loss", "value": 0.53, "wall": 12.3}
	// {"step": 468, "epoch": 1, "split": "test", "name": "accuracy", "value": 0.91, "wall": 13.5}
	// 2 accuracy 0.91 <nil>
}

// The name of a new run's directory: the run's name and its start time.
func ExampleDirName() {
	start := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	fmt.Println(filepath.Join("runs", runs.DirName("mnist-tutorial", start), runs.LastCheckpoint))
	// Output:
	// runs/mnist-tutorial-20250314-093000/checkpoints/last.safetensors
}
