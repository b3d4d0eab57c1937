package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// h5pyPython returns a python3 that imports h5py and numpy (Debian's
// python3-h5py), or skips t; CI (SPIKEGRAD_REQUIRE_NIR_REF=1, which
// .ci/run sets and whose packages it installs) fails instead.
func h5pyPython(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import h5py, numpy").Run() == nil {
				return path
			}
		}
	}
	msg := "python3 with h5py and numpy not found: the SHD-layout files cannot be written (install python3-h5py python3-numpy)"
	if os.Getenv("SPIKEGRAD_REQUIRE_NIR_REF") != "" {
		t.Fatal(msg + "; SPIKEGRAD_REQUIRE_NIR_REF is set, which makes this a failure")
	}
	t.Skip(msg + "; set SPIKEGRAD_REQUIRE_NIR_REF=1 to make this a failure")
	return ""
}

// shdSpec is what testdata/shd/write_shd.py writes, and shdBack what h5py
// reads back from the file.
type shdSpec struct {
	Path       string      `json:"path"`
	TimesDtype string      `json:"times_dtype"`
	Chunked    bool        `json:"chunked"`
	Omit       string      `json:"omit"`
	Times      [][]float64 `json:"times"`
	Units      [][]int     `json:"units"`
	Labels     []int       `json:"labels"`
	Speakers   []int       `json:"speakers"`
	Keys       []string    `json:"keys"`
	Random     *shdRandom  `json:"random,omitempty"`
}

// shdRandom asks write_shd.py to draw the samples itself (for benchmarks).
type shdRandom struct {
	N         int    `json:"n"`
	MaxSpikes int    `json:"max_spikes"`
	Seed      uint64 `json:"seed"`
}

type shdBack struct {
	Times    [][]float64 `json:"times"`
	Units    [][]int     `json:"units"`
	Labels   []int       `json:"labels"`
	Speakers []int       `json:"speakers"`
	Keys     []string    `json:"keys"`
}

// randomSHD draws n samples of up to maxSpikes spikes in SHD's ranges:
// sorted times in [0, 1.2) s, channels 0..699, labels 0..19, 3 speakers.
func randomSHD(seed uint64, n, maxSpikes int) shdSpec {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := shdSpec{TimesDtype: "float32"}
	for i := range n {
		k := rng.IntN(maxSpikes + 1)
		if i == 1 {
			k = 0 // a sample without spikes
		}
		ts := make([]float64, k)
		us := make([]int, k)
		for j := range ts {
			ts[j] = rng.Float64() * 1.2
			us[j] = rng.IntN(SHDChannels)
		}
		sort.Float64s(ts)
		s.Times = append(s.Times, ts)
		s.Units = append(s.Units, us)
		s.Labels = append(s.Labels, i%20)
		s.Speakers = append(s.Speakers, i%3)
	}
	for d := range 10 {
		s.Keys = append(s.Keys, fmt.Sprintf("english-%d", d))
	}
	for d := range 10 {
		s.Keys = append(s.Keys, fmt.Sprintf("german-%d", d))
	}
	return s
}

// writeSHD writes each spec with h5py (one python3 run for all) and
// returns what h5py reads back from each file.
func writeSHD(t testing.TB, specs ...shdSpec) []shdBack {
	t.Helper()
	py := h5pyPython(t)
	in, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "shd", "write_shd.py"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("write_shd.py: %v\n%s", err, stderr.String())
	}
	var back []shdBack
	if err := json.Unmarshal(out, &back); err != nil || len(back) != len(specs) {
		t.Fatalf("write_shd.py output: %v (%d entries for %d files)", err, len(back), len(specs))
	}
	return back
}

