package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes dims and data as a raw IDX file, for fixtures.
func idxBytes(t testing.TB, dims []int, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeIDX(&b, dims, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixtureImages is a 3-image 2x2 set: pixel values 0, 51, 102, ..., and
// labels 2, 0, 1.
func fixtureImages() (dims []int, pixels []byte, labels []byte) {
	pixels = make([]byte, 12)
	for i := range pixels {
		pixels[i] = byte(i * 51 % 256) // 0, 51, 102, 153, 204, 255, 50, ...
	}
	return []int{3, 2, 2}, pixels, []byte{2, 0, 1}
}

func TestReadIDXRawAndGzip(t *testing.T) {
	dims, pixels, _ := fixtureImages()
	raw := idxBytes(t, dims, pixels)
	// The header of a [3, 2, 2] uint8 file: 00 00 08 03, then 3, 2, 2 as
	// big-endian uint32 (the IDX layout of ../shared/data/README.md).
	wantHeader := []byte{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2}
	if !bytes.Equal(raw[:16], wantHeader) {
		t.Fatalf("header % x, want % x", raw[:16], wantHeader)
	}
	dir := t.TempDir()
	// Compression is detected from the content, not the name: the gzip file
	// is named like a raw one and the raw one like a gzip one.
	cases := map[string][]byte{"raw.gz": raw, "gzip-idx3-ubyte": gzipBytes(t, raw)}
	for name, content := range cases {
		p := filepath.Join(dir, name)
		writeFile(t, p, content)
		got, err := ReadIDXFile(p, md5Hex(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got.Dims, dims) || !bytes.Equal(got.Data, pixels) {
			t.Errorf("%s: got dims %v data %v, want %v %v", name, got.Dims, got.Data, dims, pixels)
		}
		got2, err := ReadIDX(bytes.NewReader(content), name)
		if err != nil || !bytes.Equal(got2.Data, pixels) {
			t.Errorf("%s: ReadIDX: %v", name, err)
		}
	}
}

func TestReadIDXChecksum(t *testing.T) {
	dims, pixels, _ := fixtureImages()
	raw := idxBytes(t, dims, pixels)
	p := filepath.Join(t.TempDir(), "x.gz")
	writeFile(t, p, gzipBytes(t, raw))
	want := strings.Repeat("0", 32)
	_, err := ReadIDXFile(p, want)
	var ce *ChecksumError
	if !errors.As(err, &ce) || !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v, want a *ChecksumError", err)
	}
	if ce.File != p || ce.Algorithm != "md5" || ce.Want != want || ce.Got != md5Hex(raw) {
		t.Errorf("ChecksumError %+v", ce)
	}
}

func TestReadIDXErrors(t *testing.T) {
	dims, pixels, _ := fixtureImages()
	good := idxBytes(t, dims, pixels) // 16-byte header + 12 data bytes
	mod := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	gz := gzipBytes(t, good)
	cases := []struct {
		name    string
		content []byte
		offset  int64
		msg     string
	}{
		{"empty", nil, 0, "shorter than an IDX header"},
		{"one byte", []byte{0}, 1, "shorter than an IDX header"},
		{"bad magic", mod(func(b []byte) []byte { b[1] = 1; return b }), 0, "bad magic"},
		{"float type", mod(func(b []byte) []byte { b[2] = 0x0D; return b }), 2, "type code 0x0d (float32)"},
		{"zero dims", mod(func(b []byte) []byte { b[3] = 0; return b }), 3, "0 dimensions"},
		{"zero size", mod(func(b []byte) []byte { b[11] = 0; return b }), 8, "dimension 1 has size 0"},
		{"truncated header", good[:10], 10, "truncated header: 3 dimensions need 16 header bytes"},
		{"truncated data", good[:len(good)-1], 16, "header declares 3x2x2 = 12 data bytes, file has 11"},
		{"trailing data", append(slices.Clone(good), 7), 16, "header declares 3x2x2 = 12 data bytes, file has 13"},
		{"gzip truncated data", gzipBytes(t, good[:len(good)-2]), 26, "truncated: header declares 3x2x2 = 12 data bytes, stream ends after 10"},
		{"gzip trailing data", gzipBytes(t, append(slices.Clone(good), 1, 2)), 28, "trailing data"},
		{"gzip cut stream", gz[:len(gz)-8], 28, "reading past the data"},
		{"gzip bad header", []byte{0x1f, 0x8b, 0, 0}, 0, "bad gzip header"},
		{"huge dims", []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}, 8, "exceeds"},
		// 2^17 * 2^17 * (2^30+1) = 2^64 + 2^34: a product that wraps around
		// uint64 to 2^34 must still be refused.
		{"wrapping dims", []byte{0, 0, 8, 3, 0, 2, 0, 0, 0, 2, 0, 0, 0x40, 0, 0, 1}, 12, "exceeds"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
			writeFile(t, p, c.content)
			_, err := ReadIDXFile(p, "")
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
				t.Fatalf("got %v, want a *FormatError", err)
			}
			if fe.File != p || fe.Offset != c.offset || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("got %q at offset %d, want offset %d and %q", err, fe.Offset, c.offset, c.msg)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestReadIDXCutGzip(t *testing.T) {
	// A gzip stream cut inside the compressed data: 4000 pseudo-random
	// bytes barely compress, so half the stream holds less than 4000 of them.
	data := make([]byte, 4000)
	for i := range data {
		data[i] = byte(i * 7919 >> 3)
	}
	gz := gzipBytes(t, idxBytes(t, []int{4000}, data))
	_, err := ReadIDX(bytes.NewReader(gz[:len(gz)/2]), "cut.gz")
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, io.ErrUnexpectedEOF) ||
		!strings.Contains(fe.Msg, "truncated: header declares 4000 = 4000 data bytes, stream ends after") {
		t.Fatalf("got %v, want a truncation *FormatError", err)
	}
	if fe.Offset <= 8 || fe.Offset >= 4008 {
		t.Errorf("offset %d, want inside the data (8, 4008)", fe.Offset)
	}
}

func TestEncodeIDXErrors(t *testing.T) {
	for _, c := range []struct {
		dims []int
		n    int
	}{{nil, 0}, {[]int{2, 0}, 0}, {[]int{2, 2}, 3}, {make([]int, 17), 0}} {
		if err := EncodeIDX(io.Discard, c.dims, make([]byte, c.n)); err == nil {
			t.Errorf("EncodeIDX(%v, %d bytes): no error", c.dims, c.n)
		}
	}
}

// allImages returns every image of s scaled, [N, H*W].
func allImages(s *ImageSet) []float32 {
	f := s.H * s.W
	x := make([]float32, s.N*f)
	for i := range s.N {
		s.Image(x[i*f:(i+1)*f], i)
	}
	return x
}

func TestNewImageSetScaling(t *testing.T) {
	dims, pixels, labels := fixtureImages()
	images := &IDX{Dims: dims, Data: pixels}
	lbl := &IDX{Dims: []int{3}, Data: labels}
	s, err := NewImageSet(images, lbl, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Pixel 51 is 51/255 = 0.2 and 255 is 1 (ToTensor's scaling).
	x := allImages(s)
	if x[1] != float32(51)/255 || x[5] != 1 || x[0] != 0 {
		t.Errorf("scaled pixels %v", x[:6])
	}
	if s.N != 3 || s.H != 2 || s.W != 2 || s.Classes != 3 {
		t.Errorf("N, H, W, Classes = %d, %d, %d, %d", s.N, s.H, s.W, s.Classes)
	}
	// Mean 0.1307, Std 0.3081 (torchvision's MNIST example): pixel 255 gives
	// (1 - 0.1307)/0.3081 = 2.8215...
	n, err := NewImageSet(images, lbl, ImageOptions{Mean: 0.1307, Std: 0.3081})
	if err != nil {
		t.Fatal(err)
	}
	if want, got := (float32(1)-0.1307)/0.3081, allImages(n)[5]; got != want {
		t.Errorf("normalised 255 = %v, want %v", got, want)
	}
	if _, err := NewImageSet(images, &IDX{Dims: []int{2}, Data: labels[:2]}, ImageOptions{}); err == nil {
		t.Error("3 images with 2 labels: no error")
	}
	if _, err := NewImageSet(lbl, lbl, ImageOptions{}); err == nil {
		t.Error("1-D images: no error")
	}
}

// sharedData returns the folder sub of the project's real data
// (../shared/data from the repository root, or $SPIKEGRAD_SHARED_DATA). It
// skips the test when the folder is absent, or fails it when
// SPIKEGRAD_REQUIRE_DATA=1 (as in CI).
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	return requireDir(t, filepath.Join(sharedRoot(), sub))
}

// sharedRoot is the folder of the shared real data: $SPIKEGRAD_SHARED_DATA
// (as CI sets it), else ../shared/data beside the repository.
func sharedRoot() string {
	if root := os.Getenv("SPIKEGRAD_SHARED_DATA"); root != "" {
		return root
	}
	return filepath.Join("..", "..", "shared", "data")
}

func requireDir(t testing.TB, dir string) string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		msg := fmt.Sprintf("real data not available: %v (set SPIKEGRAD_SHARED_DATA, or put shared/data beside the repository)", err)
		if os.Getenv("SPIKEGRAD_REQUIRE_DATA") == "1" {
			t.Fatal(msg + "; SPIKEGRAD_REQUIRE_DATA=1 makes this a failure")
		}
		t.Skip(msg)
	}
	return dir
}

func TestMNISTReal(t *testing.T) {
	dir := sharedData(t, "mnist")
	spec, err := Lookup("mnist")
	if err != nil {
		t.Fatal(err)
	}
	// Class counts of MNIST, train and test: the published split
	// (LeCun, Cortes, Burges), re-counted on ../shared/data/mnist with
	// `zcat FILE | tail -c +9 | od -An -tu1 -v -w1 | sort -n | uniq -c`.
	counts := map[Split][]int{
		Train: {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
		Test:  {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
	}
	// The first label of the training set is 5 and of the test set 7: the
	// digits shown as the first image of each file in the PyTorch and Keras
	// tutorials (mnist.load_data()[0][1][0] == 5), and bytes 8 of the label
	// files, read with `zcat FILE | od -An -tu1 -j8 -N1`.
	first := map[Split]uint8{Train: 5, Test: 7}
	for _, split := range []Split{Train, Test} {
		s, err := LoadImageSet(dir, spec, split, ImageOptions{}) // verifies the MD5s
		if err != nil {
			t.Fatal(err)
		}
		if s.H != 28 || s.W != 28 || s.N != sum(counts[split]) || s.Classes != 10 {
			t.Fatalf("%s: N=%d H=%d W=%d classes=%d", split, s.N, s.H, s.W, s.Classes)
		}
		if s.Labels[0] != first[split] {
			t.Errorf("%s: first label %d, want %d", split, s.Labels[0], first[split])
		}
		got := make([]int, 10)
		for _, l := range s.Labels {
			got[l]++
		}
		if !slices.Equal(got, counts[split]) {
			t.Errorf("%s: class counts %v, want %v", split, got, counts[split])
		}
		x := allImages(s)
		lo, hi := x[0], x[0]
		for _, v := range x {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 1 {
			t.Errorf("%s: pixel range [%v, %v], want [0, 1]", split, lo, hi)
		}
	}
	// The same folder through Resolve, via $SPIKEGRAD_DATA.
	t.Setenv(EnvData, filepath.Dir(dir))
	got, err := Resolve("mnist", ResolveOptions{Offline: true, CacheDir: t.TempDir(), Verify: true})
	if err != nil || got != dir {
		t.Errorf("Resolve = %q, %v; want %q", got, err, dir)
	}
}

func TestFashionMNISTReal(t *testing.T) {
	// Debian's dataset-fashion-mnist, which CI installs.
	dir := requireDir(t, filepath.Join(SystemDataDir, "fashion-mnist"))
	spec, err := Lookup("fashion-mnist")
	if err != nil {
		t.Fatal(err)
	}
	// Fashion-MNIST has 6000 training and 1000 test images per class (its
	// README, github.com/zalandoresearch/fashion-mnist). The first label of
	// both files is 9, "Ankle boot" (TensorFlow's basic classification
	// tutorial shows train_labels[0] as an ankle boot; both files checked
	// with `zcat FILE | od -An -tu1 -j8 -N1`).
	for split, per := range map[Split]int{Train: 6000, Test: 1000} {
		s, err := LoadImageSet(dir, spec, split, ImageOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]int, 10)
		for _, l := range s.Labels {
			got[l]++
		}
		for c, n := range got {
			if n != per {
				t.Errorf("%s: class %d has %d images, want %d", split, c, n, per)
			}
		}
		if s.Labels[0] != 9 || spec.Classes[9] != "Ankle boot" {
			t.Errorf("%s: first label %d, want 9", split, s.Labels[0])
		}
	}
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func FuzzIDX(f *testing.F) {
	dims, pixels, labels := fixtureImages()
	good := idxBytes(f, dims, pixels)
	f.Add(good)
	f.Add(gzipBytes(f, good))
	f.Add(idxBytes(f, []int{3}, labels))
	f.Add(good[:10])
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 0})
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, err := ReadIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		n := 1
		for _, d := range idx.Dims {
			if d <= 0 {
				t.Fatalf("dims %v", idx.Dims)
			}
			n *= d
		}
		if n != len(idx.Data) {
			t.Fatalf("dims %v hold %d values, data has %d", idx.Dims, n, len(idx.Data))
		}
		if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
			return // compressed: the bytes differ from the encoding
		}
		var out bytes.Buffer
		if err := EncodeIDX(&out, idx.Dims, idx.Data); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), b) {
			t.Fatalf("re-encoding differs from the input")
		}
	})
}
