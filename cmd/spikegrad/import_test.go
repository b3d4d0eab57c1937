package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/rundir"
)

// sharedFile returns the path of a file of the project's shared data
// folder, or skips t (fails it with SPIKEGRAD_REQUIRE_DATA=1).
func sharedFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", rel)
	if d := os.Getenv("SPIKEGRAD_SHARED_DATA"); d != "" {
		p = filepath.Join(d, rel)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
			t.Fatalf("shared data: %v", err)
		}
		t.Skipf("shared data: %v", err)
	}
	return p
}

// TestImportRandman trains tinyYAML's run for 15 epochs, exports it as NIR (time step
// 1e-3 s), imports the NIR file and requires the inference model to be
// the bytes `spikegrad export` writes, and to give the accuracy of
// `spikegrad eval` on the run's test set. Then a run fine-tunes from the
// NIR file (model.from, model.dt) and from the model directory.
func TestImportRandman(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "run")
	if _, stderr, err := cmd(ctx, "train", "--config", writeFile(t, tmp, "run.yaml", tinyYAML), "--run-dir", dir, "--train.epochs", "15"); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if _, _, err := cmd(ctx, "export", dir, "--format", "nir", "--dt", "1e-3"); err != nil {
		t.Fatalf("export: %v", err)
	}
	if _, _, err := cmd(ctx, "export", dir); err != nil {
		t.Fatalf("export: %v", err)
	}
	nirFile := filepath.Join(dir, "model.nir")
	// tinyYAML: Randman spike trains of 20 steps, an li read-out (membrane_max by default).
	out, stderr, err := cmd(ctx, "import", nirFile, "--dt", "1e-3", "--steps", "20", "--encoding", "spikes", "--dataset", "randman")
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	sgi := filepath.Join(dir, "model.sgi")
	if strings.TrimSpace(out) != "" && !strings.Contains(out, sgi) {
		t.Errorf("import printed %q, want %s", out, sgi)
	}
	if !strings.Contains(stderr, "20 inputs, 10 classes, 20 steps of 0.001 s, encoding spikes, read-out membrane_max") {
		t.Errorf("import's summary: %q", stderr)
	}
	// The import of the NIR export is the export itself: export's model.sgi
	// is already there and "up to date".
	if !strings.Contains(out, "up to date") {
		t.Errorf("import of the NIR export differs from spikegrad export's model.sgi: %q", out)
	}
	imported := filepath.Join(tmp, "imported.sgi")
	if _, _, err := cmd(ctx, "import", nirFile, "--dt", "1e-3", "--steps", "20", "--encoding", "spikes", "--out", imported); err != nil {
		t.Fatal(err)
	}
	m, err := infer.Load(imported)
	if err != nil {
		t.Fatal(err)
	}
	acc, ev := engineAndEval(t, ctx, m, dir)
	if acc != ev {
		t.Errorf("imported NIR: accuracy %v; spikegrad eval: %v", acc, ev)
	}
	t.Logf("imported NIR: accuracy %v (spikegrad eval: %v)", acc, ev)

	// Fine-tuning: tinyYAML's data section, the model from the NIR file or
	// the model directory, one epoch.
	fineYAML := strings.Replace(tinyYAML, "model:\n  hidden: [16]\n", "", 1)
	for _, from := range [][]string{{"--model.from", nirFile, "--model.dt", "1e-3"}, {"--model.from", filepath.Join(dir, rundir.ModelDir)}} {
		fine := filepath.Join(tmp, "fine-"+filepath.Base(from[1]))
		args := append([]string{"train", "--config", writeFile(t, tmp, "fine.yaml", fineYAML), "--run-dir", fine, "--train.epochs", "1"}, from...)
		if _, stderr, err := cmd(ctx, args...); err != nil {
			t.Fatalf("train %v: %v\n%s", from, err, stderr)
		}
		a, _, err := model.Load(filepath.Join(dir, rundir.ModelDir))
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := model.Load(filepath.Join(fine, rundir.ModelDir))
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := model.Marshal(a)
		jb, _ := model.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("fine-tuned from %s: architecture\n%s\nwant the model's\n%s", from[1], jb, ja)
		}
		if _, _, err := cmd(ctx, "eval", fine); err != nil {
			t.Errorf("eval of the fine-tuned run: %v", err)
		}
	}
	// Architecture keys beside model.from are refused by name.
	_, _, err = cmd(ctx, "train", "--config", writeFile(t, tmp, "bad.yaml", tinyYAML), "--run-dir", filepath.Join(tmp, "bad"),
		"--model.from", nirFile, "--model.dt", "1e-3")
	if err == nil || !strings.Contains(err.Error(), "model.hidden") {
		t.Errorf("model.from with model.hidden: %v, want an error naming model.hidden", err)
	}
}

