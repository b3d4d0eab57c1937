package nir

import (
	"errors"
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/internal/atomicfile"
	"github.com/spikegrad/spikegrad/nir/internal/h5w"
)

// Write validates g and writes it to path as a NIR HDF5 file that NIR's own
// reader loads (nir.read, type checks on): "version" (g.Version or
// DefaultVersion) and the group "node" holding the graph, parameters in
// their DType, strings fixed-length. The file is written atomically: on any
// error, path is left as it was. Errors are *Error naming the file, and the
// node and parameter at fault.
func Write(path string, g *Graph) error {
	b, err := Encode(g)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
			return e
		}
		return &Error{File: path, Msg: err.Error()}
	}
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return &Error{File: path, Msg: err.Error()}
	}
	return nil
}

// Encode returns the bytes of the NIR file of g (see Write).
func Encode(g *Graph) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	root := h5w.NewGroup()
	v := g.Version
	if v == "" {
		v = DefaultVersion
	}
	root.Add("version", &h5w.Dataset{Class: h5w.String, Str: []string{v}})
	if err := putGraph(root.Group("node"), g, ""); err != nil {
		return nil, err
	}
	return h5w.Encode(root)
}

func putGraph(grp *h5w.Group, g *Graph, path string) error {
	grp.Add("type", &h5w.Dataset{Class: h5w.String, Str: []string{TypeGraph}})
	e := &h5w.Dataset{Class: h5w.String, Shape: []int{len(g.Edges), 2}, Str: make([]string, 0, 2*len(g.Edges))}
	for _, ed := range g.Edges {
		e.Str = append(e.Str, ed.From, ed.To)
	}
	if err := checkStrings(e.Str); err != nil {
		return &Error{Node: path, Field: "edges", Msg: err.Error()}
	}
	grp.Add("edges", e)
	if err := putMetadata(grp, g.Metadata, path); err != nil {
		return err
	}
	nodes := grp.Group("nodes")
	prefix := path
	if prefix != "" {
		prefix += "."
	}
	for _, name := range g.NodeNames() {
		n := g.Nodes[name]
		if err := h5w.ValidName(name); err != nil {
			return &Error{Node: prefix + name, Msg: fmt.Sprintf("cannot be stored: %v", err)}
		}
		sub := nodes.Group(name)
		if n.Type == TypeGraph {
			if err := putGraph(sub, n.Graph, prefix+name); err != nil {
				return err
			}
			continue
		}
		sub.Add("type", &h5w.Dataset{Class: h5w.String, Str: []string{n.Type}})
		for _, k := range sortedKeys(n.Params) {
			if k == "type" || k == "metadata" {
				return &Error{Node: prefix + name, Field: k, Msg: "a parameter may not be called so (the name is NIR's own)"}
			}
			if err := h5w.ValidName(k); err != nil {
				return &Error{Node: prefix + name, Field: k, Msg: err.Error()}
			}
			d, err := dataset(n.Params[k])
			if err != nil {
				return &Error{Node: prefix + name, Field: k, Msg: err.Error()}
			}
			sub.Add(k, d)
		}
		if err := putMetadata(sub, n.Metadata, prefix+name); err != nil {
			return err
		}
	}
	return nil
}

func putMetadata(grp *h5w.Group, md map[string]*Array, path string) error {
	if len(md) == 0 {
		return nil
	}
	m := grp.Group("metadata")
	for _, k := range sortedKeys(md) {
		if err := h5w.ValidName(k); err != nil {
			return &Error{Node: path, Field: "metadata." + k, Msg: err.Error()}
		}
		d, err := dataset(md[k])
		if err != nil {
			return &Error{Node: path, Field: "metadata." + k, Msg: err.Error()}
		}
		m.Add(k, d)
	}
	return nil
}

// dataset converts a to the writer's form, refusing an integer that is not
// one and a string that is not ASCII.
func dataset(a *Array) (*h5w.Dataset, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	d := &h5w.Dataset{Shape: a.Shape}
	switch a.DType {
	case Float32:
		d.Class = h5w.Float32
		d.F32 = make([]float32, len(a.Data))
		for i, v := range a.Data {
			d.F32[i] = float32(v)
		}
	case Float64:
		d.Class, d.F64 = h5w.Float64, a.Data
	case Int64:
		d.Class = h5w.Int64
		d.I64 = make([]int64, len(a.Data))
		for i, v := range a.Data {
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return nil, fmt.Errorf("element %d = %v is not an integer", i, v)
			}
			d.I64[i] = int64(v)
		}
	case String:
		if err := checkStrings(a.Str); err != nil {
			return nil, err
		}
		d.Class, d.Str = h5w.String, a.Str
	default:
		return nil, fmt.Errorf("unknown dtype %v", a.DType)
	}
	return d, nil
}

func checkStrings(s []string) error {
	for _, x := range s {
		for i := 0; i < len(x); i++ {
			if x[i] == 0 || x[i] > 0x7f {
				return fmt.Errorf("%q: only NUL-free ASCII strings are written", x)
			}
		}
	}
	return nil
}
