package spikegrad_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeExample checks that README.md shows Example_tutorial as
// example_test.go has it: the Go block under "The same in Go" is the
// example's body up to its Output comment, indented one tab less.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok1 := strings.Cut(string(src), "\nfunc Example_tutorial() {\n")
	body, _, ok2 := strings.Cut(body, "\t// Output:\n")
	_, block, ok3 := strings.Cut(string(readme), "## The same in Go\n\n```go\n")
	block, _, ok4 := strings.Cut(block, "```\n")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		t.Fatalf("found Example_tutorial %v, its Output comment %v, README's Go block under \"The same in Go\" %v and its end %v",
			ok1, ok2, ok3, ok4)
	}
	want := strings.Split(body, "\n")
	for i, l := range want {
		want[i] = strings.TrimPrefix(l, "\t")
	}
	got := strings.Split(block, "\n")
	n := 0
	for n < len(got) && n < len(want) && got[n] == want[n] {
		n++
	}
	if n < len(got) || n < len(want) {
		t.Fatalf("README.md's copy of Example_tutorial differs from example_test.go at line %d of the block:\n got: %q\nwant: %q",
			n+1, got[n:min(n+1, len(got))], want[n:min(n+1, len(want))])
	}
}