// TestReadSHD writes SHD-layout files with h5py (times as float16, 32 and
// 64, contiguous and chunked) and checks that ReadSHD returns what h5py
// reads back from them.
func TestReadSHD(t *testing.T) {
	cases := []struct {
		dtype   string
		chunked bool
	}{{"float32", false}, {"float16", true}, {"float64", true}}
	dir := t.TempDir()
	var specs []shdSpec
	for i, c := range cases {
		spec := randomSHD(1, 25, 300)
		spec.Path = filepath.Join(dir, fmt.Sprintf("shd_%d.h5", i))
		spec.TimesDtype, spec.Chunked = c.dtype, c.chunked
		specs = append(specs, spec)
	}
	backs := writeSHD(t, specs...)
	for ci, c := range cases {
		spec, back := specs[ci], backs[ci]
		t.Run(fmt.Sprintf("%s-chunked=%v", c.dtype, c.chunked), func(t *testing.T) {
			sa, err := ReadSHD(spec.Path)
			if err != nil {
				t.Fatal(err)
			}
			if len(sa.Times) != 25 || sa.Channels != SHDChannels || sa.Path != spec.Path {
				t.Fatalf("%d samples, %d channels, path %q", len(sa.Times), sa.Channels, sa.Path)
			}
			for i := range back.Times {
				if len(sa.Times[i]) != len(back.Times[i]) || len(sa.Units[i]) != len(back.Units[i]) {
					t.Fatalf("sample %d: %d times, %d units, want %d, %d", i, len(sa.Times[i]), len(sa.Units[i]), len(back.Times[i]), len(back.Units[i]))
				}
				for j, v := range back.Times[i] {
					// float16 and float32 values are exact in float32;
					// float64 ones are rounded to it.
					if sa.Times[i][j] != float32(v) || int(sa.Units[i][j]) != back.Units[i][j] {
						t.Fatalf("sample %d spike %d: (%g s, %d), h5py reads (%g s, %d)", i, j, sa.Times[i][j], sa.Units[i][j], v, back.Units[i][j])
					}
				}
			}
			if !slices.Equal(sa.Labels, back.Labels) || !slices.Equal(sa.Speakers, back.Speakers) || !slices.Equal(sa.Keys, back.Keys) {
				t.Errorf("labels %v speakers %v keys %v; h5py: %v %v %v", sa.Labels, sa.Speakers, sa.Keys, back.Labels, back.Speakers, back.Keys)
			}
			if c.dtype == "float16" {
				// float16 has 11 significant bits: times up to 1.2 s are
				// within 2^-11 (relative) of what was written.
				for i, ts := range spec.Times {
					for j, v := range ts {
						if math.Abs(float64(sa.Times[i][j])-v) > v/2048+1e-7 {
							t.Fatalf("sample %d spike %d: %g, written %g", i, j, sa.Times[i][j], v)
						}
					}
				}
			}
		})
	}
}

func TestReadSHDErrors(t *testing.T) {
	dir := t.TempDir()
	noTimes := randomSHD(2, 5, 20)
	noTimes.Path = filepath.Join(dir, "no_times.h5")
	noTimes.Omit = "spikes/times"
	badUnit := randomSHD(2, 5, 20)
	badUnit.Path = filepath.Join(dir, "bad_unit.h5")
	badUnit.Units[3] = append(badUnit.Units[3], 700)
	badUnit.Times[3] = append(badUnit.Times[3], 1.25)
	short := randomSHD(2, 5, 20)
	short.Path = filepath.Join(dir, "short.h5")
	short.Units[2] = short.Units[2][:len(short.Units[2])-1]
	writeSHD(t, noTimes, badUnit, short)

	_, err := ReadSHD(noTimes.Path)
	var le *LayoutError
	if !errors.As(err, &le) || le.File != noTimes.Path || le.Field != "spikes/times" || !strings.Contains(le.Msg, "missing") || !errors.Is(err, ErrFormat) {
		t.Errorf("file without spikes/times: %v, want a *LayoutError naming the file and spikes/times", err)
	}
	_, err = ReadSHD(badUnit.Path)
	if !errors.As(err, &le) || le.Field != "spikes/units" || le.Index != 3 || !strings.Contains(le.Msg, "channel 700") {
		t.Errorf("unit 700: %v, want a *LayoutError naming spikes/units, sample 3, channel 700", err)
	}
	_, err = ReadSHD(short.Path)
	if !errors.As(err, &le) || le.Index != 2 || !strings.Contains(le.Msg, "units for") {
		t.Errorf("one unit fewer than times: %v, want a *LayoutError naming sample 2", err)
	}

	junk := filepath.Join(dir, "junk.h5")
	writeFile(t, junk, []byte("this is not an HDF5 file, only 48 bytes of text."))
	if _, err = ReadSHD(junk); !errors.As(err, &le) || le.File != junk {
		t.Errorf("not HDF5: %v, want a *LayoutError naming the file", err)
	}
}

