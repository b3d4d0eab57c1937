package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spikegrad/spikegrad/infer"
)

// loadProfiles returns the built-in hardware profiles extended by the
// files given with --profiles, and says on stderr which built-in (or
// earlier) profiles a file replaced.
func loadProfiles(files []string, stderr io.Writer) ([]infer.Profile, error) {
	ps, replaced, err := infer.LoadProfiles(files...)
	if err != nil {
		return nil, err
	}
	for _, r := range replaced {
		fmt.Fprintf(stderr, "profiles: %s replaces the profile of that name\n", r)
	}
	return ps, nil
}

// printEnergy writes the energy per sample on each profile as a table:
// name, energy (a range where the figures give one), what it charges and
// the hardware's title.
func printEnergy(w io.Writer, es []infer.Energy) {
	if len(es) == 0 {
		return
	}
	width := len("profile")
	for _, e := range es {
		width = max(width, len(e.Profile.Name))
	}
	fmt.Fprintf(w, "energy per sample (operations × energy per operation; leakage, memory traffic and I/O not counted):\n")
	fmt.Fprintf(w, "  %-*s  %-18s  %-6s  %s\n", width, "profile", "energy", "mode", "hardware")
	for _, e := range es {
		fmt.Fprintf(w, "  %-*s  %-18s  %-6s  %s\n", width, e.Profile.Name, infer.Joules(e.Total), e.Profile.Mode, e.Profile.Title)
	}
}

// saveReport writes report.md and report.json of a run into dir and prints
// their paths.
func saveReport(dir, modelPath, data string, st *infer.Stats, ps []infer.Profile, stdout io.Writer) error {
	r, err := infer.NewReport(modelPath, data, st, ps)
	if err != nil {
		return err
	}
	paths, err := r.Save(dir)
	if len(paths) > 0 {
		fmt.Fprintf(stdout, "report: %s\n", strings.Join(paths, ", "))
	}
	return err
}
