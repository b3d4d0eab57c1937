package nir

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// Metadata keys under which FromModel records, per node, what NIR has no
// field for: the layer's kind and its full config as JSON (reset rule,
// surrogate, learnable flags, per-neuron flag, initialisation). ToModel
// reads them back; other tools ignore them.
const (
	MetaKind   = "spikegrad_kind"
	MetaConfig = "spikegrad_config"
)

// Node names of a graph's input and output, as FromModel writes them.
const (
	InputName  = "input"
	OutputName = "output"
)

func checkDT(dt float64) error {
	if !(dt > 0) || math.IsInf(dt, 0) {
		return &Error{Field: "dt", Msg: fmt.Sprintf("%v: the time step must be a positive finite number of seconds", dt)}
	}
	return nil
}

// FromModel returns the NIR graph of the model m with the weights model.Load
// returned beside it, for time steps dt seconds apart (dt > 0): the nodes
// "input" (Input), one node per layer, named as the layer, and "output"
// (Output), chained by edges in the model's order. A linear layer becomes
// Affine (with a bias) or Linear, its weight transposed to NIR's [out, in];
// lif, synaptic and li become LIF, CubaLIF and LI with the continuous-time
// parameters of the package documentation (neuron parameters of the shape
// of the layer before, [N] after a linear layer, float64); convolutions,
// pooling, flatten and the recurrent layers become the nodes the package
// documentation lists ("Graphs spikegrad runs"), dropout none.
// Neuron parameters are exported as the forward pass uses them: decay
// factors clamped to [0, 1], thresholds to [0, ∞) (a learned value may lie
// outside); a decay factor of 1 (no leak) becomes tau = 2^53·dt, for which
// 1 − dt/tau rounds to 1. A layer named "input" or "output", a missing or
// misshapen weight and a NaN parameter are errors naming the layer.
func FromModel(m *model.Model, weights []safetensors.Tensor, dt float64) (*Graph, error) {
	if err := checkDT(dt); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	if len(m.Layers) == 0 {
		return nil, &Error{Msg: "the model has no layers"}
	}
	byName := map[string]safetensors.Tensor{}
	for _, t := range weights {
		byName[t.Name] = t
	}
	g := &Graph{Version: DefaultVersion, Nodes: map[string]*Node{}}
	prev := InputName
	var shape []int // the previous layer's output shape; nil before the first layer with a size
	for _, l := range m.Layers {
		if l.Name == InputName || l.Name == OutputName {
			return nil, &Error{Node: l.Name, Msg: fmt.Sprintf("a layer may not be called %q in a NIR graph (the name of its %s node)", l.Name, l.Name)}
		}
		p, _ := l.Payload() // validated above
		n := &Node{Params: map[string]*Array{}, Metadata: map[string]*Array{MetaKind: Str(l.Kind), MetaConfig: Str(string(l.Config))}}
		// get returns the tensor of param, of want elements (1 is also accepted
		// for per-layer neuron parameters, expanded to n).
		get := func(param string, want, n int) ([]float32, error) {
			t, ok := byName[l.Name+"."+param]
			if !ok {
				return nil, &Error{Node: l.Name, Field: param, Msg: fmt.Sprintf("the weights hold no tensor %q", l.Name+"."+param)}
			}
			if len(t.Data) == want {
				return t.Data, nil
			}
			if len(t.Data) == 1 && n > 0 {
				v := make([]float32, n)
				for j := range v {
					v[j] = t.Data[0]
				}
				return v, nil
			}
			return nil, &Error{Node: l.Name, Field: param, Msg: fmt.Sprintf("tensor %q has shape %v, want %d elements", t.Name, t.Shape, want)}
		}
		// constants returns, for the decay factors param of n neurons,
		// the time constants tau = dt/(1-beta) and tau/dt.
		constants := func(param string, n int) (tau, perDT []float64, err error) {
			b, err := get(param, n, n)
			if err != nil {
				return nil, nil, err
			}
			tau, perDT = make([]float64, n), make([]float64, n)
			for j, v := range b {
				if v != v {
					return nil, nil, &Error{Node: l.Name, Field: param, Msg: "NaN"}
				}
				// The value the forward pass uses: a learned decay is
				// clamped to [0, 1] (layers: decayMin, decayMax).
				v = min(max(v, 0), 1)
				if v == 1 {
					tau[j] = dt * 0x1p53 // no leak: 1 - dt/tau rounds to 1
				} else {
					tau[j] = dt / (1 - float64(v))
				}
				perDT[j] = tau[j] / dt
			}
			return tau, perDT, nil
		}
		takes, gives := p.Shapes()
		if shape == nil && takes != nil {
			shape = takes
			g.Nodes[InputName] = &Node{Type: "Input", Params: map[string]*Array{"shape": ints(shape...)}}
		}
		name := l.Name // the node that takes the layer's input and gives its output
		switch c := p.(type) {
		case *model.Linear:
			w, err := get("weight", c.In*c.Out, 0)
			if err != nil {
				return nil, err
			}
			wt := make([]float32, len(w)) // [In, Out] -> [Out, In]
			for a := 0; a < c.In; a++ {
				for b := 0; b < c.Out; b++ {
					wt[b*c.In+a] = w[a*c.Out+b]
				}
			}
			n.Type = "Linear"
			n.Params["weight"] = F32([]int{c.Out, c.In}, wt...)
			if c.Bias {
				b, err := get("bias", c.Out, 0)
				if err != nil {
					return nil, err
				}
				n.Type = "Affine"
				n.Params["bias"] = F32([]int{c.Out}, b...)
			}
		case *model.Conv2d:
			if c.Groups != 1 {
				return nil, groupsError(l.Name, c.Groups)
			}
			if err := convNode(n, get, c.Out, c.In/c.Groups*c.Kernel[0]*c.Kernel[1], c.Bias); err != nil {
				return nil, err
			}
			n.Type = "Conv2d"
			n.Params["weight"].Shape = []int{c.Out, c.In / c.Groups, c.Kernel[0], c.Kernel[1]}
			n.Params["stride"], n.Params["padding"], n.Params["dilation"] = ints(c.Stride[:]...), ints(c.Padding[:]...), ints(c.Dilation[:]...)
			n.Params["groups"], n.Params["input_shape"] = I64(nil, int64(c.Groups)), ints(c.H, c.W)
		case *model.Conv1d:
			if c.Groups != 1 {
				return nil, groupsError(l.Name, c.Groups)
			}
			if err := convNode(n, get, c.Out, c.In/c.Groups*c.Kernel, c.Bias); err != nil {
				return nil, err
			}
			n.Type = "Conv1d"
			n.Params["weight"].Shape = []int{c.Out, c.In / c.Groups, c.Kernel}
			n.Params["stride"], n.Params["padding"], n.Params["dilation"] = I64(nil, int64(c.Stride)), I64(nil, int64(c.Padding)), I64(nil, int64(c.Dilation))
			n.Params["groups"], n.Params["input_shape"] = I64(nil, int64(c.Groups)), I64(nil, int64(c.L))
		case *model.Pool2d:
			if c.Op == model.KindMaxPool2d {
				return nil, &Error{Node: l.Name, Field: "kind", Msg: "layer kind maxpool2d has no NIR node: NIR 1.0 has no max pooling (SumPool2d and AvgPool2d only); train with sumpool2d or avgpool2d to export"}
			}
			n.Type = map[string]string{model.KindSumPool2d: "SumPool2d", model.KindAvgPool2d: "AvgPool2d"}[c.Op]
			n.Params["kernel_size"], n.Params["stride"], n.Params["padding"] = ints(c.Kernel[:]...), ints(c.Stride[:]...), ints(c.Padding[:]...)
		case *model.Flatten:
			// The values are already flat (channel-major, as NIR's and
			// PyTorch's C-order flatten): the node flattens every axis of
			// the shape before it.
			n.Type = "Flatten"
			n.Params["start_dim"], n.Params["end_dim"] = I64(nil, 0), I64(nil, -1)
			n.Params["input_type"] = ints(shape...)
		case *model.Dropout:
			continue // the identity at inference: no node
		case *model.BatchNorm:
			return nil, &Error{Node: l.Name, Field: "kind", Msg: "layer kind batchnorm has no NIR node: NIR 1.0 has no batch normalisation, and folding it into the layer before would change the forward pass by rounding"}
		case *model.LIF, *model.Synaptic, *model.LI, *model.RLIF, *model.RSynaptic:
			var N int
			switch c := c.(type) {
			case *model.LIF:
				N = c.N
			case *model.Synaptic:
				N = c.N
			case *model.LI:
				N = c.N
			case *model.RLIF:
				N = c.N
			case *model.RSynaptic:
				N = c.N
			}
			shape := shape
			if prod(shape) != N {
				shape = []int{N}
			}
			tm, r, err := constants("beta", N)
			if err != nil {
				return nil, err
			}
			zeros := make([]float64, N)
			n.Params["r"] = F64(shape, r...)
			n.Params["v_leak"] = F64(shape, zeros...)
			if l.Kind != model.KindLI {
				thr, err := get("threshold", N, N)
				if err != nil {
					return nil, err
				}
				th := make([]float64, N)
				for j, v := range thr {
					if v != v {
						return nil, &Error{Node: l.Name, Field: "threshold", Msg: "NaN"}
					}
					th[j] = float64(max(v, 0)) // a learned threshold is clamped to [0, ∞)
				}
				n.Params["v_threshold"] = F64(shape, th...)
				n.Params["v_reset"] = F64(shape, zeros...)
			}
			switch l.Kind {
			case model.KindLIF, model.KindRLIF:
				n.Type = "LIF"
				n.Params["tau"] = F64(shape, tm...)
			case model.KindLI:
				n.Type = "LI"
				n.Params["tau"] = F64(shape, tm...)
			case model.KindSynaptic, model.KindRSynaptic:
				ts, w, err := constants("alpha", N)
				if err != nil {
					return nil, err
				}
				n.Type = "CubaLIF"
				n.Params["tau_mem"] = F64(shape, tm...)
				n.Params["tau_syn"] = F64(shape, ts...)
				n.Params["w_in"] = F64(shape, w...)
			}
			if l.Kind == model.KindRLIF || l.Kind == model.KindRSynaptic {
				// The recurrence is a cycle, as snnTorch writes it: the
				// neurons "<name>.lif" feed "<name>.w_rec", a Linear whose
				// output joins their input at the next step.
				oneToOne := false
				switch c := c.(type) {
				case *model.RLIF:
					oneToOne = c.OneToOne
				case *model.RSynaptic:
					oneToOne = c.OneToOne
				}
				rec, err := recurrentNode(get, N, oneToOne)
				if err != nil {
					return nil, err
				}
				name = l.Name + RecurrentNeuron
				g.Nodes[l.Name+RecurrentWeight] = rec
				g.Edges = append(g.Edges, Edge{name, l.Name + RecurrentWeight}, Edge{l.Name + RecurrentWeight, name})
			}
		case *model.ALIF:
			return nil, &Error{Node: l.Name, Field: "kind", Msg: "layer kind alif has no NIR node: NIR 1.0 has no adaptive neuron, " +
				"and its LIF node's threshold is a fixed parameter, so a threshold that rises after each spike cannot be written with its nodes"}
		case *model.AdLIF, *model.RadLIF:
			return nil, &Error{Node: l.Name, Field: "kind", Msg: fmt.Sprintf("layer kind %s has no NIR node: NIR 1.0 has no adaptive neuron, "+
				"and its LIF node gives only spikes, so the adaptation current w, which the membrane drives (a·u), cannot be built from its nodes", l.Kind)}
		default:
			return nil, &Error{Node: l.Name, Field: "kind", Msg: fmt.Sprintf("layer kind %q has no NIR node", l.Kind)}
		}
		if gives != nil {
			shape = gives
		}
		g.Nodes[name] = n
		g.Edges = append(g.Edges, Edge{prev, name})
		prev = name
	}
	if shape == nil {
		return nil, &Error{Msg: "the model has no layer with a size (only dropout)"}
	}
	g.Nodes[OutputName] = &Node{Type: "Output", Params: map[string]*Array{"shape": ints(shape...)}}
	g.Edges = append(g.Edges, Edge{prev, OutputName})
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// Node name suffixes of a recurrent layer's two nodes (FromModel), as
// snnTorch names them: "<name>.lif" for the neurons (LIF or CubaLIF) and
// "<name>.w_rec" for the recurrent weight (Linear).
const (
	RecurrentNeuron = ".lif"
	RecurrentWeight = ".w_rec"
)

// ints returns an int64 array [len(v)] holding v.
func ints(v ...int) *Array {
	a := &Array{DType: Int64, Shape: []int{len(v)}, Data: make([]float64, len(v))}
	for i, x := range v {
		a.Data[i] = float64(x)
	}
	return a
}

func prod(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// groupsError is the refusal of a grouped convolution: NIR's reference
// implementation (1.0.7) takes a convolution's input channels from its
// weight, In/groups, so the file of a grouped one fails its type check.
func groupsError(layer string, groups int) error {
	return &Error{Node: layer, Field: "groups", Msg: fmt.Sprintf("%d: NIR's reference reader takes a convolution's input channels from its weight (In/groups), so a grouped convolution does not type-check there; only groups = 1 is exported", groups)}
}

// convNode sets the weight (as stored: [out, in/groups, kernel...],
// PyTorch's and NIR's layout, shaped by the caller) and bias (zeros without
// one: NIR's convolutions always have a bias) of a convolution node.
func convNode(n *Node, get func(param string, want, n int) ([]float32, error), out, k int, bias bool) error {
	w, err := get("weight", out*k, 0)
	if err != nil {
		return err
	}
	n.Params["weight"] = F32(nil, w...)
	b := make([]float32, out)
	if bias {
		if b, err = get("bias", out, 0); err != nil {
			return err
		}
	}
	n.Params["bias"] = F32([]int{out}, b...)
	return nil
}

// recurrentNode returns the Linear node of a recurrent layer's weight V
// ([N, N] from row to column, or [N] one to one): NIR's weight [out, in]
// is Vᵀ, or the diagonal matrix of v (as snnTorch writes a one-to-one V).
func recurrentNode(get func(param string, want, n int) ([]float32, error), N int, oneToOne bool) (*Node, error) {
	want := N * N
	if oneToOne {
		want = N
	}
	v, err := get("recurrent", want, 0)
	if err != nil {
		return nil, err
	}
	w := make([]float32, N*N)
	for i := range N {
		if oneToOne {
			w[i*N+i] = v[i]
			continue
		}
		for j := range N {
			w[j*N+i] = v[i*N+j]
		}
	}
	return &Node{Type: "Linear", Params: map[string]*Array{"weight": F32([]int{N, N}, w...)}}, nil
}

func allEqual(v []float32) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

// fromMeta decodes the config JSON that FromModel stored into c.
func fromMeta(a *Array, c any) error {
	if a.DType != String || len(a.Str) != 1 {
		return fmt.Errorf("want a scalar string of JSON")
	}
	return json.Unmarshal([]byte(a.Str[0]), c)
}

// chain returns the node names of g from its Input to its Output, or an
// error naming the node where g is not a chain. The recurrences rec (a
// neuron node and its recurrent weight node, with the two edges between
// them) are left out of the chain.
func chain(g *Graph, rec map[string]string) ([]string, error) {
	weightOf := map[string]bool{}
	for _, w := range rec {
		weightOf[w] = true
	}
	var input string
	for _, name := range g.NodeNames() {
		switch g.Nodes[name].Type {
		case "Input":
			if input != "" {
				return nil, &Error{Node: name, Msg: fmt.Sprintf("a second Input (beside %s): spikegrad's models have one input", input)}
			}
			input = name
		case TypeGraph:
			return nil, &Error{Node: name, Field: "type", Msg: "a nested graph: spikegrad's models are a chain of layers"}
		}
	}
	if input == "" {
		return nil, &Error{Msg: "the graph has no Input node"}
	}
	next := map[string][]string{}
	edges := 0
	for _, e := range g.Edges {
		if weightOf[e.From] || weightOf[e.To] {
			continue // a recurrence
		}
		next[e.From] = append(next[e.From], e.To)
		edges++
	}
	order := []string{input}
	seen := map[string]bool{input: true}
	for cur := input; g.Nodes[cur].Type != "Output"; {
		nx := next[cur]
		if len(nx) != 1 {
			return nil, &Error{Node: cur, Field: "edges", Msg: fmt.Sprintf("%d outgoing edges %v: spikegrad's models are a chain, one edge from each node", len(nx), nx)}
		}
		cur = nx[0]
		if seen[cur] {
			return nil, &Error{Node: cur, Field: "edges", Msg: "an edge back to this node that is not a recurrence of a neuron node through a Linear or Affine node (n -> w -> n): spikegrad's models are chains with such recurrences only"}
		}
		seen[cur] = true
		order = append(order, cur)
	}
	if len(order)+len(weightOf) != len(g.Nodes) || edges != len(order)-1 {
		for _, name := range g.NodeNames() {
			if !seen[name] && !weightOf[name] {
				return nil, &Error{Node: name, Msg: "not on the chain from the Input to the Output"}
			}
		}
		return nil, &Error{Field: "edges", Msg: "edges beside the chain from the Input to the Output"}
	}
	return order, nil
}
