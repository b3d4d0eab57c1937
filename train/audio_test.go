package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/datasets"
)

// TestAudioConfigErrors checks the audio keys' errors: a value of the wrong
// type names the file, the line and the key; a value out of range or a
// combination that cannot work names the key, the value and what is
// allowed.
func TestAudioConfigErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"data:\n  dataset: fsdd\n  audio_bands: forty\n", `config f.yaml:3: data.audio_bands = "forty": must be a whole number`},
		{"data: {audio_dt: 10ms}\n", `config f.yaml:1: data.audio_dt = "10ms": must be a number`},
		{"data:\n  audio_varlen: maybe\n", `config f.yaml:2: data.audio_varlen = "maybe": must be true or false`},
		{"data:\n  cache: [1]\n", `config f.yaml:2: data.cache: must be a single value (true or false)`},
		{"data:\n  audio_hop: 10\n", "config f.yaml:2: data.audio_hop: unknown key (allowed: "},
	} {
		c := DefaultConfig()
		err := c.ReadYAML([]byte(tc.doc), "f.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s", tc.doc, err, tc.want)
		}
	}
	for _, tc := range []struct {
		sets map[string]string
		want string
	}{
		{map[string]string{"data.dataset": "timit"}, `config: data.dataset = "timit": must be one of randman, mnist, fashion-mnist, nmnist, dvsgesture, ncars, fsdd, shd, ssc`},
		{map[string]string{"data.audio_bands": "0"}, "config: data.audio_bands = 0: must be >= 1"},
		{map[string]string{"data.audio_frame_ms": "0"}, "config: data.audio_frame_ms = 0: must be > 0"},
		{map[string]string{"data.audio_hop_ms": "-10"}, "config: data.audio_hop_ms = -10: must be > 0"},
		{map[string]string{"data.audio_fmin": "-1"}, "config: data.audio_fmin = -1: must be >= 0"},
		{map[string]string{"data.audio_filterbank": "bark"}, `config: data.audio_filterbank = "bark": must be one of mel, gammatone`},
		{map[string]string{"data.audio_encoding": "latency"}, `config: data.audio_encoding = "latency": must be one of crossing, delta, rate`},
		{map[string]string{"data.audio_threshold": "0"}, "config: data.audio_threshold = 0: must be > 0"},
		{map[string]string{"data.audio_steps": "0"}, "config: data.audio_steps = 0: must be >= 1"},
		{map[string]string{"data.audio_dt": "-0.01"}, "config: data.audio_dt = -0.01: must be >= 0"},
		{map[string]string{"data.bucket": "-1"}, "config: data.bucket = -1: must be >= 0"},
		{map[string]string{"data.dataset": "fsdd", "data.audio_fmax": "5000"}, "config: data.audio_fmax = 5000: must not exceed half FSDD's sample rate, 4000 Hz"},
		{map[string]string{"data.audio_fmin": "3000", "data.audio_fmax": "2000"}, "config: data.audio_fmin = 3000: must be below data.audio_fmax = 2000"},
		{map[string]string{"data.dataset": "fsdd", "data.audio_frame_ms": "5"}, "config: data.audio_frame_ms = 5: must be at least data.audio_hop_ms = 10 (frames would skip samples)"},
		{map[string]string{"data.dataset": "shd", "data.audio_varlen": "true", "data.audio_dt": "0"}, "config: data.audio_varlen = true: needs data.audio_dt > 0: with audio_dt 0 every sample is stretched over audio_steps bins"},
		{map[string]string{"data.dataset": "ssc", "data.cache": "true"}, "config: data.cache = true: ssc's spikes are read once per run and binned as each batch is filled (tens of thousands of samples per second): there is nothing to cache"},
		{map[string]string{"data.dataset": "fsdd", "data.audio_encoding": "rate", "data.gain": "0"}, "config: data.gain = 0: must be > 0 with data.audio_encoding rate"},
	} {
		c := DefaultConfig()
		for k, v := range tc.sets {
			if err := c.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Validate(); err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.sets, err, tc.want)
		}
	}
}

// fsddDataDir returns the shared FSDD folder, or skips t when it is absent
// (fails with SPIKEGRAD_REQUIRE_DATA=1).
func fsddDataDir(t *testing.T) string {
	return sharedDataDir(t, "fsdd", "0_george_0.wav")
}

