package nir

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

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
// parameters of the package documentation (neuron parameters [N], float64).
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
	prev, size := InputName, 0
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
		var out int
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
			size, out = c.In, c.Out
		case *model.LIF, *model.Synaptic, *model.LI:
			var N int
			switch c := c.(type) {
			case *model.LIF:
				N = c.N
			case *model.Synaptic:
				N = c.N
			case *model.LI:
				N = c.N
			}
			shape := []int{N}
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
			case model.KindLIF:
				n.Type = "LIF"
				n.Params["tau"] = F64(shape, tm...)
			case model.KindLI:
				n.Type = "LI"
				n.Params["tau"] = F64(shape, tm...)
			case model.KindSynaptic:
				ts, w, err := constants("alpha", N)
				if err != nil {
					return nil, err
				}
				n.Type = "CubaLIF"
				n.Params["tau_mem"] = F64(shape, tm...)
				n.Params["tau_syn"] = F64(shape, ts...)
				n.Params["w_in"] = F64(shape, w...)
			}
			size, out = N, N
		case *model.Dropout:
			continue // the identity at inference: no node
		default:
			return nil, &Error{Node: l.Name, Field: "kind", Msg: fmt.Sprintf("layer kind %q has no NIR node", l.Kind)}
		}
		if prev == InputName {
			g.Nodes[InputName] = &Node{Type: "Input", Params: map[string]*Array{"shape": I64([]int{1}, int64(size))}}
		}
		g.Nodes[l.Name] = n
		g.Edges = append(g.Edges, Edge{prev, l.Name})
		prev, size = l.Name, out
	}
	g.Nodes[OutputName] = &Node{Type: "Output", Params: map[string]*Array{"shape": I64([]int{1}, int64(size))}}
	g.Edges = append(g.Edges, Edge{prev, OutputName})
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// ToModel returns the spikegrad model of the NIR graph g, run with time
// steps dt seconds apart (dt > 0), and its weights, as model.Save takes
// them. The graph must be a chain: one Input, nodes each feeding the next,
// one Output, no nested graph and no recurrent edge. Affine and Linear
// become linear layers (weight transposed to [in, out]); LIF, IF, LI, I and
// CubaLIF become lif, lif (beta 1), li, li (beta 1) and synaptic with the
// discrete parameters of the package documentation, and their input gain
// (r·dt/tau, ...) and leak voltage are folded into the weights and bias of
// the Affine or Linear before them. A node of another type, a gain that
// cannot be folded, a leak voltage into a CubaLIF, a reset voltage other
// than 0, a time constant below dt and mismatched sizes are errors naming
// the node and field. A node written by FromModel takes its reset rule,
// surrogate and flags from its metadata; any other node resets to zero, as
// NIR's neurons do, and gets the fast sigmoid surrogate (slope 25).
func ToModel(g *Graph, dt float64) (*model.Model, []safetensors.Tensor, error) {
	if err := checkDT(dt); err != nil {
		return nil, nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	order, err := chain(g)
	if err != nil {
		return nil, nil, err
	}
	m := &model.Model{Format: model.Format}
	var weights []safetensors.Tensor
	in := g.Nodes[order[0]]
	if len(in.Params["shape"].Shape) != 1 || len(in.Params["shape"].Data) != 1 {
		return nil, nil, &Error{Node: order[0], Field: "shape", Msg: fmt.Sprintf("%v: only flat inputs ([n]) are supported", in.Params["shape"].Data)}
	}
	size := int(in.Params["shape"].Data[0])
	// last is the index in weights of the previous linear layer's weight
	// and bias (-1 when the previous layer is not linear), for folding.
	lastW, lastB := -1, -1
	var lastLayer int
	for _, name := range order[1 : len(order)-1] {
		n := g.Nodes[name]
		fail := func(field, format string, a ...any) error {
			return &Error{Node: name, Field: field, Msg: fmt.Sprintf(format, a...)}
		}
		cfg := n.Metadata[MetaConfig]
		switch n.Type {
		case "Affine", "Linear":
			w := n.Params["weight"]
			out, nin := w.Shape[0], w.Shape[1]
			if nin != size {
				return nil, nil, fail("weight", "shape %v ([out, in]): %d inputs, but the node before gives %d", w.Shape, nin, size)
			}
			c := model.Linear{In: nin, Out: out, Bias: n.Type == "Affine", Init: model.InitPyTorch}
			if cfg != nil {
				c = model.Linear{}
				if err := fromMeta(cfg, &c); err != nil {
					return nil, nil, fail("metadata."+MetaConfig, "%v", err)
				}
				c.In, c.Out, c.Bias = nin, out, n.Type == "Affine"
			}
			wt := make([]float32, nin*out)
			for a := 0; a < out; a++ {
				for b := 0; b < nin; b++ {
					wt[b*out+a] = float32(w.Data[a*nin+b])
				}
			}
			m.Layers = append(m.Layers, model.NewLayer(name, c))
			lastLayer = len(m.Layers) - 1
			weights = append(weights, safetensors.Tensor{Name: name + ".weight", Shape: []int{nin, out}, Data: wt})
			lastW, lastB = len(weights)-1, -1
			if c.Bias {
				b := make([]float32, out)
				for j, v := range n.Params["bias"].Data {
					b[j] = float32(v)
				}
				weights = append(weights, safetensors.Tensor{Name: name + ".bias", Shape: []int{out}, Data: b})
				lastB = len(weights) - 1
			}
			size = out
			continue
		case "LIF", "IF", "LI", "I", "CubaLIF":
		default:
			return nil, nil, fail("type", "node type %s has no spikegrad layer (layers: Affine, Linear, LIF, IF, LI, I, CubaLIF)", n.Type)
		}
		// A neuron node: its parameters are [N] with N the size before.
		var first *Array
		for _, a := range n.Params {
			first = a
			break
		}
		if len(first.Shape) != 1 || first.Shape[0] != size {
			return nil, nil, fail("", "parameters of shape %v, but the node before gives %d values ([%d] wanted)", first.Shape, size, size)
		}
		N := size
		val := func(k string, def float64) []float64 {
			if a := n.Params[k]; a != nil {
				return a.Data
			}
			v := make([]float64, N)
			for j := range v {
				v[j] = def
			}
			return v
		}
		// decay returns 1 - dt/tau per neuron (1 for tau = +Inf).
		decay := func(k string) ([]float32, error) {
			t := n.Params[k].Data
			d := make([]float32, N)
			for j, v := range t {
				if !(v >= dt) {
					return nil, fail(k, "%v: a time constant below dt = %v gives a negative decay 1 - dt/tau", v, dt)
				}
				d[j] = float32(1 - dt/v)
			}
			return d, nil
		}
		ones := func() []float32 {
			v := make([]float32, N)
			for j := range v {
				v[j] = 1
			}
			return v
		}
		var beta, alpha []float32
		gain := make([]float64, N)
		leak := make([]float64, N) // added to the membrane every step
		r := val("r", 1)
		vleak := val("v_leak", 0)
		switch n.Type {
		case "LIF", "LI":
			if beta, err = decay("tau"); err != nil {
				return nil, nil, err
			}
			for j, t := range n.Params["tau"].Data {
				gain[j] = r[j] * dt / t
				leak[j] = vleak[j] * dt / t
			}
		case "IF", "I":
			beta = ones()
			for j := range gain {
				gain[j] = r[j] * dt
			}
		case "CubaLIF":
			if beta, err = decay("tau_mem"); err != nil {
				return nil, nil, err
			}
			if alpha, err = decay("tau_syn"); err != nil {
				return nil, nil, err
			}
			w := val("w_in", 1)
			tm, ts := n.Params["tau_mem"].Data, n.Params["tau_syn"].Data
			for j := range gain {
				gain[j] = r[j] * w[j] * dt * dt / (tm[j] * ts[j])
				if vleak[j] != 0 {
					return nil, nil, fail("v_leak", "%v: a leak voltage of a CubaLIF has no place in a synaptic layer (its input is the current)", vleak[j])
				}
			}
		}
		for j, v := range val("v_reset", 0) {
			if v != 0 {
				return nil, nil, fail("v_reset", "neuron %d: %v: spikegrad's neurons reset to 0", j, v)
			}
		}
		// Fold the gain and the leak into the linear layer before.
		fold := false
		for j := range gain {
			if float32(gain[j]) != 1 || leak[j] != 0 {
				fold = true
			}
		}
		if fold {
			if lastW < 0 {
				return nil, nil, fail("r", "input gain %v or leak voltage cannot be folded: no Affine or Linear node before it", gain)
			}
			w := weights[lastW]
			out := w.Shape[1]
			for a := 0; a < w.Shape[0]; a++ {
				for j := 0; j < out; j++ {
					w.Data[a*out+j] *= float32(gain[j])
				}
			}
			hasLeak := slices.ContainsFunc(leak, func(v float64) bool { return v != 0 })
			if hasLeak && lastB < 0 {
				// A Linear node gains the bias that carries the leak.
				var c model.Linear
				p, _ := m.Layers[lastLayer].Payload()
				c = *p.(*model.Linear)
				c.Bias = true
				m.Layers[lastLayer] = model.NewLayer(m.Layers[lastLayer].Name, c)
				weights = append(weights, safetensors.Tensor{Name: m.Layers[lastLayer].Name + ".bias", Shape: []int{out}, Data: make([]float32, out)})
				lastB = len(weights) - 1
			}
			if lastB >= 0 {
				b := weights[lastB].Data
				for j := range b {
					b[j] = b[j]*float32(gain[j]) + float32(leak[j])
				}
			}
		}
		lastW, lastB = -1, -1
		per := !allEqual(beta) || alpha != nil && !allEqual(alpha)
		var thr []float32
		if n.Type != "LI" && n.Type != "I" {
			thr = make([]float32, N)
			for j, v := range n.Params["v_threshold"].Data {
				if !(v >= 0) || math.IsInf(v, 0) {
					return nil, nil, fail("v_threshold", "neuron %d: %v: the threshold must be non-negative and finite", j, v)
				}
				thr[j] = float32(v)
			}
			per = per || !allEqual(thr)
		}
		lif := model.LIF{N: N, Beta: beta[0], Reset: model.ResetZero,
			Surrogate: model.Surrogate{Name: "fast_sigmoid", Params: map[string]float64{"slope": 25}}, PerNeuron: per}
		if thr != nil {
			lif.Threshold = thr[0]
		}
		var payload model.Payload
		switch n.Type {
		case "LI", "I":
			c := model.LI{N: N, Beta: beta[0], PerNeuron: per}
			if cfg != nil {
				c = model.LI{}
				if err := fromMeta(cfg, &c); err != nil {
					return nil, nil, fail("metadata."+MetaConfig, "%v", err)
				}
				c.N, c.PerNeuron = N, c.PerNeuron || per
			}
			payload = c
		case "CubaLIF":
			c := model.Synaptic{LIF: lif, Alpha: alpha[0]}
			if cfg != nil {
				c = model.Synaptic{}
				if err := fromMeta(cfg, &c); err != nil {
					return nil, nil, fail("metadata."+MetaConfig, "%v", err)
				}
				c.N, c.PerNeuron = N, c.PerNeuron || per
			}
			payload = c
		default:
			c := lif
			if cfg != nil {
				c = model.LIF{}
				if err := fromMeta(cfg, &c); err != nil {
					return nil, nil, fail("metadata."+MetaConfig, "%v", err)
				}
				c.N, c.PerNeuron = N, c.PerNeuron || per
			}
			payload = c
		}
		perNeuron := per
		switch c := payload.(type) {
		case model.LI:
			perNeuron = c.PerNeuron
		case model.LIF:
			perNeuron = c.PerNeuron
		case model.Synaptic:
			perNeuron = c.PerNeuron
		}
		tensor := func(param string, v []float32) {
			if !perNeuron {
				v = v[:1]
			}
			weights = append(weights, safetensors.Tensor{Name: name + "." + param, Shape: []int{len(v)}, Data: slices.Clone(v)})
		}
		if alpha != nil {
			tensor("alpha", alpha)
		}
		tensor("beta", beta)
		if thr != nil {
			tensor("threshold", thr)
		}
		m.Layers = append(m.Layers, model.NewLayer(name, payload))
	}
	out := g.Nodes[order[len(order)-1]].Params["shape"]
	if out.Len() != 1 || int(out.Data[0]) != size {
		return nil, nil, &Error{Node: order[len(order)-1], Field: "shape", Msg: fmt.Sprintf("%v, but the node before gives %d values", out.Data, size)}
	}
	if len(m.Layers) == 0 {
		return nil, nil, &Error{Msg: "the graph has no layer between its input and output"}
	}
	if err := m.Validate(); err != nil {
		return nil, nil, &Error{Msg: err.Error()}
	}
	return m, weights, nil
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
// error naming the node where g is not a chain.
func chain(g *Graph) ([]string, error) {
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
	for _, e := range g.Edges {
		next[e.From] = append(next[e.From], e.To)
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
			return nil, &Error{Node: cur, Field: "edges", Msg: "a recurrent edge back to this node: spikegrad's models are feed-forward chains"}
		}
		seen[cur] = true
		order = append(order, cur)
	}
	if len(order) != len(g.Nodes) || len(g.Edges) != len(order)-1 {
		for _, name := range g.NodeNames() {
			if !seen[name] {
				return nil, &Error{Node: name, Msg: "not on the chain from the Input to the Output"}
			}
		}
		return nil, &Error{Field: "edges", Msg: "edges beside the chain from the Input to the Output"}
	}
	return order, nil
}
