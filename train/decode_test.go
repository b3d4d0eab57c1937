package train

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDecodeYAML(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("base:\n  train: {epochs: 3}\n  model: {hidden: [8, 4]}\n"), &doc); err != nil {
		t.Fatal(err)
	}
	base := doc.Content[0].Content[1]
	c := DefaultConfig()
	if err := DecodeYAML(base, &c, "base", "s.yaml"); err != nil {
		t.Fatal(err)
	}
	// The keys given replace the defaults; the others stay.
	if c.Train.Epochs != 3 || len(c.Model.Hidden) != 2 || c.Model.Hidden[1] != 4 || c.Train.LR != DefaultConfig().Train.LR {
		t.Errorf("decoded epochs %d, hidden %v, lr %g", c.Train.Epochs, c.Model.Hidden, c.Train.LR)
	}
	if err := yaml.Unmarshal([]byte("base:\n  train:\n    epochz: 3\n"), &doc); err != nil {
		t.Fatal(err)
	}
	err := DecodeYAML(doc.Content[0].Content[1], &c, "base", "s.yaml")
	// epochz is on line 3 of the document; the key is named below "base".
	want := "config s.yaml:3: base.train.epochz: unknown key (allowed: "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("unknown key: %v, want %q...", err, want)
	}
	var n int
	if err := yaml.Unmarshal([]byte("x"), &doc); err != nil {
		t.Fatal(err)
	}
	if err := DecodeYAML(doc.Content[0], &n, "count", "s.yaml"); err == nil || err.Error() != `config s.yaml:1: count = "x": must be a whole number` {
		t.Errorf("a string for an int: %v", err)
	}
}
