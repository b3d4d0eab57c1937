package infer_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/infer"
	"github.com/spikegrad/spikegrad/safetensors"
)

// small returns the exported model of the mixed network on 20 inputs.
func small() *infer.Model {
	return export(mixedNet(20, 1), 10, infer.Encoding{Name: infer.EncodingRate, Gain: 0.5}, infer.ReadoutMembraneMax)
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := small()
	m.Dataset = "mnist"
	path := filepath.Join(t.TempDir(), "model.sgi")
	if err := infer.Save(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := infer.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Steps != m.Steps || got.Encoding != m.Encoding || got.Readout != m.Readout || got.Dataset != m.Dataset {
		t.Errorf("read back %+v, wrote %+v", got, m)
	}
	if len(got.Weights) != len(m.Weights) {
		t.Errorf("%d tensors read back, %d written", len(got.Weights), len(m.Weights))
	}
	for _, w := range m.Weights {
		if g := find(got.Weights, w.Name); !reflect.DeepEqual(*g, w) {
			t.Errorf("tensor %s differs after the round trip", w.Name)
		}
	}
	if len(got.Arch.Layers) != len(m.Arch.Layers) {
		t.Fatalf("%d layers read back, %d written", len(got.Arch.Layers), len(m.Arch.Layers))
	}
	for i, l := range got.Arch.Layers {
		w := m.Arch.Layers[i]
		if l.Kind != w.Kind || l.Name != w.Name || !bytes.Equal(compact(t, l.Config), compact(t, w.Config)) {
			t.Errorf("layer %d: read back %s %s %s, wrote %s %s %s", i, l.Kind, l.Name, l.Config, w.Kind, w.Name, w.Config)
		}
	}
	// The latency encoding's parameters travel too.
	m.Encoding = infer.Encoding{Name: infer.EncodingLatency, Latency: &infer.Latency{Tau: 5, Threshold: 0.01, Normalize: true, Clip: true}}
	if err := infer.Save(path, m); err != nil {
		t.Fatal(err)
	}
	if got, err = infer.Load(path); err != nil || *got.Encoding.Latency != *m.Encoding.Latency {
		t.Errorf("latency encoding: read back %+v (%v)", got, err)
	}
}

func compact(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	if err := jsonCompact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestValidateNames makes one thing wrong at a time and requires an *Error
// that names the field or tensor.
func TestValidateNames(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(m *infer.Model)
	}{
		{"steps", "steps", func(m *infer.Model) { m.Steps = 0 }},
		{"encoding", "encoding", func(m *infer.Model) { m.Encoding.Name = "morse" }},
		{"gain", "gain", func(m *infer.Model) { m.Encoding.Gain = math.NaN() }},
		{"readout", "readout", func(m *infer.Model) { m.Readout = "vote" }},
		{"li spike count", "li4", func(m *infer.Model) { m.Readout = infer.ReadoutSpikeCount }},
		{"missing tensor", "fc2.bias", func(m *infer.Model) { m.Weights = drop(m.Weights, "fc2.bias") }},
		{"shape", "fc1.weight", func(m *infer.Model) { w := find(m.Weights, "fc1.weight"); w.Shape = []int{w.Shape[1], w.Shape[0]} }},
		{"nan", "syn2.beta", func(m *infer.Model) { find(m.Weights, "syn2.beta").Data[3] = float32(math.NaN()) }},
		{"extra", "stray", func(m *infer.Model) {
			m.Weights = append(m.Weights, safetensors.Tensor{Name: "stray", Shape: []int{1}, Data: []float32{1}})
		}},
		{"sizes", `"fc2"`, func(m *infer.Model) {
			m.Arch.Layers[2].Config = []byte(`{"in": 63, "out": 48, "bias": true, "init": "pytorch"}`)
			w := find(m.Weights, "fc2.weight")
			w.Shape, w.Data = []int{63, 48}, w.Data[:63*48]
		}},
	}
	for _, c := range cases {
		m := small()
		c.edit(m)
		path := filepath.Join(t.TempDir(), "m.sgi")
		err := infer.Save(path, m)
		var e *infer.Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want an *infer.Error naming %q and the file", c.name, err, c.want)
		}
		if _, serr := os.Stat(path); serr == nil {
			t.Errorf("%s: Save wrote the invalid model", c.name)
		}
	}
}

func drop(ts []safetensors.Tensor, name string) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, t := range ts {
		if t.Name != name {
			out = append(out, t)
		}
	}
	return out
}

func find(ts []safetensors.Tensor, name string) *safetensors.Tensor {
	for i := range ts {
		if ts[i].Name == name {
			return &ts[i]
		}
	}
	panic("no tensor " + name)
}

// TestLoadCorrupt reads every truncation of a valid file and files with
// single bytes changed: each is an error or a valid model, never a panic;
// truncations are always errors.
func TestLoadCorrupt(t *testing.T) {
	b, err := infer.Marshal(small())
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n += 1 + n/50 {
		if _, err := infer.Read(bytes.NewReader(b[:n]), int64(n), "cut.sgi"); err == nil {
			t.Fatalf("the file cut to %d of %d bytes reads without error", n, len(b))
		} else if !strings.Contains(err.Error(), "cut.sgi") {
			t.Fatalf("error %q does not name the file", err)
		}
	}
	for i := 0; i < len(b); i += 61 {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		infer.Read(bytes.NewReader(c), int64(len(c)), "flip.sgi") // must not panic
	}
	// Metadata a reader must refuse.
	for key, val := range map[string]string{
		infer.MetaFormat: "spikegrad.infer/v9", infer.MetaSteps: "x", infer.MetaEncoding: `{"name":"rate","gain":1,"colour":2}`,
		infer.MetaModel: `{"format":"spikegrad.sequential/v2","layers":[{"kind":"conv9","name":"c","config":{}}]}`,
	} {
		f, err := safetensors.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		ts, _ := f.Tensors()
		f.Meta[key] = val
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, ts, f.Meta); err != nil {
			t.Fatal(err)
		}
		_, err = infer.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "meta.sgi")
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("metadata %s = %s: error %v, want one naming %s", key, val, err, key)
		}
	}
}

// FuzzRead feeds arbitrary bytes to the reader: an error or a model that
// validates and runs, never a panic.
func FuzzRead(f *testing.F) {
	b, err := infer.Marshal(small())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := infer.Read(bytes.NewReader(data), int64(len(data)), "fuzz.sgi")
		if err != nil {
			return
		}
		if _, err := infer.New(m); err != nil {
			t.Fatalf("a model that Read accepted does not make an engine: %v", err)
		}
	})
}
