package nir

import (
	"fmt"
	"slices"
	"strings"
)

// DType is the element type of an Array, as stored in the HDF5 file.
type DType int

// The element types of NIR parameters.
const (
	Float32 DType = iota
	Float64
	Int64
	String
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Int64:
		return "int64"
	case String:
		return "string"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Array is one parameter of a node: an n-dimensional array of one DType in
// row-major order (Shape empty for a scalar). Numbers are held as float64
// whatever their DType (float32 and int64 values up to 2^53 convert
// exactly and are written back in their DType); strings in Str.
type Array struct {
	DType DType
	Shape []int
	Data  []float64 // numeric DTypes
	Str   []string  // DType String
}

// Len returns the number of elements, the product of Shape.
func (a *Array) Len() int {
	n := 1
	for _, s := range a.Shape {
		n *= s
	}
	return n
}

// F32 returns a float32 array of the given shape holding v.
func F32(shape []int, v ...float32) *Array {
	a := &Array{DType: Float32, Shape: slices.Clone(shape), Data: make([]float64, len(v))}
	for i, x := range v {
		a.Data[i] = float64(x)
	}
	return a
}

// F64 returns a float64 array of the given shape holding v.
func F64(shape []int, v ...float64) *Array {
	return &Array{DType: Float64, Shape: slices.Clone(shape), Data: slices.Clone(v)}
}

// I64 returns an int64 array of the given shape holding v.
func I64(shape []int, v ...int64) *Array {
	a := &Array{DType: Int64, Shape: slices.Clone(shape), Data: make([]float64, len(v))}
	for i, x := range v {
		a.Data[i] = float64(x)
	}
	return a
}

// Str returns a scalar string.
func Str(s string) *Array { return &Array{DType: String, Str: []string{s}} }

// Node is one node of a graph: its NIR type ("LIF", "Affine", ...), its
// parameters by name ("tau", "weight", ...), and for the type "NIRGraph" the
// nested graph. Metadata is NIR's free-form per-node metadata.
type Node struct {
	Type     string
	Params   map[string]*Array
	Graph    *Graph // Type == TypeGraph only
	Metadata map[string]*Array
}

// Edge connects the output of node From to the input of node To. A name
// "a.b" refers to the node b of the nested graph a.
type Edge struct{ From, To string }

// Graph is a NIR graph: named nodes and the edges between them. Version is
// the NIR version string of the file it was read from (Read), or the one to
// write (Write writes Version, or DefaultVersion when it is empty).
type Graph struct {
	Version  string
	Nodes    map[string]*Node
	Edges    []Edge
	Metadata map[string]*Array
}

// DefaultVersion is the NIR version that Write records when a graph names
// none: the version of the reference implementation the files are checked
// against.
const DefaultVersion = "1.0.7"

// TypeGraph is the type of a node that holds a nested graph.
const TypeGraph = "NIRGraph"

// NodeNames returns the names of g's nodes in sorted order.
func (g *Graph) NodeNames() []string {
	names := make([]string, 0, len(g.Nodes))
	for n := range g.Nodes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Error is an error in a NIR file or graph. It names the file (when there is
// one), the node (its path, "a.b" inside the nested graph a) and the
// parameter or edge that is wrong.
type Error struct {
	File  string // the file read or written; empty for a graph in memory
	Node  string // the node's path; empty for the graph itself
	Field string // the parameter, "edges", ... ; may be empty
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("nir: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Node != "" {
		b.WriteString("node " + e.Node + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// param is the rule of one parameter of a node type: the ranks it may have
// and whether it may be missing.
type param struct {
	name             string
	minRank, maxRank int
	optional         bool
	numeric          bool
}

func p(name string, minRank, maxRank int) param {
	return param{name: name, minRank: minRank, maxRank: maxRank, numeric: true}
}

func opt(name string, minRank, maxRank int) param {
	q := p(name, minRank, maxRank)
	q.optional = true
	return q
}

// nodeTypes lists the parameters of every node type of NIR 1.0, as the
// reference implementation reads them (nir/serialization.py, read_node).
// neuron marks the types whose parameters all have the neurons' shape.
var nodeTypes = map[string]struct {
	params []param
	neuron bool
}{
	"Input":     {params: []param{p("shape", 1, 1)}},
	"Output":    {params: []param{p("shape", 1, 1)}},
	"Affine":    {params: []param{p("weight", 2, 2), p("bias", 1, 1)}},
	"Linear":    {params: []param{p("weight", 2, 2)}},
	"Scale":     {params: []param{p("scale", 1, 8)}},
	"Threshold": {params: []param{p("threshold", 1, 8)}},
	"LIF":       {params: []param{p("tau", 1, 8), p("r", 1, 8), p("v_leak", 1, 8), p("v_threshold", 1, 8), opt("v_reset", 1, 8)}, neuron: true},
	"LI":        {params: []param{p("tau", 1, 8), p("r", 1, 8), p("v_leak", 1, 8)}, neuron: true},
	"CubaLIF":   {params: []param{p("tau_mem", 1, 8), p("tau_syn", 1, 8), p("r", 1, 8), p("v_leak", 1, 8), p("v_threshold", 1, 8), opt("v_reset", 1, 8), opt("w_in", 1, 8)}, neuron: true},
	"CubaLI":    {params: []param{p("tau_mem", 1, 8), p("tau_syn", 1, 8), p("r", 1, 8), p("v_leak", 1, 8), opt("w_in", 1, 8)}, neuron: true},
	"IF":        {params: []param{p("r", 1, 8), p("v_threshold", 1, 8), opt("v_reset", 1, 8)}, neuron: true},
	"I":         {params: []param{p("r", 1, 8)}, neuron: true},
	"Flatten":   {params: []param{p("start_dim", 0, 0), p("end_dim", 0, 0), opt("input_type", 1, 1)}},
	"Conv1d":    {params: []param{p("weight", 3, 3), p("stride", 0, 1), p("padding", 0, 1), p("dilation", 0, 1), p("groups", 0, 0), p("bias", 1, 1), opt("input_shape", 0, 1)}},
	"Conv2d":    {params: []param{p("weight", 4, 4), p("stride", 0, 1), p("padding", 0, 1), p("dilation", 0, 1), p("groups", 0, 0), p("bias", 1, 1), opt("input_shape", 0, 1)}},
	"SumPool2d": {params: []param{p("kernel_size", 0, 1), p("stride", 0, 1), p("padding", 0, 1)}},
	"AvgPool2d": {params: []param{p("kernel_size", 0, 1), p("stride", 0, 1), p("padding", 0, 1)}},
	"Delay":     {params: []param{p("delay", 1, 8)}},
}

// NodeTypes lists the node types a graph may hold, TypeGraph included.
func NodeTypes() []string {
	t := []string{TypeGraph}
	for k := range nodeTypes {
		t = append(t, k)
	}
	slices.Sort(t)
	return t
}

// Validate checks g: every node of a known type with the parameters of its
// type, each of an allowed rank, numeric, and of one shape for the
// parameters of a neuron; an Affine's bias as long as its weight has rows;
// Input and Output shapes of positive sizes; every edge between nodes that
// exist (through nested graphs for "a.b"). Its errors are *Error naming the
// node and the parameter or edge.
func (g *Graph) Validate() error { return g.validate("") }

func (g *Graph) validate(prefix string) error {
	for _, name := range g.NodeNames() {
		n := g.Nodes[name]
		path := prefix + name
		if n == nil {
			return &Error{Node: path, Msg: "missing"}
		}
		if name == "" {
			return &Error{Node: prefix + `""`, Msg: "empty node name"}
		}
		if err := n.validate(path); err != nil {
			return err
		}
	}
	for i, e := range g.Edges {
		for _, end := range []string{e.From, e.To} {
			if !g.has(end) {
				return &Error{Node: strings.TrimSuffix(prefix, "."), Field: fmt.Sprintf("edges[%d]", i),
					Msg: fmt.Sprintf("%s -> %s: no node %q", e.From, e.To, end)}
			}
		}
	}
	return nil
}

// has reports whether the edge end name is a node of g or, for "a.b", the
// node b of the nested graph a.
func (g *Graph) has(name string) bool {
	if _, ok := g.Nodes[name]; ok {
		return true
	}
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		if sub, ok := g.Nodes[name[:i]]; ok && sub.Graph != nil && sub.Graph.has(name[i+1:]) {
			return true
		}
	}
	return false
}

func (n *Node) validate(path string) error {
	if n.Type == TypeGraph {
		if n.Graph == nil {
			return &Error{Node: path, Msg: "a NIRGraph node without its graph"}
		}
		return n.Graph.validate(path + ".")
	}
	t, ok := nodeTypes[n.Type]
	if !ok {
		return &Error{Node: path, Field: "type", Msg: fmt.Sprintf("unknown node type %q (known: %s)", n.Type, strings.Join(NodeTypes(), ", "))}
	}
	var shape []int
	var shapeOf string
	for _, q := range t.params {
		a := n.Params[q.name]
		if a == nil {
			if q.optional {
				continue
			}
			return &Error{Node: path, Field: q.name, Msg: fmt.Sprintf("missing (a %s node needs it)", n.Type)}
		}
		if err := a.check(); err != nil {
			return &Error{Node: path, Field: q.name, Msg: err.Error()}
		}
		if q.numeric && a.DType == String {
			return &Error{Node: path, Field: q.name, Msg: "a string, want numbers"}
		}
		if r := len(a.Shape); r < q.minRank || r > q.maxRank {
			want := fmt.Sprintf("%d", q.minRank)
			if q.maxRank != q.minRank {
				want = fmt.Sprintf("%d to %d", q.minRank, q.maxRank)
			}
			return &Error{Node: path, Field: q.name, Msg: fmt.Sprintf("rank %d (shape %v), want rank %s", r, a.Shape, want)}
		}
		for _, v := range a.Data {
			if v != v {
				return &Error{Node: path, Field: q.name, Msg: "holds NaN"}
			}
		}
		if t.neuron {
			if shape == nil {
				shape, shapeOf = a.Shape, q.name
			} else if !slices.Equal(shape, a.Shape) {
				return &Error{Node: path, Field: q.name, Msg: fmt.Sprintf("shape %v, but %s has shape %v (a neuron's parameters share one shape)", a.Shape, shapeOf, shape)}
			}
		}
	}
	switch n.Type {
	case "Input", "Output":
		for _, v := range n.Params["shape"].Data {
			if v < 1 || v != float64(int(v)) {
				return &Error{Node: path, Field: "shape", Msg: fmt.Sprintf("%v: sizes must be positive integers", n.Params["shape"].Data)}
			}
		}
	case "Affine":
		w, b := n.Params["weight"], n.Params["bias"]
		if b.Shape[0] != w.Shape[0] {
			return &Error{Node: path, Field: "bias", Msg: fmt.Sprintf("shape %v, but weight has shape %v ([out, in]): want [%d]", b.Shape, w.Shape, w.Shape[0])}
		}
	}
	return nil
}

// check returns an error if a's data does not match its shape.
func (a *Array) check() error {
	for _, s := range a.Shape {
		if s < 0 {
			return fmt.Errorf("negative dimension in shape %v", a.Shape)
		}
	}
	have := len(a.Data)
	if a.DType == String {
		have = len(a.Str)
	}
	if have != a.Len() {
		return fmt.Errorf("shape %v needs %d elements, have %d", a.Shape, a.Len(), have)
	}
	return nil
}
