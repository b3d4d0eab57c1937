package train

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/datasets"
)

// synthEvents returns n events on a w x h sensor, in time order over about
// dur µs, from rng: a moving bar whose column depends on the class, so that
// the classes can be told apart, plus uniform noise.
func synthEvents(rng *rand.Rand, class, classes, n, w, h int, dur int64) []datasets.Event {
	ev := make([]datasets.Event, n)
	t := int64(0)
	for i := range ev {
		t += rng.Int64N(2*dur/int64(n) + 1)
		x := (class*w/classes + rng.IntN(max(w/classes, 1))) % w
		if rng.IntN(4) == 0 {
			x = rng.IntN(w)
		}
		ev[i] = datasets.Event{T: t, X: uint16(x), Y: uint16(rng.IntN(h)), P: uint8(rng.IntN(2))}
	}
	return ev
}

// encodeNMNIST writes events in N-MNIST's .bin layout (Orchard et al.
// 2015; ../shared/data/README.md): 5 bytes per event, x, y, polarity in
// bit 7 of byte 2 and the 23-bit timestamp in the rest.
func encodeNMNIST(ev []datasets.Event) []byte {
	b := make([]byte, 0, 5*len(ev))
	for _, e := range ev {
		b = append(b, byte(e.X), byte(e.Y), e.P<<7|byte(e.T>>16&0x7F), byte(e.T>>8), byte(e.T))
	}
	return b
}

// encodeDAT writes events as a Prophesee DAT version 2 file of N-CARS
// (docs.prophesee.ai, "DAT File Format"): '%' header lines, the event type
// 0x0C (CD) and size 8, then per event a little-endian uint32 timestamp and
// a uint32 with x in bits 0-13, y in bits 14-27, the polarity in 28-31.
func encodeDAT(ev []datasets.Event) []byte {
	b := []byte("% Data file containing CD events.\n% Version 2\n% Date 2016-07-06 11:11:11\n")
	b = append(b, 0x0C, 8)
	for _, e := range ev {
		b = binary.LittleEndian.AppendUint32(b, uint32(e.T))
		b = binary.LittleEndian.AppendUint32(b, uint32(e.X)|uint32(e.Y)<<14|uint32(e.P)<<28)
	}
	return b
}

// encodeAEDAT31 writes events as an AEDAT 3.1 recording of a DVS128
// (cAER/libcaer's "AEDAT 3.1"): text header lines from "#!AER-DAT3.1" to
// "#!END-HEADER" naming the source chip, then one polarity packet: a
// 28-byte little-endian header (type 1, source 1, event size 8, timestamp
// offset 4, overflow 0, capacity, number, valid) and per event a uint32
// with bit 0 valid, bit 1 the polarity, y in bits 2-16 and x in bits 17-31,
// then an int32 timestamp in µs.
func encodeAEDAT31(ev []datasets.Event) []byte {
	b := []byte("#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-01 00:00:00\r\n#!END-HEADER\r\n")
	for _, v := range []uint32{1 | 1<<16, 8, 4, 0, uint32(len(ev)), uint32(len(ev)), uint32(len(ev))} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	for _, e := range ev {
		b = binary.LittleEndian.AppendUint32(b, 1|uint32(e.P)<<1|uint32(e.Y)<<2|uint32(e.X)<<17)
		b = binary.LittleEndian.AppendUint32(b, uint32(e.T))
	}
	return b
}

// gestureFolder writes DVS128 Gesture's layout: recordings
// user<NN>_fluorescent.aedat (AEDAT 3.1) of users 1 and 2 (training) and 24
// (test, the published split by user), each holding all 11 gestures one
// after another with their cuts in user<NN>_fluorescent_labels.csv.
func gestureFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, user := range []int{1, 2, 24} {
		var all []datasets.Event
		csv := "class,startTime_usec,endTime_usec\n"
		start := int64(1000000)
		for class := range 11 {
			ev := synthEvents(rng, class, 11, 300, 128, 128, 200000)
			for i := range ev {
				ev[i].T += start
			}
			all = append(all, ev...)
			csv += fmt.Sprintf("%d,%d,%d\n", class+1, start, ev[len(ev)-1].T+1)
			start = ev[len(ev)-1].T + 50000
		}
		name := filepath.Join(dir, fmt.Sprintf("user%02d_fluorescent", user))
		writeFile(t, name+".aedat", encodeAEDAT31(all))
		writeFile(t, name+"_labels.csv", []byte(csv))
	}
	return dir
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// nmnistFolder writes an N-MNIST subset folder in the layout of
// ../shared/data/nmnist-small: <id>.bin files and the label files
// train1K.txt and test100.txt. It returns the folder and the events of each
// training sample, in id order.
func nmnistFolder(t *testing.T, nTrain, nTest int) (string, [][]datasets.Event) {
	return writeNMNIST(t, nTrain, nTest, false)
}

