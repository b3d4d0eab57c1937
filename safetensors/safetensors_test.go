package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// le64 is the 8-byte little-endian header length of the format.
func le64(n int) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

// f32le returns the little-endian bytes of float32 values.
func f32le(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// stFile assembles a safetensors file from a header (not padded) and a buffer.
func stFile(header string, buf []byte) []byte {
	return slices.Concat(le64(len(header)), []byte(header), buf)
}

// TestWriteReferenceBytes checks the writer against the exact bytes
// that the reference implementation's own tests expect
// (huggingface/safetensors, safetensors/src/tensor.rs: test_empty and
// test_serialization_forced_alignement). Those bytes are written out here
// from the format's rules: the header JSON, padded with spaces (0x20) to a
// multiple of 8 bytes, after its length as a little-endian u64.
func TestWriteReferenceBytes(t *testing.T) {
	cases := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    []byte
	}{
		{
			// "{}" and six spaces: 8 bytes.
			name: "empty",
			want: slices.Concat(le64(8), []byte("{}      ")),
		},
		{
			// `{"__metadata__":{"framework":"pt"}}` is 35 bytes; 5 spaces make 40.
			name: "metadata only",
			meta: map[string]string{"framework": "pt"},
			want: slices.Concat(le64(40), []byte(`{"__metadata__":{"framework":"pt"}}     `)),
		},
		{
			// The header is 65 bytes; 7 spaces make 72. The data are the
			// float32 values 0..5, little-endian: 0, 1 = 0x3f800000, 2 =
			// 0x40000000, 3 = 0x40400000, 4 = 0x40800000, 5 = 0x40a00000.
			name:    "forced alignment",
			tensors: []Tensor{{Name: "attn0", Shape: []int{1, 1, 2, 3}, Data: []float32{0, 1, 2, 3, 4, 5}}},
			want: slices.Concat(le64(72),
				[]byte(`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `),
				[]byte{0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xa0, 0x40}),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, c.tensors, c.meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), c.want) {
				t.Fatalf("wrote\n%q\nwant\n%q", b.Bytes(), c.want)
			}
			f, err := Read(bytes.NewReader(c.want), int64(len(c.want)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.Tensors()
			if err != nil {
				t.Fatal(err)
			}
			checkTensorsEqual(t, got, c.tensors)
			if len(c.meta) > 0 && !maps.Equal(f.Meta, c.meta) {
				t.Errorf("meta %v, want %v", f.Meta, c.meta)
			}
		})
	}
}