// writeSpikeAudio writes the files of the SHD-layout dataset name into
// dir with Debian's h5py (datasets/testdata/shd/write_shd.py): n random
// samples per split, times in [0, 1.2) s, 700 channels, labels i mod 20.
func writeSpikeAudio(t *testing.T, dir, name string, n int, splits ...string) {
	t.Helper()
	py := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import h5py, numpy").Run() == nil {
			py = path
			break
		}
	}
	if py == "" {
		msg := "python3 with h5py and numpy not found: the SHD-layout files cannot be written (install python3-h5py python3-numpy)"
		if os.Getenv("SPIKEGRAD_REQUIRE_NIR_REF") != "" {
			t.Fatal(msg + "; SPIKEGRAD_REQUIRE_NIR_REF is set, which makes this a failure")
		}
		t.Skip(msg)
	}
	type random struct {
		N         int `json:"n"`
		MaxSpikes int `json:"max_spikes"`
		Seed      int `json:"seed"`
	}
	type spec struct {
		Path       string  `json:"path"`
		TimesDtype string  `json:"times_dtype"`
		Chunked    bool    `json:"chunked"`
		Omit       string  `json:"omit"`
		Random     *random `json:"random"`
	}
	var specs []spec
	for i, s := range splits {
		specs = append(specs, spec{Path: filepath.Join(dir, name+"_"+s+".h5"), TimesDtype: "float32", Chunked: true,
			Random: &random{N: n, MaxSpikes: 300, Seed: i}})
	}
	in, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("..", "datasets", "testdata", "shd", "write_shd.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("write_shd.py: %v\n%s", err, stderr.String())
	}
}

// TestSpikeAudioRecipes runs examples/shd.yaml, shd-radlif.yaml and ssc.yaml
// for one optimizer step on synthetic files of the Heidelberg datasets'
// HDF5 layout (the real files are not here: these recipes are checked to
// run, not trained), with 10 time bins instead of 100 and 8 samples to keep
// it short, and evaluates each run directory again from its config. The
// SSC recipe's network, shd-radlif's with 35 outputs, runs 128 neurons per
// layer instead of 1024: most of a run's time here is the orthogonal
// initialisation of the recurrent weights, cubic in the width.
func TestSpikeAudioRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three networks")
	}
	for _, tc := range []struct {
		recipe, name string
		splits       []string
		width        int // the hidden layers' width instead of 1024, or 0
	}{
		{"shd", "shd", []string{"train", "test"}, 0},
		{"shd-radlif", "shd", []string{"train", "test"}, 0},
		{"ssc", "ssc", []string{"train", "valid", "test"}, 128},
	} {
		t.Run(tc.recipe, func(t *testing.T) {
			cfg := readExample(t, tc.recipe+".yaml")
			if tc.width > 0 {
				for _, l := range cfg.Model.Layers {
					for _, k := range []string{"n", "in", "out", "channels"} {
						if v, ok := l.Config[k].(int); ok && v == 1024 {
							l.Config[k] = tc.width
						}
					}
				}
			}
			data := t.TempDir()
			writeSpikeAudio(t, data, tc.name, 8, tc.splits...)
			cfg.Data.Dir = data
			cfg.Data.AudioSteps = 10
			cfg.Data.AudioDT = 0.12 // write_shd.py's spikes span [0, 1.2) s
			cfg.Train.BatchSize = 8
			dir := t.TempDir()
			res := runIn(t, cfg, dir, Options{MaxSteps: 1})
			if res.Steps != 1 {
				t.Errorf("%d steps, want 1", res.Steps)
			}
			ev, err := EvaluateRun(context.Background(), dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Samples != 8 || ev.Accuracy != res.TestAccuracy {
				t.Errorf("EvaluateRun: %d samples, accuracy %v; want the 8 of the test file and the run's %v", ev.Samples, ev.Accuracy, res.TestAccuracy)
			}
		})
	}
}

// fixedAndVarLen loads the data c describes without and with
// data.audio_varlen, and checks that only the second is VarLen.
func fixedAndVarLen(t *testing.T, c DataConfig) (fixed, vl *DataSplits) {
	t.Helper()
	var err error
	c.AudioVarLen = false
	if fixed, err = LoadData(context.Background(), c, 0, nil); err != nil {
		t.Fatal(err)
	}
	c.AudioVarLen = true
	if vl, err = LoadData(context.Background(), c, 0, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]datasets.Dataset{{fixed.Train, vl.Train}, {fixed.Test, vl.Test}} {
		if datasets.IsVarLen(p[0]) || !datasets.IsVarLen(p[1]) {
			t.Fatalf("VarLen: %v without audio_varlen, %v with; want false, true", datasets.IsVarLen(p[0]), datasets.IsVarLen(p[1]))
		}
	}
	return fixed, vl
}

