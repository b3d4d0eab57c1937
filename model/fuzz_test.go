package model

import (
	"bytes"
	"os"
	"testing"
)

// FuzzUnmarshal feeds model.json texts, the fixtures of both format
// versions among the seeds, to Unmarshal: it must return a model or an
// error, never panic, and a model it accepts must be valid, and must
// marshal and read back to the same bytes (the v2 form of a v1 file
// included).
func FuzzUnmarshal(f *testing.F) {
	for _, p := range []string{"testdata/v1-lif/model/model.json", "testdata/v1-synaptic/model/model.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		m, err := Unmarshal(b)
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		v2, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v2)
	}
	f.Add([]byte(`{"format": "spikegrad.sequential/v2", "layers": []}`))
	f.Add([]byte(`{"format": "spikegrad.sequential/v2", "layers": [{"kind": "lif", "name": "a", "config": {"n": 1}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			if m != nil {
				t.Fatalf("Unmarshal returned a model with the error %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Unmarshal accepted a model that does not validate: %v", err)
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatalf("Marshal of an accepted model: %v", err)
		}
		m2, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("Unmarshal of Marshal's output: %v\n%s", err, out)
		}
		out2, err := Marshal(m2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("Marshal → Unmarshal → Marshal changed the text:\n%s\n%s", out, out2)
		}
	})
}
