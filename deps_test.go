package spikegrad_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/spikegrad/spikegrad"

// allowed lists, for every package of the module, the packages of the module
// it may import. It is the table of docs/design.md ("Layout and dependency
// direction"); a change here is a design decision and is recorded there.
// "*" allows everything.
var allowed = map[string][]string{
	"":                          {},
	"internal/kernels":          {"internal/kernels/openblas"},
	"internal/kernels/openblas": {},
	"internal/slurmtest":        {},
	"internal/atomicfile":       {},
	"internal/strictjson":       {},
	"internal/procmem":          {},
	"internal/h5scan":           {},
	"autograd":                  {"internal/kernels"},
	"autograd/gradcheck":        {"autograd"},
	"surrogate":                 {"autograd"},
	"surrogate/surrogatetest":   {"surrogate", "autograd"},
	"model":                     {"safetensors", "internal/atomicfile"},
	"layers":                    {"autograd", "surrogate", "internal/kernels", "model"},
	"optim":                     {"autograd", "internal/kernels"},
	"datasets":                  {"internal/atomicfile", "internal/h5scan"},
	"safetensors":               {"internal/atomicfile", "internal/strictjson"},
	"rundir":                    {"internal/atomicfile", "internal/strictjson"},
	"loss":                      {"autograd"},
	"train":                     {"autograd", "optim", "datasets", "layers", "surrogate", "loss", "model", "nir", "safetensors", "rundir", "internal/atomicfile", "internal/procmem"},
	"sweep":                     {"train", "rundir", "internal/atomicfile", "internal/procmem"},
	"plots":                     {"rundir", "internal/atomicfile"},
	"infer":                     {"datasets", "model", "safetensors", "internal/atomicfile", "internal/kernels"},
	"nir":                       {"model", "infer", "safetensors", "internal/atomicfile", "internal/h5scan", "nir/internal/h5w"},
	"nir/internal/h5w":          {},
	"cmd/spikegrad":             {"*"},
}

// TestImportEdges parses the imports of every non-test Go file of the module
// and fails on an import of a module package that the table does not allow,
// and on a package missing from the table.
func TestImportEdges(t *testing.T) {
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "notebooks" || name == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = ""
		}
		seen[pkg] = true
		rules, ok := allowed[pkg]
		if !ok {
			t.Errorf("%s: package %q is not in the dependency table", path, pkg)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p != module && !strings.HasPrefix(p, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
			if !slices.Contains(rules, "*") && !slices.Contains(rules, dep) {
				t.Errorf("%s imports %s: package %q may import only %v", path, p, pkg, rules)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !seen["autograd"] || !seen["internal/kernels"] {
		t.Fatalf("walked %v: expected to see the core packages; is the test running at the module root?", seen)
	}
}

// TestEveryPackageHasDoc checks the package documentation convention: a
// doc.go in every package folder.
func TestEveryPackageHasDoc(t *testing.T) {
	for pkg := range allowed {
		if pkg == "" || pkg == "cmd/spikegrad" {
			continue
		}
		if _, err := os.Stat(filepath.Join(pkg, "doc.go")); err != nil {
			if os.IsNotExist(err) {
				if _, err2 := os.Stat(pkg); os.IsNotExist(err2) {
					continue // package not present yet in this tree
				}
			}
			t.Errorf("%s: no doc.go", pkg)
		}
	}
}