// TestSpikeBinning checks Bin on hand-worked spikes (4 channels).
func TestSpikeBinning(t *testing.T) {
	// DT = 5 ms, 3 steps: 0 and 4.9 ms → step 0 (channel 3, twice),
	// 5 ms → step 1, 12 ms → step 2 (12/5 = 2.4), 500 ms → step 100,
	// dropped.
	times := []float32{0, 0.0049, 0.005, 0.012, 0.5}
	units := []uint16{3, 3, 1, 0, 2}
	dst := make([]float32, 3*4)
	for i := range dst {
		dst[i] = 7 // cleared by Bin
	}
	want := []float32{0, 0, 0, 2, 0, 1, 0, 0, 1, 0, 0, 0}
	if n := (SpikeBinning{Steps: 3, DT: 0.005}).Bin(dst, 4, 0, 4, times, units); n != 1 || !slices.Equal(dst, want) {
		t.Errorf("counts %v (dropped %d), want %v (dropped 1)", dst, n, want)
	}
	want[3] = 1
	if (SpikeBinning{Steps: 3, DT: 0.005, Clip: true}).Bin(dst, 4, 0, 4, times, units); !slices.Equal(dst, want) {
		t.Errorf("clipped %v, want %v", dst, want)
	}
	// Stretched over 4 steps: span 0.125..0.625 s, (t-0.125)*4/0.5 = 0,
	// 1, 3, and 4 → the last step.
	dst = make([]float32, 4*4)
	(SpikeBinning{Steps: 4}).Bin(dst, 4, 0, 4, []float32{0.125, 0.25, 0.5, 0.625}, []uint16{0, 1, 2, 3})
	want = []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	if !slices.Equal(dst, want) {
		t.Errorf("stretched %v, want %v", dst, want)
	}
}

