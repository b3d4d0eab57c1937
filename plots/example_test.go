package plots_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/plots"
	"github.com/spikegrad/spikegrad/rundir"
)

// A training command calls SaveRunPlots on the run directory at the end of
// every epoch; the figures are replaced atomically.
func ExampleSaveRunPlots() {
	runDir, err := os.MkdirTemp("", "run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(runDir)
	metrics, err := os.ReadFile("testdata/run3/metrics.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, "metrics.jsonl"), metrics, 0o644); err != nil {
		log.Fatal(err)
	}

	paths, err := plots.SaveRunPlots(runDir)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range paths {
		rel, _ := filepath.Rel(runDir, p)
		fmt.Println(rel)
	}
	// Output:
	// plots/loss.png
	// plots/loss.svg
	// plots/accuracy.png
	// plots/accuracy.svg
	// plots/rates.png
	// plots/rates.svg
	// plots/samples_per_s.png
	// plots/samples_per_s.svg
	// plots/lr.png
	// plots/lr.svg
}

// Learning curves of several runs overlaid, against wall time.
func ExampleLearningCurves() {
	ms, err := rundir.ReadMetrics("testdata/run3/metrics.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	spe, _ := plots.StepsPerEpoch(ms)
	fmt.Printf("%d records, %g steps per epoch\n", len(ms), spe)

	runs := []plots.Run{
		{Label: "baseline", Metrics: ms},
		{Label: "same run again", Metrics: ms},
	}
	figs, err := plots.LearningCurves(runs, plots.CurveOptions{X: plots.ByWall})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "curves")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, f := range figs {
		if err := f.Save(filepath.Join(dir, f.Name+".svg")); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %q, x: %q, y: %q\n", f.Name, f.Plot.Title.Text, f.Plot.X.Label.Text, f.Plot.Y.Label.Text)
	}
	// Output:
	// 432 records, 50 steps per epoch
	// loss: "Loss", x: "wall time (s)", y: "loss"
	// accuracy: "Accuracy", x: "wall time (s)", y: "accuracy (%)"
}

// The figures of a network's activity take plain slices: here a layer of
// three neurons over four steps, [T][N].
func ExampleSpikeRaster() {
	spikes := [][]float32{
		{1, 0, 0},
		{0, 0, 1},
		{1, 0, 0},
		{0, 0, 1},
	}
	f, err := plots.SpikeRaster("lif1", spikes, plots.TimeStep{Dt: 1, Unit: "ms"})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "raster")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := f.Save(filepath.Join(dir, f.Name+".png")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Name)
	fmt.Println(f.Plot.X.Label.Text, "/", f.Plot.Y.Label.Text)
	fmt.Println(f.Notes[0])
	// Output:
	// raster_lif1
	// time (ms) / neuron index
	// 4 spikes in 4 steps × 3 neurons: 33.33 % of neuron-steps; 1 of 3 neurons silent
}