// writeNMNIST writes N-MNIST files as nmnistFolder does, or with full in
// the published layout, Train/<digit>/<id>.bin and Test/<digit>/<id>.bin.
func writeNMNIST(t *testing.T, nTrain, nTest int, full bool) (string, [][]datasets.Event) {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var trainEv [][]datasets.Event
	for split, n := range []int{nTrain, nTest} {
		labels := "#sample #class\n"
		for i := range n {
			id := 1 + i
			if split == 1 {
				id = 60001 + i
			}
			class := i % 10
			ev := synthEvents(rng, class, 10, 300+rng.IntN(200), datasets.NMNISTWidth, datasets.NMNISTHeight, 300000)
			if split == 0 {
				trainEv = append(trainEv, ev)
			}
			path := filepath.Join(dir, fmt.Sprintf("%d.bin", id))
			if full {
				path = filepath.Join(dir, []string{"Train", "Test"}[split], fmt.Sprint(class), fmt.Sprintf("%d.bin", id))
			}
			writeFile(t, path, encodeNMNIST(ev))
			labels += fmt.Sprintf("%d %d\n", id, class)
		}
		if !full {
			name := []string{"train1K.txt", "test100.txt"}[split]
			writeFile(t, filepath.Join(dir, name), []byte(labels))
		}
	}
	return dir, trainEv
}

// ncarsFolder writes N-CARS' layout: n-cars_train/ and n-cars_test/, each
// with background/*.dat and cars/*.dat.
func ncarsFolder(t *testing.T, perClass int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, split := range []string{"n-cars_train", "n-cars_test"} {
		for class, sub := range []string{"background", "cars"} {
			for i := range perClass {
				ev := synthEvents(rng, class, 2, 200+rng.IntN(100), datasets.NCARSWidth, datasets.NCARSHeight, 100000)
				writeFile(t, filepath.Join(dir, split, sub, fmt.Sprintf("obj_%06d_td.dat", i)), encodeDAT(ev))
			}
		}
	}
	return dir
}

func TestEventConfigErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"data: {dataset: nmnist, dir: d}\n",
			"config: data.frame_bins = 0: data.dataset nmnist needs exactly one of data.frame_bins, data.frame_window (µs) and data.frame_events; 0 are set"},
		{"data: {dataset: nmnist, dir: d, frame_bins: 10, frame_window: 1000}\n",
			"config: data.frame_bins = 10: data.dataset nmnist needs exactly one of data.frame_bins, data.frame_window (µs) and data.frame_events; 2 are set"},
		{"data: {dataset: nmnist, frame_bins: 10}\n",
			`config: data.dir = "": must name the folder of nmnist (Train/<digit>/<id>.bin and Test/<digit>/<id>.bin as published, or <id>.bin with train1K.txt and test100.txt)`},
		{"data: {dataset: nmnist, dir: d, frame_window: 1000, flip_lr: 0.5}\n",
			"config: data.frame_window = 1000: gives each sample its own number of frames, which a random augmentation (data.flip_lr, data.time_jitter, data.crop_time) would change after the batch is sized: use data.frame_bins to augment"},
		{"data: {dataset: ncars, dir: d, frame_events: 100, cache: true}\n",
			"config: data.cache = true: keeps frames of one length; data.frame_events gives each sample its own: set data.cache to false or use data.frame_bins"},
		{"data: {dataset: nmnist, dir: d, frame_bins: 10, polarities: 3}\n",
			"config: data.polarities = 3: must be one of [1 2]"},
		{"data: {dataset: nmnist, dir: d, frame_bins: 10, downsample: 0}\n",
			"config: data.downsample = 0: must be >= 1"},
		{"data: {dataset: nmnist, dir: d, frame_bins: 10, flip_lr: 1.5}\n",
			"config: data.flip_lr = 1.5: must be in [0, 1]"},
		{"data: {dataset: nmnist, dir: d, frame_bins: 10, frame_split: number}\n",
			`config: data.frame_split = "number": must be one of time, events`},
		{"data: {dataset: nmnist, dir: d, frame_bins: -2}\n",
			"config: data.frame_bins = -2: must be >= 0"},
		{"data: {dataset: dvs, dir: d}\n",
			`config: data.dataset = "dvs": must be one of randman, mnist, fashion-mnist, nmnist, dvsgesture, ncars, fsdd, shd, ssc`},
	} {
		c := DefaultConfig()
		if err := c.ReadYAML([]byte(tc.doc), "f.yaml"); err != nil {
			t.Fatalf("%q: %v", tc.doc, err)
		}
		err := c.Validate()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.doc, err, tc.want)
		}
	}
	// A value of the wrong type names the file, line and key.
	c := DefaultConfig()
	err := c.ReadYAML([]byte("data:\n  dataset: nmnist\n  frame_window: 1ms\n"), "f.yaml")
	if want := `config f.yaml:3: data.frame_window = "1ms": must be a whole number`; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// eventConfig is a small run on an event folder: one hidden layer of 16