// handBuilt is a safetensors file written byte by byte: three tensors listed
// out of offset order, an I64 scalar, an empty F32 tensor, metadata last, and
// a header that is not padded (padding is optional in the format).
//
//	a: F32 [2]   = 1.5, -2   bytes [0, 8)
//	b: I64 []    = -3        bytes [8, 16)
//	e: F32 [0 3]             bytes [16, 16)
const handBuiltHeader = `{"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},` +
	`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
	`"e":{"dtype":"F32","shape":[0,3],"data_offsets":[16,16]},"__metadata__":{"k":"v"}}`

func handBuilt(t testing.TB) []byte {
	// 189 = 54 + 52 + 56 + 27 characters of the four lines above (with the
	// opening '{' and closing '}'), counted by hand.
	if len(handBuiltHeader) != 189 {
		t.Fatalf("fixture header has %d bytes, want 189", len(handBuiltHeader))
	}
	return slices.Concat(
		[]byte{189, 0, 0, 0, 0, 0, 0, 0},
		[]byte(handBuiltHeader),
		[]byte{0x00, 0x00, 0xc0, 0x3f},                         // 1.5 = 0x3fc00000
		[]byte{0x00, 0x00, 0x00, 0xc0},                         // -2 = 0xc0000000
		[]byte{0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // -3 in two's complement
	)
}

func TestReadHandBuilt(t *testing.T) {
	data := handBuilt(t)
	f, err := Read(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	wantInfos := []TensorInfo{
		{Name: "a", DType: F32, Shape: []int{2}, Begin: 0, End: 8},
		{Name: "b", DType: I64, Shape: []int{}, Begin: 8, End: 16},
		{Name: "e", DType: F32, Shape: []int{0, 3}, Begin: 16, End: 16},
	}
	if len(f.Infos) != len(wantInfos) {
		t.Fatalf("infos %+v, want %+v", f.Infos, wantInfos)
	}
	for i, w := range wantInfos {
		g := f.Infos[i]
		if g.Name != w.Name || g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) || g.Begin != w.Begin || g.End != w.End {
			t.Errorf("info %d = %+v, want %+v", i, g, w)
		}
	}
	if !maps.Equal(f.Meta, map[string]string{"k": "v"}) {
		t.Errorf("meta %v", f.Meta)
	}
	a, err := f.Float32("a")
	if err != nil || !slices.Equal(a, []float32{1.5, -2}) {
		t.Errorf("a = %v, %v; want [1.5 -2]", a, err)
	}
	e, err := f.Float32("e")
	if err != nil || len(e) != 0 {
		t.Errorf("e = %v, %v; want []", e, err)
	}
	if _, err := f.Float32("b"); err == nil || !strings.Contains(err.Error(), `tensor "b": dtype I64`) {
		t.Errorf("Float32 of the I64 tensor: %v", err)
	}
	if _, err := f.Tensors(); err == nil {
		t.Error("Tensors accepted an I64 tensor")
	}
	if _, err := f.Float32("zz"); err == nil || !strings.Contains(err.Error(), "no such tensor") {
		t.Errorf("Float32 of a missing tensor: %v", err)
	}
	if info, ok := f.Info("b"); !ok || info.DType.Size() != 8 || info.DType.String() != "I64" {
		t.Errorf("Info(b) = %+v, %v", info, ok)
	}
}

// TestRoundTrip writes random tensors (with NaN, infinities and
// -0, compared bit for bit) and reads them back, whatever the input order.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{float32(math.NaN()), math.Float32frombits(0x7fc00123), float32(math.Inf(1)),
		float32(math.Inf(-1)), float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32}
	var tensors []Tensor
	for i := range 12 {
		shape := make([]int, rng.IntN(5))
		for j := range shape {
			shape[j] = rng.IntN(5)
		}
		n, _ := shapeLen(shape)
		data := make([]float32, n)
		for j := range data {
			if rng.IntN(4) == 0 {
				data[j] = special[rng.IntN(len(special))]
			} else {
				data[j] = float32(rng.NormFloat64())
			}
		}
		tensors = append(tensors, Tensor{Name: "t" + string(rune('a'+i)) + ".w\"\n\\é", Shape: shape, Data: data})
	}
	tensors = append(tensors, Tensor{Name: "big", Shape: []int{300, 70}, Data: make([]float32, 21000)}) // more than one 64 KiB chunk
	meta := map[string]string{"step": "468", "arch": `{"layers":[1,2]}`, "ctl": "\x01\t\u2028", "": ""}

	var first []byte
	for perm := range 3 {
		in := slices.Clone(tensors)
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		var b bytes.Buffer
		if err := Write(&b, in, meta); err != nil {
			t.Fatal(err)
		}
		if perm == 0 {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatal("output depends on the order of the tensors")
		}
		data := b.Bytes()
		if n := binary.LittleEndian.Uint64(data); n%8 != 0 {
			t.Errorf("header length %d is not a multiple of 8", n)
		}
		f, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Tensors()
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(tensors)
		slices.SortFunc(want, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
		checkTensorsEqual(t, got, want)
		if !maps.Equal(f.Meta, meta) {
			t.Errorf("meta %q, want %q", f.Meta, meta)
		}
	}
}

func checkTensorsEqual(t *testing.T, got, want []Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d tensors, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Name != w.Name || !slices.Equal(g.Shape, w.Shape) && !(len(g.Shape) == 0 && len(w.Shape) == 0) {
			t.Fatalf("tensor %d: %q %v, want %q %v", i, g.Name, g.Shape, w.Name, w.Shape)
		}
		if len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %q: %d values, want %d", g.Name, len(g.Data), len(w.Data))
		}
		for j := range g.Data {
			if math.Float32bits(g.Data[j]) != math.Float32bits(w.Data[j]) {
				t.Fatalf("tensor %q [%d] = %#x, want %#x", g.Name, j, math.Float32bits(g.Data[j]), math.Float32bits(w.Data[j]))
			}
		}
	}
}

// TestReadCorrupt feeds one broken file per rule of the format and
// checks the kind of error, the tensor it names and what it says.
func TestReadCorrupt(t *testing.T) {
	ok8 := f32le(1, 2) // 8 bytes of data for a F32 [2]
	huge := slices.Concat(le64(1<<62), []byte("{}"))
	cases := []struct {
		name   string
		data   []byte
		kind   error
		tensor string
		msg    string
	}{
		{"empty file", nil, ErrTruncated, "", "0 bytes"},
		{"short length", []byte{8, 0, 0}, ErrTruncated, "", "3 bytes"},
		{"header over limit", huge, ErrMalformed, "", "exceeds the limit"},
		{"header beyond file", slices.Concat(le64(100), []byte("{}")), ErrTruncated, "", "header length 100, but only 2 bytes"},
		{"not UTF-8", stFile("{\"\xff\":1}", nil), ErrMalformed, "", "UTF-8"},
		{"no brace", stFile(` {}`, nil), ErrMalformed, "", "begin with '{'"},
		{"array", stFile(`[]`, nil), ErrMalformed, "", "begin with '{'"},
		{"bad JSON", stFile(`{"a":}`, nil), ErrMalformed, "a", "invalid character"},
		{"bad key", stFile(`{1:2}`, nil), ErrMalformed, "", "invalid character"},
		{"unterminated", stFile(`{"a":{"dtype":"F32"`, nil), ErrMalformed, "a", "JSON text ends early"},
		{"unterminated top", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`, nil), ErrMalformed, "", "JSON text ends early"},
		{"trailing data", stFile(`{} {}`, nil), ErrMalformed, "", "not whitespace"},
		{"duplicate tensor", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil),
			ErrMalformed, "", `duplicate key "a"`},
		{"duplicate meta key", stFile(`{"__metadata__":{"k":"1","k":"2"}}`, nil), ErrMalformed, "", `duplicate key "k"`},
		{"meta number", stFile(`{"__metadata__":{"k":1}}`, nil), ErrMalformed, "", `value of "k"`},
		{"meta null value", stFile(`{"__metadata__":{"k":null}}`, nil), ErrMalformed, "", `"k" is null`},
		{"meta array", stFile(`{"__metadata__":[]}`, nil), ErrMalformed, "", "object was expected"},
		{"tensor not object", stFile(`{"a":[1]}`, nil), ErrMalformed, "a", "object was expected"},
		{"unknown dtype", stFile(`{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", `unknown dtype "F31"`},
		{"dtype number", stFile(`{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "dtype:"},
		{"no dtype", stFile(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "dtype missing"},
		{"no shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "shape missing"},
		{"null shape", stFile(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "shape missing"},
		{"no offsets", stFile(`{"a":{"dtype":"F32","shape":[2]}}`, ok8), ErrMalformed, "a", "data_offsets missing"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "shape[0] = -2"},
		{"fractional dim", stFile(`{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "shape[0] = 2.0"},
		{"string dim", stFile(`{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", `shape[0] = "2"`},
		{"dim 2^63", stFile(`{"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "below 2^63"},
		{"three offsets", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, ok8), ErrMalformed, "a", "3 values"},
		{"negative offset", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}`, ok8), ErrMalformed, "a", "data_offsets[0] = -8"},
		{"end before begin", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, ok8), ErrMalformed, "a", "end before they begin"},
		{"size mismatch", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "hold 8 bytes, but F32 shape [3] needs 12"},
		{"F64 size mismatch", stFile(`{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "F64 shape [2] needs 16"},
		{"overflowing shape", stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "more bytes than a file can hold"},
		{"overflowing bytes", stFile(`{"a":{"dtype":"U64","shape":[2305843009213693952],"data_offsets":[0,8]}}`, ok8), ErrMalformed, "a", "more bytes than a file can hold"},
		{"gap at start", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, ok8), ErrMalformed, "a", "first 4 bytes unused"},
		{"gap between", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[6,6]}}`, ok8),
			ErrMalformed, "b", `bytes [4, 6) after tensor "a" unused`},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, ok8),
			ErrMalformed, "b", `overlap tensor "a"`},
		{"same range twice", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, ok8),
			ErrMalformed, "b", `overlap tensor "a"`},
		{"data truncated", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, ok8[:5]), ErrTruncated, "a", "beyond the 5 bytes"},
		{"extra bytes", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, append(ok8, 0)), ErrMalformed, "", "1 bytes after the last tensor"},
		{"bytes without tensors", stFile(`{}`, ok8), ErrMalformed, "", "8 bytes after the last tensor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.data), int64(len(c.data)))
			checkFormatError(t, err, c.kind, c.tensor, c.msg)
		})
	}
}