// TestSpikeAudioVarLen checks that a SHD sample of its own length is the
// first steps of the fixed-length binning, and that its length is the
// step of its last spike plus one.
func TestSpikeAudioVarLen(t *testing.T) {
	data := t.TempDir()
	writeSpikeAudio(t, data, "shd", 12, "train", "test")
	c := DefaultConfig().Data
	c.Dataset, c.Dir, c.AudioSteps, c.AudioDT = "shd", data, 150, 0.01
	fixed, vl := fixedAndVarLen(t, c)
	sa := vl.Train.(spikeAudioVarLen).set.Data
	for i := range vl.Train.Len() {
		// write_shd.py draws times in [0, 1.2) s: at 10 ms, at most 120 steps.
		last := float32(0)
		for _, t := range sa.Times[i] {
			last = max(last, t)
		}
		want := max(1, int(last/0.01)+1)
		n := datasets.SampleSteps(vl.Train, i)
		if n != want {
			t.Errorf("sample %d: %d steps, want %d (last spike %g s)", i, n, want, last)
		}
		a, b := datasets.NewBatch(150, 1, 700), datasets.NewBatch(n, 1, 700)
		if err := fixed.Train.Fill(a, []int{i}); err != nil {
			t.Fatal(err)
		}
		if err := vl.Train.Fill(b, []int{i}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.X[:n*700], b.X) {
			t.Errorf("sample %d: the first %d steps differ from the fixed-length binning", i, n)
		}
		for _, v := range a.X[n*700:] {
			if v != 0 {
				t.Fatalf("sample %d: a spike after its last step %d", i, n)
			}
		}
	}
}