// LIF neurons, frames in 5 binary time bins, two epochs of batches of 8.
func eventConfig(dataset, dir string) Config {
	c := DefaultConfig()
	c.Data.Dataset, c.Data.Dir, c.Data.FrameBins, c.Data.Binary = dataset, dir, 5, true
	c.Model.Hidden = []int{16}
	c.Train.Epochs, c.Train.BatchSize, c.Train.Loss, c.Train.Predict = 2, 8, "membrane_ce", "membrane_sum"
	return c
}

// TestLoadNMNISTFrames: the training batches hold exactly ToFrames of the
// files' events (decoded from the bytes written here), with the options of
// the config, and the test split is the label file's.
func TestLoadNMNISTFrames(t *testing.T) {
	dir, trainEv := nmnistFolder(t, 20, 10)
	for _, tc := range []struct {
		name   string
		set    func(*DataConfig)
		fc     datasets.FrameConfig
		tr     datasets.Transform
		varlen bool
	}{
		{"bins", func(d *DataConfig) {}, datasets.FrameConfig{TimeBins: 5, LastToEnd: true, Binary: true}, nil, false},
		{"bins, merged counts, cached", func(d *DataConfig) { d.Binary, d.Polarities, d.Cache, d.CacheDir = false, 1, true, t.TempDir() },
			datasets.FrameConfig{TimeBins: 5, LastToEnd: true, MergePolarity: true}, nil, false},
		{"denoise, downsample", func(d *DataConfig) { d.Denoise, d.Downsample = 20000, 2 },
			datasets.FrameConfig{TimeBins: 5, LastToEnd: true, Binary: true},
			datasets.Compose{datasets.Denoise{FilterTime: 20000}, datasets.Downsample{Factor: 2}}, false},
		{"event bins", func(d *DataConfig) { d.FrameSplit = "events" },
			datasets.FrameConfig{EventBins: 5, LastToEnd: true, Binary: true}, nil, false},
		{"window", func(d *DataConfig) { d.FrameBins, d.FrameWindow = 0, 50000 },
			datasets.FrameConfig{TimeWindow: 50000, Binary: true}, nil, true},
		{"event count", func(d *DataConfig) { d.FrameBins, d.FrameEvents = 0, 120 },
			datasets.FrameConfig{EventCount: 120, Binary: true}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := eventConfig("nmnist", dir)
			tc.set(&c.Data)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			d, err := LoadData(context.Background(), c.Data, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Train.Len() != 20 || d.Test.Len() != 10 || d.Classes != 10 {
				t.Fatalf("%d training, %d test samples, %d classes; want 20, 10, 10", d.Train.Len(), d.Test.Len(), d.Classes)
			}
			if got := datasets.IsVarLen(d.Train); got != tc.varlen {
				t.Errorf("training set VarLen %v, want %v", got, tc.varlen)
			}
			for i, ev := range trainEv {
				s := &datasets.EventStream{Events: ev, Width: datasets.NMNISTWidth, Height: datasets.NMNISTHeight}
				if tc.tr != nil {
					if s, err = tc.tr.Apply(s, nil); err != nil {
						t.Fatal(err)
					}
				}
				want, err := datasets.ToFrames(s, tc.fc)
				if err != nil {
					t.Fatal(err)
				}
				steps := datasets.SampleSteps(d.Train, i)
				_, f := d.Train.Shape()
				if steps != want.Steps || f != want.Features() {
					t.Fatalf("sample %d: %d steps of %d values, want %d of %d", i, steps, f, want.Steps, want.Features())
				}
				b := datasets.NewBatch(steps, 1, f)
				if err := d.Train.Fill(b, []int{i}); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(b.X, want.Data) || b.Labels[0] != i%10 {
					t.Fatalf("sample %d (label %d): frames differ from ToFrames of its events", i, b.Labels[0])
				}
			}
		})
	}
}