func checkFormatError(t *testing.T, err error, kind error, tensor, msg string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FormatError", err, err)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q is not %v", err, kind)
	}
	if fe.Tensor != tensor {
		t.Errorf("error %q names tensor %q, want %q", err, fe.Tensor, tensor)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not say %q", err, msg)
	}
}

// TestReadAccepts checks files that look odd but follow the
// format.
func TestReadAccepts(t *testing.T) {
	for _, header := range []string{
		`{}`,
		`{"__metadata__":null}`,
		`{"__metadata__":{}}`,
		"{}\t\r\n ",
		`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":[1,{}]}}`, // unknown keys are ignored, as by the reference
		`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"z":{"dtype":"BOOL","shape":[0,5],"data_offsets":[0,0]}}`,
	} {
		buf := f32le(1, 2)
		if !strings.Contains(header, `"a"`) {
			buf = nil
		}
		data := stFile(header, buf)
		if _, err := Read(bytes.NewReader(data), int64(len(data))); err != nil {
			t.Errorf("%q: %v", header, err)
		}
	}
}

// TestReadEveryPrefix cuts a valid file at every length and
// expects ErrTruncated each time: that is what a crash during a non-atomic
// copy leaves.
func TestReadEveryPrefix(t *testing.T) {
	var b bytes.Buffer
	tensors := []Tensor{{Name: "w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}, {Name: "z", Shape: []int{1}, Data: []float32{7}}}
	if err := Write(&b, tensors, map[string]string{"step": "1"}); err != nil {
		t.Fatal(err)
	}
	full := b.Bytes()
	for n := range len(full) {
		_, err := Read(bytes.NewReader(full[:n]), int64(n))
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix of %d of %d bytes: %v, want ErrTruncated", n, len(full), err)
		}
	}
}

// TestReadHostileMemory reads headers that announce far more data
// than the file holds and checks that the reader allocates in proportion to
// the file, not to the announcement.
func TestReadHostileMemory(t *testing.T) {
	files := [][]byte{
		slices.Concat(le64(MaxHeader), []byte("{}")),
		stFile(`{"a":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`, nil),
		stFile(`{"a":{"dtype":"U8","shape":[4611686018427387903],"data_offsets":[0,4611686018427387903]}}`, f32le(1)),
		stFile(`{"a":{"dtype":"F32","shape":[1048576,1048576,1048576],"data_offsets":[0,0]}}`, nil),
	}
	for i, data := range files {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read(bytes.NewReader(data), int64(len(data)))
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("file %d: accepted", i)
		}
		// 1 MiB is far above what parsing a header of ~100 bytes needs (a
		// few KiB for the JSON decoder) and far below any announced size.
		if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
			t.Errorf("file %d: allocated %d bytes for a file of %d", i, d, len(data))
		}
	}
}