// copyFSDD copies the recordings names of FSDD into a new folder.
func copyFSDD(t *testing.T, src string, names []string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFSDDCache loads FSDD recordings through data.cache: the features are
// those computed without the cache, and a second load reads them from the
// entries: a recording overwritten with noise of the same size and
// modification time (the cache's key) still gives its old features.
func TestFSDDCache(t *testing.T) {
	src := fsddDataDir(t)
	var names []string
	for d := range 10 {
		for _, i := range []int{0, 7} { // 0: test split, 7: training split
			names = append(names, fmt.Sprintf("%d_jackson_%d.wav", d, i))
		}
	}
	dir := copyFSDD(t, src, names)
	c := DefaultConfig().Data
	c.Dataset, c.Dir, c.AudioSteps = "fsdd", dir, 60
	plain, err := LoadData(context.Background(), c, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Cache, c.CacheDir = true, t.TempDir()
	first, err := LoadData(context.Background(), c, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := filepath.Glob(filepath.Join(c.CacheDir, "*.sgt"))
	if len(entries) != len(names) {
		t.Errorf("%d cache entries, want one per recording, %d", len(entries), len(names))
	}
	// Overwrite one recording, keeping its size and time.
	victim := filepath.Join(dir, "3_jackson_7.wav")
	st, err := os.Stat(victim)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(victim, bytes.Repeat([]byte{0x55}, int(st.Size())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(victim, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	second, err := LoadData(context.Background(), c, 0, nil)
	if err != nil {
		t.Fatalf("second load: %v (the entries were not read)", err)
	}
	for _, d := range []*DataSplits{first, second} {
		for _, pair := range [][2]datasets.Dataset{{plain.Train, d.Train}, {plain.Test, d.Test}} {
			a, b := pair[0].(*audioSet), pair[1].(*audioSet)
			if !slices.Equal(a.labels, b.labels) || len(a.features) != len(b.features) {
				t.Fatalf("labels %v, want %v", b.labels, a.labels)
			}
			for i := range a.features {
				if !slices.Equal(a.features[i], b.features[i]) {
					t.Errorf("recording %d: features differ through the cache", i)
				}
			}
		}
	}
	// Without the cache the overwritten file is what it is: not a WAV.
	c.Cache = false
	if _, err := LoadData(context.Background(), c, 0, nil); err == nil || !strings.Contains(err.Error(), "3_jackson_7.wav") {
		t.Errorf("load of a file that is not a WAV: %v, want an error naming it", err)
	}
}

// TestFSDDGammatone checks that data.audio_filterbank gammatone gives
// each recording the features of datasets' gammatone filterbank, which
// differ from the mel filterbank's.
func TestFSDDGammatone(t *testing.T) {
	src := fsddDataDir(t)
	names := []string{"4_george_2.wav", "8_lucas_9.wav"}
	dir := copyFSDD(t, src, names)
	c := DefaultConfig().Data
	c.Dataset, c.Dir, c.AudioSteps, c.AudioFilterbank = "fsdd", dir, 60, "gammatone"
	gt, err := LoadData(context.Background(), c, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.AudioFilterbank = "mel"
	mel, err := LoadData(context.Background(), c, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	fc := audioConfig(c)
	fc.Gammatone = true
	fb, err := datasets.NewFilterbank(fc)
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := datasets.ReadWAVFile(filepath.Join(dir, names[0])) // recording 2: the test split
	if err != nil {
		t.Fatal(err)
	}
	want := datasets.AudioFeatures(fb, x, c.AudioSteps, audioFloor)
	got, other := gt.Test.(*audioSet).features[0], mel.Test.(*audioSet).features[0]
	if !slices.Equal(got, want) {
		t.Errorf("gammatone features of %s differ from datasets.AudioFeatures with a gammatone filterbank", names[0])
	}
	if slices.Equal(got, other) {
		t.Errorf("gammatone and mel features of %s are equal: the key changes nothing", names[0])
	}
}

// TestFSDDVarLen checks that with audio_varlen each recording runs its
// own frames, its spikes those of the fixed-length set's first steps.
func TestFSDDVarLen(t *testing.T) {
	src := fsddDataDir(t)
	dir := copyFSDD(t, src, []string{"0_theo_3.wav", "1_theo_3.wav", "2_nicolas_40.wav", "5_yweweler_11.wav"})
	c := DefaultConfig().Data
	c.Dataset, c.Dir, c.AudioSteps = "fsdd", dir, 200
	fixed, vl := fixedAndVarLen(t, c)
	for i := range vl.Test.Len() {
		n := datasets.SampleSteps(vl.Test, i)
		// A recording of s samples has 1 + ceil((s - 200)/80) frames of
		// 25 ms every 10 ms at 8 kHz (datasets.Filterbank).
		x, _, err := datasets.ReadWAVFile(filepath.Join(dir, []string{"0_theo_3.wav", "1_theo_3.wav"}[i]))
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + (len(x)-200+79)/80; n != want {
			t.Errorf("recording %d: %d steps, want %d frames of %d samples", i, n, want, len(x))
		}
		_, ch := vl.Test.Shape()
		a, b := datasets.NewBatch(200, 1, ch), datasets.NewBatch(n, 1, ch)
		if err := fixed.Test.Fill(a, []int{i}); err != nil {
			t.Fatal(err)
		}
		if err := vl.Test.Fill(b, []int{i}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.X[:n*ch], b.X) {
			t.Errorf("recording %d: its %d steps differ from the fixed-length set's", i, n)
		}
	}
}

// TestFSDDRecipe trains examples/fsdd.yaml on the Free Spoken Digit Dataset
// for the first fsddTestEpochs of its epochs (stopped by Options.MaxSteps
// at that epoch's end, so the learning-rate schedule is the recipe's and
// the run is the first epochs of the recipe's run of seed 0) and checks the
// test accuracy against a floor taken from measured runs, then evaluates
// the run directory again as spikegrad eval does.
func TestFSDDRecipe(t *testing.T) {
	dir := fsddDataDir(t)
	cfg := readExample(t, "fsdd.yaml")
	cfg.Data.Dir = dir
	run := t.TempDir()
	// 2700 training recordings in batches of 32: 85 steps per epoch.
	res := runIn(t, cfg, run, Options{MaxSteps: fsddTestEpochs * 85})
	if res.Epochs != fsddTestEpochs {
		t.Fatalf("stopped after %d epochs, want %d", res.Epochs, fsddTestEpochs)
	}
	if res.TestAccuracy < fsddTestFloor {
		t.Errorf("test accuracy %.4f after %d epochs, want >= %.2f", res.TestAccuracy, fsddTestEpochs, fsddTestFloor)
	}
	ev, err := EvaluateRun(context.Background(), run, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Samples != 300 || ev.Accuracy != res.TestAccuracy {
		t.Errorf("EvaluateRun: %d samples, accuracy %v; want FSDD's 300 test recordings and the run's %v", ev.Samples, ev.Accuracy, res.TestAccuracy)
	}
}

// fsddTestEpochs and fsddTestFloor: examples/fsdd.yaml's runs of seeds 0-4
// (spikegrad train, 2026-12-08, AMD EPYC Zen 5, 1 thread) reached test
// accuracies 0.917, 0.957, 0.920, 0.960, 0.967 after 3 of their 10 epochs
// (metrics.jsonl); seed 0, which this test runs, 0.917. The floor, 0.85,
// lies below the lowest seed with room for the rounding of other CPUs'
// kernels; chance is 0.10.
const (
	fsddTestEpochs = 3
	fsddTestFloor  = 0.85
)