// TestImportNorseSample imports a LIF neuron written by Norse: it converts
// and loads, and a dataset of other sizes is refused naming both.
func TestImportNorseSample(t *testing.T) {
	ctx := context.Background()
	file := sharedFile(t, filepath.Join("nir-samples", "01_lif__lif_norse.nir"))
	out := filepath.Join(t.TempDir(), "norse.sgi")
	// dt 1e-4 s: the sample's own time step (01_lif__README.md).
	if _, _, err := cmd(ctx, "import", file, "--dt", "1e-4", "--steps", "1000", "--out", out); err != nil {
		t.Fatalf("import: %v", err)
	}
	m, err := infer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	// The sample is one input into one LIF neuron (tau 2.5 ms, threshold 0.1):
	// a linear layer of weight dt/tau = 0.04 and a lif layer of beta 0.96.
	if m.Inputs() != 1 || m.Classes() != 1 || m.Readout != infer.ReadoutSpikeCount || len(m.Arch.Layers) != 2 ||
		m.Arch.Layers[1].Kind != model.KindLIF {
		t.Errorf("imported: %d inputs, %d classes, read-out %s, layers %v", m.Inputs(), m.Classes(), m.Readout, m.Arch.Layers)
	}
	mnist := sharedFile(t, "mnist")
	_, _, err = cmd(ctx, "infer", out, "--data", "mnist", "--data.dir", mnist, "--limit", "10")
	if err == nil || !strings.Contains(err.Error(), "784 features") || !strings.Contains(err.Error(), "takes 1") {
		t.Errorf("infer on MNIST: %v, want an error naming its 784 features and the model's 1 input", err)
	}
}

// TestImportErrors: bad command lines and files are one error naming the
// option or the file, and nothing is written.
func TestImportErrors(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	text := writeFile(t, tmp, "text.nir", "not HDF5")
	existing := writeFile(t, tmp, "text.sgi", "kept")
	cases := []struct {
		args  []string
		wants []string
	}{
		{[]string{"import", filepath.Join(tmp, "none.nir"), "--dt", "1e-3", "--steps", "5"}, []string{"none.nir"}},
		{[]string{"import", text, "--dt", "1e-3", "--steps", "5"}, []string{"text.nir"}},
		{[]string{"import", text, "--dt", "0", "--steps", "5"}, []string{"--dt", "> 0"}},
		{[]string{"import", text, "--dt", "-1e-3", "--steps", "5"}, []string{"--dt", "> 0"}},
		{[]string{"import", text, "--steps", "5"}, []string{"--dt SECONDS is required"}},
		{[]string{"import", text, "--dt", "1e-3"}, []string{"--steps T is required"}},
		{[]string{"import", text, "--dt", "1e-3", "--steps", "5", "--encoding", "poisson"}, []string{"--encoding", "poisson"}},
		{[]string{"import", text, "--dt", "1e-3", "--steps", "5", "--readout", "max"}, []string{"--readout", "max"}},
	}
	for _, c := range cases {
		_, _, err := cmd(ctx, c.args...)
		if err == nil {
			t.Errorf("%v: no error", c.args)
			continue
		}
		for _, w := range c.wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v\nwant it to name %q", c.args, err, w)
			}
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "kept" {
		t.Errorf("%s was overwritten: %q", existing, b)
	}
	// Sinabs' CNN imports (its IF neurons add their input as is at dt = 1);
	// snnTorch's nested recurrent graph, which names a node it does not
	// hold, is refused naming it, and nothing is written.
	if cnn := sharedFile(t, filepath.Join("nir-samples", "02_cnn__cnn_sinabs.nir")); cnn != "" {
		out := filepath.Join(tmp, "cnn.sgi")
		if _, _, err := cmd(ctx, "import", cnn, "--dt", "1", "--steps", "5", "--encoding", "spikes", "--out", out); err != nil {
			t.Errorf("import of Sinabs' CNN: %v", err)
		} else if m, err := infer.Load(out); err != nil || m.Arch.Layers[0].Kind != "conv2d" || m.Inputs() != 2*34*34 {
			t.Errorf("the imported CNN: %v; want a model of 2·34·34 inputs whose first layer is a conv2d", err)
		}
	}
	if sub := sharedFile(t, filepath.Join("nir-samples", "03_rnn__extras__braille_noDelay_bias_zero_subgraph.nir")); sub != "" {
		out := filepath.Join(tmp, "sub.sgi")
		if _, _, err := cmd(ctx, "import", sub, "--dt", "1e-4", "--steps", "5", "--out", out); err == nil || !strings.Contains(err.Error(), `no node "lif"`) {
			t.Errorf("import of a nested graph naming a missing node: %v, want an error naming lif", err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("a refused import wrote %s", out)
		}
	}
}
