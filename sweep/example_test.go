package sweep_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spikegrad/spikegrad/sweep"
)

// A grid of two learning rates and two surrogate slopes over the default
// Randman run: ReadPlan checks every trial's config before anything runs.
// sweep.Run(ctx, plan, dir, &sweep.Local{}, os.Stderr) would run the
// trials, and sweep.ReadReport(dir) rank them.
func ExampleReadPlan() {
	dir, err := os.MkdirTemp("", "sweep")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "sweep.yaml")
	err = os.WriteFile(file, []byte(`name: lr-slope
base: {train: {epochs: 3}}
strategy: {name: grid}
parameters:
  train.lr: {values: [1e-3, 3e-3]}
  model.surrogate_params.slope: {range: [10, 20], step: 10}
`), 0o644)
	if err != nil {
		log.Fatal(err)
	}
	plan, err := sweep.ReadPlan(file)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range plan.Trials {
		fmt.Println(t.ID, t.Params["train.lr"], t.Params["model.surrogate_params.slope"])
	}
	fmt.Println("epochs per rung:", plan.Rungs)
	// Output:
	// t0000 1e-3 10
	// t0001 1e-3 20
	// t0002 3e-3 10
	// t0003 3e-3 20
	// epochs per rung: [3]
}
