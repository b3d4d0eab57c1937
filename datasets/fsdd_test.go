package datasets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFSDDName(t *testing.T) {
	f, err := ParseFSDDName("7_jackson_32.wav")
	if err != nil || f != (FSDDFile{Digit: 7, Speaker: "jackson", Index: 32}) {
		t.Errorf("got %+v, %v", f, err)
	}
	for _, bad := range []string{"7_jackson.wav", "x_jackson_1.wav", "12_a_1.wav", "1_a_-1.wav", "1__1.wav", "1_a_1.mp3"} {
		if _, err := ParseFSDDName(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if FSDDSplit(4) != Test || FSDDSplit(5) != Train || FSDDSplit(0) != Test || FSDDSplit(49) != Train {
		t.Error("split: want 0-4 test, 5-49 train (FSDD README)")
	}
}

func writeWAV(t *testing.T, path string, x []float32, rate int) {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeWAV(&b, x, rate); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

// TestLoadFSDDFixture builds a small FSDD-shaped folder and checks the
// split, labels, shape, Fill against EncodeAudio of the stored features,
// and the errors for a wrong sample rate and a truncated file.
func TestLoadFSDDFixture(t *testing.T) {
	dir := t.TempDir()
	for d := range 3 {
		for n := range 7 {
			x := refSignal(2000 + 300*d + 10*n)
			writeWAV(t, filepath.Join(dir, fmt.Sprintf("%d_ann_%d.wav", d, n)), x, 8000)
		}
	}
	writeFile(t, filepath.Join(dir, "README.md"), []byte("ignored"))
	cfg := AudioConfig{Steps: 20, Filterbank: FilterbankConfig{Bands: 16}}
	test, err := LoadFSDD(dir, Test, cfg)
	if err != nil {
		t.Fatal(err)
	}
	train, err := LoadFSDD(dir, Train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 3 digits x indices 0-4 test, 5-6 train.
	if test.Len() != 15 || train.Len() != 6 {
		t.Fatalf("test %d, train %d recordings, want 15 and 6", test.Len(), train.Len())
	}
	if steps, ch := test.Shape(); steps != 20 || ch != 32 {
		t.Errorf("shape (%d, %d), want (20, 32): 16 bands, up and down", steps, ch)
	}
	// Recording 2000+300d+10n samples: 1 + ceil((n-200)/80) frames > 20,
	// so every one is cut to 20 frames.
	for i, f := range test.Features {
		if len(f) != 20*16 {
			t.Errorf("recording %d: %d features, want 20*16", i, len(f))
		}
	}
	b := NewBatch(20, 2, 32)
	if err := test.Fill(b, []int{6, 0}); err != nil {
		t.Fatal(err)
	}
	// Files sort as 0_ann_0 .. 0_ann_4, 1_ann_0 ..: index 6 is digit 1.
	if b.Labels[0] != 1 || b.Labels[1] != 0 {
		t.Errorf("labels %v, want [1 0]", b.Labels)
	}
	want := make([]float32, 20*32)
	EncodeAudio(AudioCrossing, want, 32, 0, test.Features[6], 20, 16, 0.1, 1, nil)
	for tt := range 20 {
		for k := range 32 {
			if got := b.X[(tt*2)*32+k]; got != want[tt*32+k] {
				t.Fatalf("step %d channel %d: %g, want %g", tt, k, got, want[tt*32+k])
			}
		}
	}
	if err := test.Fill(b, []int{15, 0}); err == nil {
		t.Error("index 15 of 15: no error")
	}

	// A recording at 16 kHz: refused, or resampled on request; resampled,
	// its features are close to those of the 8 kHz original.
	x8 := refSignal(4000)
	x16, err := Resample(x8, 8000, 16000, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeWAV(t, filepath.Join(dir, "5_bob_1.wav"), x16, 16000)
	_, err = LoadFSDD(dir, Test, cfg)
	if err == nil || !strings.Contains(err.Error(), "5_bob_1.wav: sample rate 16000 Hz, want 8000 Hz") {
		t.Errorf("16 kHz file: error %v, want one naming the file and the rate", err)
	}
	rcfg := cfg
	rcfg.Resample = true
	rs, err := LoadFSDD(dir, Test, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := NewFilterbank(FilterbankConfig{Rate: 8000, Bands: 16})
	orig := AudioFeatures(fb, x8, 20, 1e-6)
	got := rs.Features[15] // 5_bob_1 sorts after 2_ann_*
	worst := 0.0
	for i := range orig {
		worst = max(worst, math.Abs(float64(got[i]-orig[i])))
	}
	// Round trips through 16-bit PCM and two resamplings: a few percent of
	// the normalised range.
	if worst > 0.05 {
		t.Errorf("resampled recording's features differ by up to %g from the original's", worst)
	}

	// A truncated recording: one error naming the file.
	raw, _ := os.ReadFile(filepath.Join(dir, "0_ann_0.wav"))
	writeFile(t, filepath.Join(dir, "0_ann_0.wav"), raw[:len(raw)-7])
	_, err = LoadFSDD(dir, Test, rcfg)
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.HasSuffix(fe.File, "0_ann_0.wav") || !strings.Contains(fe.Msg, "truncated") {
		t.Errorf("truncated file: %v, want a *FormatError naming 0_ann_0.wav", err)
	}
}

// TestFSDDReal loads the real dataset and serves an epoch of it through a
// Loader: ../shared/data/README.md states 3000 recordings, 6 speakers x 10
// digits x 50, so the usual split has 300 test recordings, 30 per digit.
func TestFSDDReal(t *testing.T) {
	dir := sharedData(t, "fsdd")
	test, err := LoadFSDD(dir, Test, AudioConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if test.Len() != 300 {
		t.Fatalf("%d test recordings, want 300", test.Len())
	}
	var per [10]int
	for _, l := range test.Labels {
		per[l]++
	}
	if per != [10]int{30, 30, 30, 30, 30, 30, 30, 30, 30, 30} {
		t.Errorf("test recordings per digit %v, want 30 each", per)
	}
	steps, ch := test.Shape()
	if steps != 80 || ch != 80 {
		t.Fatalf("shape (%d, %d), want (80, 80): 40 bands up and down", steps, ch)
	}
	loader, err := NewLoader(test, LoaderConfig{BatchSize: 64, Shuffle: true}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	ep := loader.Epoch(context.Background())
	defer ep.Close()
	n, spikes := 0, 0.0
	for ep.Next() {
		b := ep.Batch()
		n += b.Size
		for _, v := range b.X {
			if v != 0 && v != 1 {
				t.Fatalf("spike value %g", v)
			}
			spikes += float64(v)
		}
	}
	if err := ep.Err(); err != nil {
		t.Fatal(err)
	}
	// Every recording is normalised to [0, 1] and the threshold is 0.1,
	// so each has spikes; the average is at least one per band.
	if n != 300 || spikes < 300*40 {
		t.Errorf("%d samples served with %g spikes, want 300 and at least %d", n, spikes, 300*40)
	}
}
