package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
)

func TestReportHelpers(t *testing.T) {
	tmp := t.TempDir()
	// A user file replacing loihi with a 30 pJ figure.
	user := writeFile(t, tmp, "mine.yaml", `version: 1
profiles:
  - name: loihi
    title: Loihi, our board
    mode: event
    synop: {pj: 30, kind: measured, source: our board}
    neuron: {pj: 60, kind: measured, source: our board}
    mac: {pj: 30, kind: derived, source: one synop}
`)
	var stderr bytes.Buffer
	ps, err := loadProfiles([]string{user}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "loihi ("+user+") replaces") {
		t.Errorf("stderr %q does not say loihi was replaced", stderr.String())
	}
	// 1000 SynOps × 30 pJ + 100 updates × 60 pJ = 36,000 pJ = 36 nJ.
	st := &infer.Stats{Samples: 1, Steps: 10, Accuracy: 1, Layers: []infer.LayerStats{
		{Layer: "fc1", Kind: "linear", Neurons: 10, SynOps: 1000, DenseOps: 10000},
		{Layer: "lif1", Kind: "lif", Neurons: 10, Spikes: 5, Rate: 0.05, NeuronUpdates: 100},
	}}
	var out bytes.Buffer
	printEnergy(&out, st.Energies(ps[:1]))
	if !strings.Contains(out.String(), "loihi    36 nJ") {
		t.Errorf("energy table:\n%s", out.String())
	}
	dir := filepath.Join(tmp, "rep")
	out.Reset()
	if err := saveReport(dir, "m", "d", st, ps, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := infer.ReadReport(dir); err != nil || !strings.Contains(out.String(), "report.md") {
		t.Errorf("report: %v, printed %q", err, out.String())
	}
	bad := writeFile(t, tmp, "bad.yaml", "version: 1\nprofiles:\n  - name: x\n")
	if _, err := loadProfiles([]string{bad}, &stderr); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad profile file: %v", err)
	}
}
