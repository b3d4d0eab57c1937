package nir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/scigolib/hdf5"

	"github.com/spikegrad/spikegrad/internal/h5scan"
)

// Read reads the NIR graph of the HDF5 file path and validates it (see
// Graph.Validate). The file holds a string "version" and a group "node", the
// root NIRGraph node: its "type", a group "nodes" with one group per node,
// and "edges", an [n, 2] string array. Strings may be variable-length (as
// NIR's Python writer stores them) or fixed-length (as Write stores them);
// parameters may be chunked and gzip-compressed. Every error is an *Error
// naming the file and, where one is at fault, the node and the parameter;
// a file that is not HDF5, or HDF5 without a NIR graph, is an error too.
func Read(path string) (g *Graph, err error) {
	defer func() {
		// The HDF5 decoder is not ours; a corrupt file must not crash the
		// program that reads it.
		if r := recover(); r != nil {
			g, err = nil, &Error{File: path, Msg: fmt.Sprintf("corrupt HDF5 file (decoder failed: %v)", r)}
		}
	}()
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	// A dataset cannot hold more bytes than the file could decompress to
	// (deflate's largest ratio is 1032:1); a corrupt dimension claiming more
	// is refused before anything is allocated for it.
	limit := 1032*st.Size() + 1<<20
	if err := checkLinks(path); err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	f, err := hdf5.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "not a readable HDF5 file: " + err.Error()}
	}
	defer f.Close()
	root := f.Root()
	if root == nil {
		return nil, &Error{File: path, Msg: "HDF5 file without a root group"}
	}
	var version string
	var node *hdf5.Group
	for _, c := range root.Children() {
		switch c.Name() {
		case "version":
			if d, ok := c.(*hdf5.Dataset); ok {
				a, err := readArray(d, limit)
				if err == nil && a.DType == String && len(a.Str) == 1 {
					version = a.Str[0]
				}
			}
		case "node":
			node, _ = c.(*hdf5.Group)
		}
	}
	if node == nil {
		return nil, &Error{File: path, Msg: "not a NIR file: no group \"node\" at the root"}
	}
	n, err := readNode(node, "", limit)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
			return nil, e
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	if n.Type != TypeGraph {
		return nil, &Error{File: path, Field: "type", Msg: fmt.Sprintf("the root node is a %q, want %q", n.Type, TypeGraph)}
	}
	n.Graph.Version = version
	if err := n.Graph.Validate(); err != nil {
		err.(*Error).File = path
		return nil, err
	}
	return n.Graph, nil
}

// readNode reads the node group grp whose path is path ("" for the root).
func readNode(grp *hdf5.Group, path string, limit int64) (*Node, error) {
	n := &Node{Params: map[string]*Array{}}
	var nodes *hdf5.Group
	var edges *Array
	for _, c := range grp.Children() {
		name := c.Name()
		switch v := c.(type) {
		case *hdf5.Group:
			switch name {
			case "nodes":
				nodes = v
			case "metadata":
				md, err := readMetadata(v, path, limit)
				if err != nil {
					return nil, err
				}
				n.Metadata = md
			default:
				// NIR 1.0 stores input_type/output_type dictionaries of some
				// nodes as groups; they are derived from the parameters.
			}
		case *hdf5.Dataset:
			a, err := readArray(v, limit)
			if err != nil {
				return nil, &Error{Node: path, Field: name, Msg: err.Error()}
			}
			switch name {
			case "type":
				if a.DType != String || len(a.Str) != 1 {
					return nil, &Error{Node: path, Field: "type", Msg: fmt.Sprintf("want a scalar string, have %s %v", a.DType, a.Shape)}
				}
				n.Type = a.Str[0]
			case "edges":
				edges = a
			default:
				n.Params[name] = a
			}
		}
	}
	if n.Type == "" {
		return nil, &Error{Node: path, Field: "type", Msg: "missing"}
	}
	if n.Type != TypeGraph {
		return n, nil
	}
	g := &Graph{Nodes: map[string]*Node{}, Metadata: n.Metadata}
	n.Graph, n.Params = g, nil
	if nodes == nil {
		return nil, &Error{Node: path, Field: "nodes", Msg: "missing (a NIRGraph node needs it)"}
	}
	prefix := path
	if prefix != "" {
		prefix += "."
	}
	for _, c := range nodes.Children() {
		sub, ok := c.(*hdf5.Group)
		if !ok {
			return nil, &Error{Node: prefix + c.Name(), Msg: "a dataset where a node group belongs"}
		}
		child, err := readNode(sub, prefix+c.Name(), limit)
		if err != nil {
			return nil, err
		}
		g.Nodes[c.Name()] = child
	}
	if edges == nil {
		return nil, &Error{Node: path, Field: "edges", Msg: "missing (a NIRGraph node needs it)"}
	}
	if edges.DType != String || len(edges.Shape) != 2 || edges.Shape[1] != 2 {
		if !(edges.DType != String && edges.Len() == 0) { // an empty list may be stored as numbers
			return nil, &Error{Node: path, Field: "edges", Msg: fmt.Sprintf("want an [n, 2] string array, have %s %v", edges.DType, edges.Shape)}
		}
	}
	for i := 0; i+1 < len(edges.Str); i += 2 {
		g.Edges = append(g.Edges, Edge{From: edges.Str[i], To: edges.Str[i+1]})
	}
	return n, nil
}