// TestEventCache: a run with data.cache writes one entry per sample, and a
// second run reads them (no new entry) and trains to the same weights.
func TestEventCache(t *testing.T) {
	dir, _ := nmnistFolder(t, 16, 8)
	cacheDir := t.TempDir()
	c := eventConfig("nmnist", dir)
	c.Data.Cache, c.Data.CacheDir = true, cacheDir
	r1 := runIn(t, c, t.TempDir(), Options{Now: fixedClock()})
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "*.sgt"))
	if len(entries) != 24 {
		t.Fatalf("%d cache entries after the first run, want 16 + 8", len(entries))
	}
	r2 := runIn(t, c, t.TempDir(), Options{Now: fixedClock()})
	again, _ := filepath.Glob(filepath.Join(cacheDir, "*.sgt"))
	if len(again) != 24 {
		t.Errorf("%d cache entries after the second run, want the same 24", len(again))
	}
	if r1.TestAccuracy != r2.TestAccuracy || r1.TestLoss != r2.TestLoss {
		t.Errorf("cached run: test accuracy %v loss %v, first run %v %v", r2.TestAccuracy, r2.TestLoss, r1.TestAccuracy, r1.TestLoss)
	}
}

// TestEventRunAndEval trains on event folders of both formats (bins with
// augmentation; windows with bucketing) for two epochs, and evaluates the
// run directory from another working directory with the data where the
// run's config says (data.dir is recorded absolute).
func TestEventRunAndEval(t *testing.T) {
	nm, _ := nmnistFolder(t, 24, 10)
	ncars := ncarsFolder(t, 6)
	gesture := gestureFolder(t)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"nmnist augmented", func() Config {
			c := eventConfig("nmnist", nm)
			c.Data.FlipLR, c.Data.TimeJitter, c.Data.CropTime = 0.5, 1000, 250000
			return c
		}()},
		{"nmnist windows bucketed", func() Config {
			c := eventConfig("nmnist", nm)
			c.Data.FrameBins, c.Data.FrameWindow, c.Data.Bucket = 0, 60000, 2
			return c
		}()},
		{"dvsgesture windows", func() Config {
			c := eventConfig("dvsgesture", gesture)
			c.Data.FrameBins, c.Data.FrameWindow, c.Data.Downsample = 0, 50000, 4
			return c
		}()},
		{"ncars downsampled", func() Config {
			c := eventConfig("ncars", ncars)
			c.Data.Downsample, c.Data.Denoise = 2, 5000
			return c
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wd, _ := os.Getwd()
			out := t.TempDir()
			r := runIn(t, tc.cfg, out, Options{Now: fixedClock()})
			if r.Epochs != 2 {
				t.Fatalf("%d epochs, want 2", r.Epochs)
			}
			if err := os.Chdir(t.TempDir()); err != nil {
				t.Fatal(err)
			}
			defer os.Chdir(wd)
			ev, err := EvaluateRun(context.Background(), r.RunDir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Accuracy != r.TestAccuracy {
				t.Errorf("eval accuracy %v, the run's last test accuracy %v", ev.Accuracy, r.TestAccuracy)
			}
		})
	}
}

// TestLoadDVSGesture: the recordings of users 1-23 are the training set,
// those of users 24-29 the test set, each cut into its gestures (11 per
// recording written here), and a gesture's frames are those of its own
// events.
func TestLoadDVSGesture(t *testing.T) {
	c := eventConfig("dvsgesture", gestureFolder(t))
	d, err := LoadData(context.Background(), c.Data, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 22 || d.Test.Len() != 11 || d.Classes != 11 {
		t.Fatalf("%d training and %d test gestures of %d classes, want 22, 11, 11", d.Train.Len(), d.Test.Len(), d.Classes)
	}
	if _, f := d.Train.Shape(); f != 2*128*128 {
		t.Errorf("%d values per frame, want 2 x 128 x 128", f)
	}
	for i := range d.Train.Len() {
		b := datasets.NewBatch(5, 1, 2*128*128)
		if err := d.Train.Fill(b, []int{i}); err != nil {
			t.Fatal(err)
		}
		if b.Labels[0] != i%11 {
			t.Errorf("gesture %d: label %d, want %d", i, b.Labels[0], i%11)
		}
		var n float32
		for _, v := range b.X {
			n += v
		}
		if n == 0 {
			t.Errorf("gesture %d: no events in its frames", i)
		}
	}
}

// TestEventFolderErrors: a missing folder names the layout wanted, a
// corrupt file names its path and byte offset.
func TestEventFolderErrors(t *testing.T) {
	c := eventConfig("ncars", t.TempDir())
	_, err := LoadData(context.Background(), c.Data, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "holds neither n-cars_train/ and n-cars_test/ nor train/ and test/") {
		t.Errorf("empty ncars folder: %v", err)
	}
	dir, _ := nmnistFolder(t, 4, 2)
	bad := filepath.Join(dir, "3.bin")
	writeFile(t, bad, []byte{1, 2, 3, 4, 5, 6, 7})
	c = eventConfig("nmnist", dir)
	_, err = LoadData(context.Background(), c.Data, 0, nil)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "byte 5") {
		t.Errorf("truncated N-MNIST file: %v, want its path and byte 5", err)
	}
}