// TestSpikeAudioSet serves an SHD-layout file through a Loader and checks
// each batch against Bin of the samples it names.
func TestSpikeAudioSet(t *testing.T) {
	spec := randomSHD(3, 20, 200)
	spec.Path = filepath.Join(t.TempDir(), "shd_train.h5")
	writeSHD(t, spec)
	sa, err := ReadSHD(spec.Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSpikeAudioSet(sa, SpikeBinning{}); err == nil {
		t.Error("0 steps: no error")
	}
	bin := SpikeBinning{Steps: 120, DT: 0.01}
	set, err := NewSpikeAudioSet(sa, bin)
	if err != nil {
		t.Fatal(err)
	}
	if steps, f := set.Shape(); steps != 120 || f != 700 || set.Len() != 20 {
		t.Fatalf("shape (%d, %d), %d samples", steps, f, set.Len())
	}
	loader, err := NewLoader(set, LoaderConfig{BatchSize: 6, Shuffle: true}, rand.New(rand.NewPCG(4, 4)))
	if err != nil {
		t.Fatal(err)
	}
	one := make([]float32, 120*700)
	var total float64
	ep := loader.Epoch(t.Context())
	defer ep.Close()
	for ep.Next() {
		b := ep.Batch()
		for i, j := range b.Index {
			if b.Labels[i] != spec.Labels[j] {
				t.Errorf("sample %d: label %d, want %d", j, b.Labels[i], spec.Labels[j])
			}
			bin.Bin(one, 700, 0, 700, sa.Times[j], sa.Units[j])
			for s := range 120 {
				for c := range 700 {
					v := b.X[(s*b.Size+i)*700+c]
					total += float64(v)
					if v != one[s*700+c] {
						t.Fatalf("sample %d step %d channel %d: %g, want %g", j, s, c, v, one[s*700+c])
					}
				}
			}
		}
	}
	if err := ep.Err(); err != nil {
		t.Fatal(err)
	}
	// Every spike is before 1.2 s, inside 120 steps of 10 ms.
	n := 0
	for _, ts := range spec.Times {
		n += len(ts)
	}
	if total != float64(n) {
		t.Errorf("%g spikes in the batches, %d written", total, n)
	}
}

// TestLoadSHDDownload serves SHD-layout files, gzip-compressed, and an
// md5sums.txt from a loopback server, as the publisher does, and loads the
// test split through Resolve: download, MD5 check against the list,
// decompression, reading. A wrong digest and a file the list lacks are
// refused and leave nothing behind.
func TestLoadSHDDownload(t *testing.T) {
	t.Setenv(EnvData, "")
	src := t.TempDir()
	files := map[string][]byte{}
	train, test := randomSHD(10, 8, 50), randomSHD(11, 8, 50)
	train.Path, test.Path = filepath.Join(src, "shd_train.h5"), filepath.Join(src, "shd_test.h5")
	writeSHD(t, train, test)
	for _, name := range []string{"shd_train", "shd_test"} {
		raw, err := os.ReadFile(filepath.Join(src, name+".h5"))
		if err != nil {
			t.Fatal(err)
		}
		files[name+".h5.gz"] = gzipBytes(t, raw)
	}
	sum := func(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
	list := fmt.Sprintf("%s  shd_train.h5.gz\n%s  shd_test.h5.gz\n", sum(files["shd_train.h5.gz"]), sum(files["shd_test.h5.gz"]))
	serve := func(list string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := strings.TrimPrefix(r.URL.Path, "/")
			if name == "md5sums.txt" {
				w.Write([]byte(list))
				return
			}
			b, ok := files[name]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
		}))
	}
	srv := serve(list)
	defer srv.Close()
	cache := t.TempDir()
	opt := ResolveOptions{CacheDir: cache, SystemDir: t.TempDir(), Mirrors: []string{srv.URL + "/"}}
	sa, err := LoadSHD("shd", Test, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReadSHD(filepath.Join(src, "shd_test.h5"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sa.Times) != 8 || !slices.Equal(sa.Labels, want.Labels) || !slices.Equal(sa.Times[5], want.Times[5]) {
		t.Errorf("downloaded test split differs from the file served")
	}
	if _, err := os.Stat(filepath.Join(cache, "shd", "shd_test.h5")); err != nil {
		t.Errorf("decompressed file not beside the download: %v", err)
	}

	// A list whose digest for the train file is wrong, and one that lacks it.
	for _, bad := range []string{
		strings.Replace(list, sum(files["shd_train.h5.gz"]), strings.Repeat("0", 32), 1),
		fmt.Sprintf("%s  shd_test.h5.gz\n", sum(files["shd_test.h5.gz"])),
	} {
		srv2 := serve(bad)
		cache2 := t.TempDir()
		opt.CacheDir, opt.Mirrors = cache2, []string{srv2.URL + "/"}
		_, err := LoadSHD("shd", Test, opt)
		srv2.Close()
		var ce *ChecksumError
		if err == nil || (strings.Contains(bad, strings.Repeat("0", 32)) && !errors.As(err, &ce)) {
			t.Errorf("bad list: %v, want an error (a *ChecksumError for the wrong digest)", err)
		}
		if _, err := os.Stat(filepath.Join(cache2, "shd", "shd_train.h5.gz")); err == nil {
			t.Error("a file that failed its check was left under its name")
		}
	}
}

// TestSHDFileGzip checks the decompression of a published .h5.gz beside it.
func TestSHDFileGzip(t *testing.T) {
	dir := t.TempDir()
	raw := []byte("\x89HDF\r\n\x1a\n bytes of an HDF5 file")
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	writeFile(t, filepath.Join(dir, "ssc_valid.h5.gz"), b.Bytes())
	p, err := SHDFile(dir, "ssc", Valid)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if p != filepath.Join(dir, "ssc_valid.h5") || !bytes.Equal(got, raw) {
		t.Errorf("%s holds %q", p, got)
	}
	if _, err := SHDFile(dir, "shd", Valid); err == nil {
		t.Error("shd valid split: no error")
	}
	writeFile(t, filepath.Join(dir, "ssc_test.h5.gz"), b.Bytes()[:10])
	if _, err := SHDFile(dir, "ssc", Test); err == nil {
		t.Error("truncated gzip: no error")
	} else if _, serr := os.Stat(filepath.Join(dir, "ssc_test.h5")); serr == nil {
		t.Error("truncated gzip left a partial ssc_test.h5")
	}
}

// FuzzReadSHD checks that ReadSHD never panics or crashes on a damaged
// SHD-layout file (seeds: files written by h5py, chunked and contiguous,
// and cut short; testdata/fuzz holds a file whose local heap claimed 138 GB)
// and that what it accepts keeps its invariants. By hand, the slow target
// needs a bound on minimisation:
//
//	go test ./datasets -run XXX -fuzz FuzzReadSHD -fuzztime 60s -fuzzminimizetime 5x
func FuzzReadSHD(f *testing.F) {
	dir := f.TempDir()
	a, b := randomSHD(5, 3, 6), randomSHD(6, 2, 4)
	a.Path, b.Path = filepath.Join(dir, "a.h5"), filepath.Join(dir, "b.h5")
	b.Chunked, b.TimesDtype = true, "float16"
	writeSHD(f, a, b)
	for _, p := range []string{a.Path, b.Path} {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		path := filepath.Join(t.TempDir(), "f.h5")
		writeFile(t, path, raw)
		sa, err := ReadSHD(path)
		if err != nil {
			var le *LayoutError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LayoutError", err)
			}
			return
		}
		if len(sa.Times) != len(sa.Units) || len(sa.Times) != len(sa.Labels) {
			t.Fatalf("%d times, %d units, %d labels", len(sa.Times), len(sa.Units), len(sa.Labels))
		}
		for i := range sa.Times {
			if len(sa.Times[i]) != len(sa.Units[i]) {
				t.Fatalf("sample %d: %d times, %d units", i, len(sa.Times[i]), len(sa.Units[i]))
			}
			for _, u := range sa.Units[i] {
				if u >= SHDChannels {
					t.Fatalf("sample %d: unit %d", i, u)
				}
			}
		}
	})
}