func readMetadata(grp *hdf5.Group, path string, limit int64) (map[string]*Array, error) {
	md := map[string]*Array{}
	for _, c := range grp.Children() {
		d, ok := c.(*hdf5.Dataset)
		if !ok {
			continue // nested metadata dictionaries are not kept
		}
		a, err := readArray(d, limit)
		if err != nil {
			return nil, &Error{Node: path, Field: "metadata." + c.Name(), Msg: err.Error()}
		}
		md[c.Name()] = a
	}
	return md, nil
}

// infoRE parses the description hdf5.Dataset.Info gives: the class, the
// element size and the shape.
var infoRE = regexp.MustCompile(`^Dataset: (\S+) \(size=(\d+) bytes\), (scalar|\d+D array \[([0-9 x]*)\])`)

// readArray reads the dataset d: floats of 4 or 8 bytes, integers, and
// fixed- or variable-length strings, of at most limit bytes.
func readArray(d *hdf5.Dataset, limit int64) (*Array, error) {
	info, err := d.Info()
	if err != nil {
		return nil, err
	}
	m := infoRE.FindStringSubmatch(info)
	if m == nil {
		return nil, fmt.Errorf("unsupported dataset (%s)", info)
	}
	a := &Array{Shape: []int{}}
	if m[3] != "scalar" && m[4] != "" {
		for _, s := range strings.FieldsFunc(m[4], func(r rune) bool { return r == ' ' || r == 'x' }) {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("bad dimension %q (%s)", s, info)
			}
			a.Shape = append(a.Shape, v)
		}
	}
	size, _ := strconv.Atoi(m[2])
	total := int64(max(size, 1))
	for _, s := range a.Shape {
		if s > 0 && total > limit/int64(s) {
			return nil, fmt.Errorf("shape %v of %d-byte elements is more than the file can hold", a.Shape, size)
		}
		total *= int64(s)
	}
	if total > limit {
		return nil, fmt.Errorf("shape %v of %d-byte elements is more than the file can hold", a.Shape, size)
	}
	switch class := m[1]; {
	case class == "float" && size == 4:
		a.DType = Float32
	case class == "float" && size == 8:
		a.DType = Float64
	case class == "integer":
		a.DType = Int64
	case class == "string":
		a.DType = String
		if a.Str, err = d.ReadStrings(); err != nil {
			return nil, err
		}
		for i, s := range a.Str {
			a.Str[i] = string(bytes.TrimRight([]byte(s), "\x00"))
		}
	case class == "class_9": // variable-length: strings in NIR files
		a.DType = String
		b, err := d.ReadVLenBytes()
		if err != nil {
			return nil, err
		}
		a.Str = make([]string, len(b))
		for i := range b {
			a.Str[i] = string(b[i])
		}
	default:
		return nil, fmt.Errorf("unsupported element type %s of %d bytes", class, size)
	}
	if a.DType != String {
		if a.Len() > 0 {
			if a.Data, err = d.Read(); err != nil {
				return nil, err
			}
		} else {
			a.Data = []float64{}
		}
	}
	if err := a.check(); err != nil {
		return nil, err
	}
	return a, nil
}

// checkLinks runs h5scan.Check on the file path.
func checkLinks(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := h5scan.Check(f, st.Size()); err != nil {
		return fmt.Errorf("corrupt HDF5 file: %w", err)
	}
	return nil
}