// readExample reads examples/<name> onto the defaults and validates it.
func readExample(t *testing.T, name string) Config {
	t.Helper()
	path := filepath.Join("..", "examples", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.ReadYAML(b, path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEventExamples runs each event-camera example config, as it is but
// for its folder (and cache folder) and batches of 4, for two optimizer steps on small
// folders of files in the datasets' formats written here: the network fits
// the data's frames, and a training step and an evaluation run.
func TestEventExamples(t *testing.T) {
	nmFull, _ := writeNMNIST(t, 10, 10, true)
	nmSmall, _ := nmnistFolder(t, 8, 6)
	ncars := ncarsFolder(t, 4)
	gesture := gestureFolder(t)
	for _, tc := range []struct{ file, dir string }{
		{"nmnist-small.yaml", nmSmall},
		{"nmnist.yaml", nmFull},
		{"ncars.yaml", ncars},
		{"dvs-gesture.yaml", gesture},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := readExample(t, tc.file)
			c.Data.Dir, c.Data.CacheDir = tc.dir, t.TempDir()
			c.Train.BatchSize = 4 // two steps of the first epoch: a few seconds for T = 300 in nmnist.yaml
			r := runIn(t, c, t.TempDir(), Options{MaxSteps: 2})
			if r.Steps != 2 || r.Stopped != "max steps" {
				t.Errorf("%d steps, stopped %q; want 2 steps, max steps", r.Steps, r.Stopped)
			}
		})
	}
}

// TestNMNISTSubsetRecipe trains examples/nmnist-small.yaml on the real
// N-MNIST subset (../shared/data/nmnist-small) for 4 of its 15 epochs, seed
// 0, and requires a test accuracy of at least 80 %. The floor comes from
// runs of this budget (spikegrad train --config examples/nmnist-small.yaml
// --train.epochs 4 --seed S, 2-core AMD EPYC Zen 5, load 6.2-6.4): seeds
// 0-4 gave 87, 87, 88, 84 and 86 %; 80 % is four test samples below the
// lowest, room for other CPUs' rounding. Chance is 10 %. It skips without
// ../shared/data (or $SPIKEGRAD_SHARED_DATA) and fails then under
// SPIKEGRAD_REQUIRE_DATA=1.
func TestNMNISTSubsetRecipe(t *testing.T) {
	c := readExample(t, "nmnist-small.yaml")
	c.Data.Dir = sharedDataDir(t, "nmnist-small", "train1K.txt")
	c.Train.Epochs = 4
	r := runIn(t, c, t.TempDir(), Options{})
	if r.Epochs != 4 || r.TestAccuracy < 0.80 {
		t.Errorf("%d epochs, test accuracy %.2f, want 4 epochs and at least 0.80", r.Epochs, r.TestAccuracy)
	}
	t.Logf("test accuracy %.2f after 4 epochs", r.TestAccuracy)
}

// TestEventDelaySteps: a delay layer's max_delay is checked against the
// frames' steps (data.frame_bins), not data.steps; frames by window have
// lengths known only from the data, so the check is the layer's own at run
// time.
func TestEventDelaySteps(t *testing.T) {
	c := readExample(t, "nmnist.yaml")
	c.Data.FrameBins = 50
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), `model.layers[3] (layer "delay1", delay).max_delay = 62`) {
		t.Errorf("max_delay 62 with 50 frames: %v", err)
	}
	c.Data.FrameBins, c.Data.FrameWindow, c.Data.Cache = 0, 1000, false
	if err := c.Validate(); err != nil {
		t.Errorf("frames by window: %v", err)
	}
}