func TestWriteRejects(t *testing.T) {
	cases := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		msg     string
	}{
		{"reserved name", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, nil, "reserved"},
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, nil, `two tensors are named "a"`},
		{"bad UTF-8 name", []Tensor{{Name: "a\xff", Shape: []int{1}, Data: []float32{1}}}, nil, "UTF-8"},
		{"bad UTF-8 meta", nil, map[string]string{"k": "\xfe"}, "UTF-8"},
		{"negative dim", []Tensor{{Name: "a", Shape: []int{-1}}}, nil, "negative"},
		{"length mismatch", []Tensor{{Name: "a", Shape: []int{2, 2}, Data: make([]float32, 3)}}, nil, `tensor "a": shape [2 2] holds 4 values, Data has 3`},
		{"scalar without data", []Tensor{{Name: "s"}}, nil, "holds 1 values, Data has 0"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		err := Write(&b, c.tensors, c.meta)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.msg)
		}
		if b.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", c.name, b.Len())
		}
	}
}

// TestFileNames checks that errors name the file, whether it was
// read by path or through an *os.File.
func TestFileNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	if err := Save(path, []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, 2}}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:len(data)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("Load: %v, want an error naming %s and saying truncated", err, path)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	_, err = Read(fh, int64(len(data)-1))
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != path {
		t.Errorf("Read(*os.File): %v, want a *FormatError naming %s", err, path)
	}
	if _, err := Load(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestDTypeString(t *testing.T) {
	// The names and sizes of the safetensors specification (Dtype in
	// safetensors/src/tensor.rs).
	want := map[DType]struct {
		name string
		size int
	}{Bool: {"BOOL", 1}, U8: {"U8", 1}, I8: {"I8", 1}, F8E5M2: {"F8_E5M2", 1},
		F8E4M3: {"F8_E4M3", 1}, I16: {"I16", 2}, U16: {"U16", 2}, F16: {"F16", 2},
		BF16: {"BF16", 2}, I32: {"I32", 4}, U32: {"U32", 4}, F32: {"F32", 4},
		F64: {"F64", 8}, I64: {"I64", 8}, U64: {"U64", 8}}
	for d, w := range want {
		if d.String() != w.name || d.Size() != w.size {
			t.Errorf("%d: %s %d, want %s %d", d, d, d.Size(), w.name, w.size)
		}
		if p, ok := parseDType(w.name); !ok || p != d {
			t.Errorf("parseDType(%s) = %v, %v", w.name, p, ok)
		}
	}
	if s := DType(0).String(); s != "DType(0)" || DType(0).Size() != 0 || DType(99).Size() != 0 {
		t.Errorf("invalid DType: %s", s)
	}
}

// FuzzRead checks that the reader never panics, that every error is a
// *FormatError, that an accepted file's tensors lie within it, and that an
// accepted F32 file survives a write and a second read unchanged.
func FuzzRead(f *testing.F) {
	f.Add(handBuilt(f))
	f.Add(slices.Concat(le64(8), []byte("{}      ")))
	var b bytes.Buffer
	Write(&b, []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "s", Data: []float32{5}}}, map[string]string{"a": "b"})
	f.Add(b.Bytes())
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}`, f32le(1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := Read(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T", err, err)
			}
			return
		}
		allF32 := true
		for _, info := range sf.Infos {
			if info.Begin < 0 || info.End < info.Begin || info.End > int64(len(data)) {
				t.Fatalf("tensor %q: offsets [%d, %d] outside a file of %d bytes", info.Name, info.Begin, info.End, len(data))
			}
			allF32 = allF32 && info.DType == F32
		}
		if !allF32 {
			return
		}
		tensors, err := sf.Tensors()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Write(&out, tensors, sf.Meta); err != nil {
			t.Fatal(err)
		}
		sf2, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("rewritten file rejected: %v", err)
		}
		tensors2, err := sf2.Tensors()
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(tensors, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) })
		checkTensorsEqual(t, tensors2, tensors)
		if len(sf.Meta) > 0 && !maps.Equal(sf.Meta, sf2.Meta) {
			t.Fatalf("meta %q became %q", sf.Meta, sf2.Meta)
		}
	})
}

// eofReaderAt returns io.EOF with every read that reaches the end of its
// data, full or not, as io.ReaderAt allows; after fail bytes it fails.
type eofReaderAt struct {
	data []byte
	fail int64
}

var errDevice = errors.New("device error")

func (r eofReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if off+int64(len(b)) > r.fail {
		return 0, errDevice
	}
	n := copy(b, r.data[min(off, int64(len(r.data))):])
	if off+int64(n) >= int64(len(r.data)) {
		return n, io.EOF
	}
	return n, nil
}

func TestReadReaderAt(t *testing.T) {
	data := handBuilt(t)
	f, err := Read(eofReaderAt{data, 1 << 30}, int64(len(data)))
	if err != nil {
		t.Fatalf("a full read with io.EOF: %v", err)
	}
	if v, err := f.Float32("a"); err != nil || !slices.Equal(v, []float32{1.5, -2}) {
		t.Errorf("a = %v, %v", v, err)
	}
	// The data cannot be read: the reader's error comes back, with the tensor.
	f, err = Read(eofReaderAt{data, int64(len(data)) - 16}, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Float32("a"); !errors.Is(err, errDevice) || !strings.Contains(err.Error(), `tensor "a": reading the data: device error`) {
		t.Errorf("failing reader: %v", err)
	}
	if _, err := Read(eofReaderAt{data, 4}, int64(len(data))); !errors.Is(err, errDevice) {
		t.Errorf("failing reader: %v", err)
	}
	// A size larger than the data: the header claims more than there is.
	if _, err := Read(eofReaderAt{data[:100], 1 << 30}, int64(len(data))); !errors.Is(err, ErrTruncated) {
		t.Errorf("short reader: %v", err)
	}
}
