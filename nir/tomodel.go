package nir

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spikegrad/spikegrad/model"
	"github.com/spikegrad/spikegrad/safetensors"
)

// ToModel returns the spikegrad model of the NIR graph g, run with time
// steps dt seconds apart (dt > 0), and its weights, as model.Save takes
// them. The graph must be a chain from one Input to one Output, each node
// feeding the next, except for recurrences: a LIF or CubaLIF node whose
// output also feeds a Linear or Affine node that feeds back only into it
// (snnTorch's RLeaky and RSynaptic, as "<name>.lif" and "<name>.w_rec") is
// one rlif or rsynaptic layer; a nested graph (NIRGraph) is first inlined.
//
// Affine and Linear become linear layers (weight transposed to [in, out]);
// Conv2d and Conv1d conv2d and conv1d (weight as stored, [out, in/groups,
// kernel...]; NIR's bias becomes the layer's bias); SumPool2d and
// AvgPool2d sumpool2d and avgpool2d; Flatten flatten (the identity on
// spikegrad's flat, channel-major values); LIF, IF, LI, I and CubaLIF
// become lif, lif (beta 1), li, li (beta 1) and synaptic with the discrete
// parameters of the package documentation, and their input gain
// (r·dt/tau, ...) and leak voltage are folded into the weights and bias of
// the Affine, Linear or convolution before them (into a convolution only
// when they are the same for every position of a channel). A recurrence's
// weight is V = gain·W_recᵀ, and its bias (an Affine) is added at every
// step, so it joins the bias of the layer before. A node of another type, a
// gain that cannot be folded, a leak voltage into a CubaLIF, a reset voltage
// other than 0, a time constant below dt and mismatched sizes are errors
// naming the node and field. A node written by FromModel takes its reset
// rule, surrogate and flags from its metadata; any other node resets to
// zero, as NIR's neurons do, and gets the fast sigmoid surrogate (slope 25).
func ToModel(g *Graph, dt float64) (*model.Model, []safetensors.Tensor, error) {
	if err := checkDT(dt); err != nil {
		return nil, nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	g, err := inline(g)
	if err != nil {
		return nil, nil, err
	}
	rec, err := recurrences(g)
	if err != nil {
		return nil, nil, err
	}
	order, err := chain(g, rec)
	if err != nil {
		return nil, nil, err
	}
	c := &converter{g: g, dt: dt, m: &model.Model{Format: model.Format}, last: -1}
	in := g.Nodes[order[0]].Params["shape"]
	for _, v := range in.Data {
		if !(v >= 1) || v != math.Trunc(v) {
			return nil, nil, &Error{Node: order[0], Field: "shape", Msg: fmt.Sprintf("%v: sizes must be positive integers", in.Data)}
		}
		c.shape = append(c.shape, int(v))
	}
	c.size = prod(c.shape)
	for _, name := range order[1 : len(order)-1] {
		if err := c.node(name, rec[name]); err != nil {
			return nil, nil, err
		}
	}
	out := g.Nodes[order[len(order)-1]].Params["shape"]
	if n := prod(arrayInts(out)); n != c.size {
		return nil, nil, &Error{Node: order[len(order)-1], Field: "shape", Msg: fmt.Sprintf("%v, but the node before gives %d values", out.Data, c.size)}
	}
	if len(c.m.Layers) == 0 {
		return nil, nil, &Error{Msg: "the graph has no layer between its input and output"}
	}
	if err := c.m.Validate(); err != nil {
		return nil, nil, &Error{Msg: err.Error()}
	}
	return c.m, c.weights, nil
}

// converter is ToModel's state: the model so far, and what the next node
// takes.
type converter struct {
	g       *Graph
	dt      float64
	m       *model.Model
	weights []safetensors.Tensor
	size    int   // values the previous node gives
	shape   []int // their shape (NIR's, without the batch axis)
	// last is the index in m.Layers of the previous layer when it is a
	// linear or convolution layer the next neuron's gain can fold into
	// (-1 otherwise); lastW, lastB the indices of its weight and bias in
	// weights (lastB -1 without a bias).
	last, lastW, lastB int
}

func arrayInts(a *Array) []int {
	v := make([]int, len(a.Data))
	for i, x := range a.Data {
		v[i] = int(x)
	}
	return v
}

// node converts the node name (with its recurrent weight node rec, or "").
func (c *converter) node(name, rec string) error {
	n := c.g.Nodes[name]
	fail := func(field, format string, a ...any) error {
		return &Error{Node: name, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	cfg := n.Metadata[MetaConfig]
	switch n.Type {
	case "Affine", "Linear":
		w := n.Params["weight"]
		out, nin := w.Shape[0], w.Shape[1]
		if nin != c.size {
			return fail("weight", "shape %v ([out, in]): %d inputs, but the node before gives %d", w.Shape, nin, c.size)
		}
		p := model.Linear{In: nin, Out: out, Bias: n.Type == "Affine", Init: model.InitPyTorch}
		if cfg != nil {
			p = model.Linear{}
			if err := fromMeta(cfg, &p); err != nil {
				return fail("metadata."+MetaConfig, "%v", err)
			}
			p.In, p.Out, p.Bias = nin, out, n.Type == "Affine"
		}
		wt := make([]float32, nin*out)
		for a := 0; a < out; a++ {
			for b := 0; b < nin; b++ {
				wt[b*out+a] = float32(w.Data[a*nin+b])
			}
		}
		var bias []float32
		if p.Bias {
			bias = f32(n.Params["bias"].Data)
		}
		c.add(name, p, []int{nin, out}, wt, bias)
		c.size, c.shape = out, []int{out}
		return nil
	case "Conv2d", "Conv1d":
		return c.conv(name, n, fail)
	case "SumPool2d", "AvgPool2d":
		if len(c.shape) != 3 {
			return fail("", "the node before gives shape %v: a 2-D pooling takes [channels, height, width]", c.shape)
		}
		var pv [3][2]int
		for i, k := range []string{"kernel_size", "stride", "padding"} {
			v, err := pair(n.Params[k])
			if err != nil {
				return fail(k, "%v", err)
			}
			pv[i] = v
		}
		p := model.Pool2d{Op: map[string]string{"SumPool2d": model.KindSumPool2d, "AvgPool2d": model.KindAvgPool2d}[n.Type],
			C: c.shape[0], H: c.shape[1], W: c.shape[2], Kernel: pv[0], Stride: pv[1], Padding: pv[2]}
		if err := p.Validate(); err != nil {
			return fail("", "%v", err)
		}
		c.m.Layers = append(c.m.Layers, model.NewLayer(name, p))
		oh, ow := p.OutSize()
		c.shape, c.last = []int{p.C, oh, ow}, -1
		c.size = prod(c.shape)
		return nil
	case "Flatten":
		// spikegrad's values are flat and channel-major, NIR's C order: a
		// flatten of any axes leaves them as they are and changes the shape.
		s, e := int(n.Params["start_dim"].Data[0]), int(n.Params["end_dim"].Data[0])
		r := len(c.shape)
		if s < 0 {
			s += r
		}
		if e < 0 {
			e += r
		}
		if s < 0 || e >= r || s > e {
			return fail("start_dim", "start_dim %v, end_dim %v: not axes of the input shape %v", n.Params["start_dim"].Data[0], n.Params["end_dim"].Data[0], c.shape)
		}
		c.shape = append(append(slices.Clone(c.shape[:s]), prod(c.shape[s:e+1])), c.shape[e+1:]...)
		c.m.Layers = append(c.m.Layers, model.NewLayer(name, model.Flatten{In: c.size}))
		return nil
	case "LIF", "IF", "LI", "I", "CubaLIF":
		return c.neuron(name, rec, n, fail)
	}
	return fail("type", "node type %s has no spikegrad layer (layers: Affine, Linear, Conv2d, Conv1d, SumPool2d, AvgPool2d, Flatten, LIF, IF, LI, I, CubaLIF)", n.Type)
}

// add appends a linear or convolution layer with its weight (of shape ws)
// and bias (nil: none); the next neuron's gain can fold into it.
func (c *converter) add(name string, p model.Payload, ws []int, w, bias []float32) {
	c.m.Layers = append(c.m.Layers, model.NewLayer(name, p))
	c.last = len(c.m.Layers) - 1
	c.weights = append(c.weights, safetensors.Tensor{Name: name + ".weight", Shape: ws, Data: w})
	c.lastW, c.lastB = len(c.weights)-1, -1
	if bias != nil {
		c.weights = append(c.weights, safetensors.Tensor{Name: name + ".bias", Shape: []int{len(bias)}, Data: bias})
		c.lastB = len(c.weights) - 1
	}
}

func f32(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return o
}

// pair reads a convolution's or pooling's per-axis parameter: a scalar
// (both axes) or two values [height, width].
func pair(a *Array) ([2]int, error) {
	switch len(a.Data) {
	case 1:
		return [2]int{int(a.Data[0]), int(a.Data[0])}, nil
	case 2:
		return [2]int{int(a.Data[0]), int(a.Data[1])}, nil
	}
	return [2]int{}, fmt.Errorf("%v: want one value or two [height, width]", a.Data)
}

// conv converts a Conv2d or Conv1d node.
func (c *converter) conv(name string, n *Node, fail func(field, format string, a ...any) error) error {
	w := n.Params["weight"]
	groups := int(n.Params["groups"].Data[0])
	if groups < 1 {
		return fail("groups", "%d: must be >= 1", groups)
	}
	cin, out := w.Shape[1]*groups, w.Shape[0]
	two := n.Type == "Conv2d"
	// The input: [C, H, W] (or [C, L]) from the node before, or its flat
	// values read as the node's input_shape.
	var hw []int
	switch {
	case two && len(c.shape) == 3 && c.shape[0] == cin, !two && len(c.shape) == 2 && c.shape[0] == cin:
		hw = c.shape[1:]
	case n.Params["input_shape"] != nil:
		hw = arrayInts(n.Params["input_shape"])
	}
	if want := map[bool]int{true: 2, false: 1}[two]; len(hw) != want || prod(hw)*cin != c.size {
		return fail("input_shape", "the node before gives %d values of shape %v, which are not %d channels of the input shape %v", c.size, c.shape, cin, hw)
	}
	var p model.Payload
	bias := f32(n.Params["bias"].Data)
	hasBias := true
	if cfg := n.Metadata[MetaConfig]; cfg != nil {
		var meta struct {
			Bias bool   `json:"bias"`
			Init string `json:"init"`
		}
		if err := fromMeta(cfg, &meta); err != nil {
			return fail("metadata."+MetaConfig, "%v", err)
		}
		// A layer without a bias was written with zeros; any other value is kept.
		hasBias = meta.Bias || slices.ContainsFunc(bias, func(v float32) bool { return v != 0 })
	}
	if !hasBias {
		bias = nil
	}
	init := model.InitPyTorch
	if cfg := n.Metadata[MetaConfig]; cfg != nil {
		var meta struct {
			Init string `json:"init"`
		}
		if fromMeta(cfg, &meta) == nil && meta.Init != "" {
			init = meta.Init
		}
	}
	if two {
		var pv [3][2]int
		for i, k := range []string{"stride", "padding", "dilation"} {
			v, err := pair(n.Params[k])
			if err != nil {
				return fail(k, "%v", err)
			}
			pv[i] = v
		}
		cv := model.Conv2d{In: cin, Out: out, H: hw[0], W: hw[1], Kernel: [2]int{w.Shape[2], w.Shape[3]}, Stride: pv[0],
			Padding: pv[1], Dilation: pv[2], Groups: groups, Bias: hasBias, Init: init}
		if err := cv.Validate(); err != nil {
			return fail("", "%v", err)
		}
		oh, ow := cv.OutSize()
		p, c.shape = cv, []int{out, oh, ow}
	} else {
		var pv [3]int
		for i, k := range []string{"stride", "padding", "dilation"} {
			a := n.Params[k]
			if len(a.Data) != 1 {
				return fail(k, "%v: want one value", a.Data)
			}
			pv[i] = int(a.Data[0])
		}
		cv := model.Conv1d{In: cin, Out: out, L: hw[0], Kernel: w.Shape[2], Stride: pv[0], Padding: pv[1], Dilation: pv[2],
			Groups: groups, Bias: hasBias, Init: init}
		if err := cv.Validate(); err != nil {
			return fail("", "%v", err)
		}
		p, c.shape = cv, []int{out, cv.OutSize()}
	}
	c.add(name, p, slices.Clone(w.Shape), f32(w.Data), bias)
	c.size = prod(c.shape)
	return nil
}

// fold multiplies the outputs of the layer before (c.last) by gain and
// adds add, per output value j: its weights and bias (gaining a bias when
// add is not zero). A convolution takes them per channel: they must be the
// same at every position of a channel. node names the neuron node in errors.
func (c *converter) fold(node string, gain, add []float64) error {
	if c.last < 0 {
		return &Error{Node: node, Field: "r", Msg: fmt.Sprintf("input gain %v or leak voltage cannot be folded: no Affine, Linear or convolution node before it", gain[:min(len(gain), 4)])}
	}
	l := &c.m.Layers[c.last]
	p, _ := l.Payload()
	w := c.weights[c.lastW]
	hasAdd := slices.ContainsFunc(add, func(v float64) bool { return v != 0 })
	var per int // output values per channel (1 for a linear layer)
	switch q := p.(type) {
	case *model.Linear:
		per = 1
		out := w.Shape[1]
		for a := 0; a < w.Shape[0]; a++ {
			for j := 0; j < out; j++ {
				w.Data[a*out+j] *= float32(gain[j])
			}
		}
		if hasAdd && c.lastB < 0 {
			q.Bias = true
			*l = model.NewLayer(l.Name, *q)
		}
	case *model.Conv2d, *model.Conv1d:
		out := w.Shape[0]
		per = len(gain) / out
		for o := range out {
			for j := o * per; j < (o+1)*per; j++ {
				if gain[j] != gain[o*per] || add[j] != add[o*per] {
					return &Error{Node: node, Field: "r", Msg: fmt.Sprintf("the input gain or leak differs within channel %d (%v at %d, %v at %d): it cannot be folded into the convolution %s", o, gain[o*per], o*per, gain[j], j, l.Name)}
				}
			}
			k := len(w.Data) / out
			for i := o * k; i < (o+1)*k; i++ {
				w.Data[i] *= float32(gain[o*per])
			}
		}
		if hasAdd && c.lastB < 0 {
			switch q := q.(type) {
			case *model.Conv2d:
				q.Bias = true
				*l = model.NewLayer(l.Name, *q)
			case *model.Conv1d:
				q.Bias = true
				*l = model.NewLayer(l.Name, *q)
			}
		}
	}
	if hasAdd && c.lastB < 0 {
		n := len(gain) / per
		c.weights = append(c.weights, safetensors.Tensor{Name: l.Name + ".bias", Shape: []int{n}, Data: make([]float32, n)})
		c.lastB = len(c.weights) - 1
	}
	if c.lastB >= 0 {
		b := c.weights[c.lastB].Data
		for j := range b {
			b[j] = b[j]*float32(gain[j*per]) + float32(add[j*per])
		}
	}
	return nil
}

// neuron converts a neuron node (LIF, IF, LI, I, CubaLIF) and, when rec is
// not "", its recurrent weight node.
func (c *converter) neuron(name, rec string, n *Node, fail func(field, format string, a ...any) error) error {
	dt, cfg := c.dt, n.Metadata[MetaConfig]
	// Its parameters share one shape, of the size of the node before.
	var first *Array
	for _, a := range n.Params {
		first = a
		break
	}
	if first.Len() != c.size {
		return fail("", "parameters of shape %v, but the node before gives %d values of shape %v", first.Shape, c.size, c.shape)
	}
	N := c.size
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
		d := make([]float32, N)
		for j, v := range n.Params[k].Data {
			if !(v >= dt) {
				return nil, fail(k, "%v: a time constant below dt = %v gives a negative decay 1 - dt/tau", v, dt)
			}
			d[j] = float32(1 - dt/v)
		}
		return d, nil
	}
	var beta, alpha []float32
	var err error
	gain := make([]float64, N)
	leak := make([]float64, N) // added to the membrane every step
	r := val("r", 1)
	vleak := val("v_leak", 0)
	switch n.Type {
	case "LIF", "LI":
		if beta, err = decay("tau"); err != nil {
			return err
		}
		for j, t := range n.Params["tau"].Data {
			gain[j] = r[j] * dt / t
			leak[j] = vleak[j] * dt / t
		}
	case "IF", "I":
		beta = make([]float32, N)
		for j := range gain {
			beta[j], gain[j] = 1, r[j]*dt
		}
	case "CubaLIF":
		if beta, err = decay("tau_mem"); err != nil {
			return err
		}
		if alpha, err = decay("tau_syn"); err != nil {
			return err
		}
		w := val("w_in", 1)
		tm, ts := n.Params["tau_mem"].Data, n.Params["tau_syn"].Data
		for j := range gain {
			gain[j] = r[j] * w[j] * dt * dt / (tm[j] * ts[j])
			if vleak[j] != 0 {
				return fail("v_leak", "%v: a leak voltage of a CubaLIF has no place in a synaptic layer (its input is the current)", vleak[j])
			}
		}
	}
	for j, v := range val("v_reset", 0) {
		if v != 0 {
			return fail("v_reset", "neuron %d: %v: spikegrad's neurons reset to 0", j, v)
		}
	}
	// The recurrence: its weight, and its bias, which joins the bias of
	// the layer before (added at every step, as the recurrent Affine adds it).
	var recW *Array
	layerName := name
	if rec != "" {
		if n.Type != "LIF" && n.Type != "CubaLIF" {
			return fail("edges", "a recurrence through %s into a %s node: spikegrad's recurrent layers are LIF (rlif) and CubaLIF (rsynaptic)", rec, n.Type)
		}
		rn := c.g.Nodes[rec]
		recW = rn.Params["weight"]
		if recW.Shape[0] != N || recW.Shape[1] != N {
			return &Error{Node: rec, Field: "weight", Msg: fmt.Sprintf("shape %v: a recurrent weight of %d neurons is [%d, %d]", recW.Shape, N, N, N)}
		}
		if b := rn.Params["bias"]; b != nil && slices.ContainsFunc(b.Data, func(v float64) bool { return v != 0 }) {
			ones := make([]float64, N)
			for j := range ones {
				ones[j] = 1
			}
			if err := c.fold(name, ones, b.Data); err != nil {
				return &Error{Node: rec, Field: "bias", Msg: "the recurrent bias needs an Affine, Linear or convolution node before the neurons to join"}
			}
		}
		if base, ok := strings.CutSuffix(name, RecurrentNeuron); ok && rec == base+RecurrentWeight {
			layerName = base
		}
	}
	// Fold the gain and the leak into the layer before.
	fold := false
	for j := range gain {
		if float32(gain[j]) != 1 || leak[j] != 0 {
			fold = true
		}
	}
	if fold {
		if err := c.fold(name, gain, leak); err != nil {
			return err
		}
	}
	c.last = -1
	per := !allEqual(beta) || alpha != nil && !allEqual(alpha)
	var thr []float32
	if n.Type != "LI" && n.Type != "I" {
		thr = make([]float32, N)
		for j, v := range n.Params["v_threshold"].Data {
			if !(v >= 0) || math.IsInf(v, 0) {
				return fail("v_threshold", "neuron %d: %v: the threshold must be non-negative and finite", j, v)
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
	// meta decodes the metadata config into p and restores what the graph
	// sets: the size and, when the graph's values differ per neuron, the flag.
	meta := func(p any, lp *model.LIF) error {
		if cfg == nil {
			return nil
		}
		if err := fromMeta(cfg, p); err != nil {
			return fail("metadata."+MetaConfig, "%v", err)
		}
		lp.N, lp.PerNeuron = N, lp.PerNeuron || per
		return nil
	}
	var oneToOne bool
	if cfg != nil && recW != nil {
		var r struct {
			OneToOne bool `json:"one_to_one"`
		}
		if err := fromMeta(cfg, &r); err != nil {
			return fail("metadata."+MetaConfig, "%v", err)
		}
		oneToOne = r.OneToOne
	}
	var payload model.Payload
	perNeuron := per
	switch n.Type {
	case "LI", "I":
		p := model.LI{N: N, Beta: beta[0], PerNeuron: per}
		if cfg != nil {
			p = model.LI{}
			if err := fromMeta(cfg, &p); err != nil {
				return fail("metadata."+MetaConfig, "%v", err)
			}
			p.N, p.PerNeuron = N, p.PerNeuron || per
		}
		payload, perNeuron = p, p.PerNeuron
	case "CubaLIF":
		p := model.Synaptic{LIF: lif, Alpha: alpha[0]}
		if cfg != nil {
			p = model.Synaptic{}
		}
		if err := meta(&p, &p.LIF); err != nil {
			return err
		}
		payload, perNeuron = p, p.PerNeuron
		if recW != nil {
			payload = model.RSynaptic{Synaptic: p, OneToOne: oneToOne}
		}
	default:
		p := lif
		if cfg != nil {
			p = model.LIF{}
		}
		if err := meta(&p, &p); err != nil {
			return err
		}
		payload, perNeuron = p, p.PerNeuron
		if recW != nil {
			payload = model.RLIF{LIF: p, OneToOne: oneToOne}
		}
	}
	tensor := func(param string, v []float32) {
		if !perNeuron {
			v = v[:1]
		}
		c.weights = append(c.weights, safetensors.Tensor{Name: layerName + "." + param, Shape: []int{len(v)}, Data: slices.Clone(v)})
	}
	if alpha != nil {
		tensor("alpha", alpha)
	}
	tensor("beta", beta)
	if thr != nil {
		tensor("threshold", thr)
	}
	if recW != nil {
		// V[i, j], from neuron i to neuron j, is the NIR weight [out, in]
		// transposed, times neuron j's input gain (as the weights before).
		g := func(j int) float32 {
			if fold {
				return float32(gain[j])
			}
			return 1
		}
		if oneToOne {
			v := make([]float32, N)
			for i := range N {
				for j := range N {
					if i != j && recW.Data[j*N+i] != 0 {
						return &Error{Node: rec, Field: "weight", Msg: fmt.Sprintf("[%d, %d] = %v: a one-to-one recurrence (metadata) has a diagonal weight", j, i, recW.Data[j*N+i])}
					}
				}
				v[i] = float32(recW.Data[i*N+i]) * g(i)
			}
			c.weights = append(c.weights, safetensors.Tensor{Name: layerName + ".recurrent", Shape: []int{N}, Data: v})
		} else {
			v := make([]float32, N*N)
			for i := range N {
				for j := range N {
					v[i*N+j] = float32(recW.Data[j*N+i]) * g(j)
				}
			}
			c.weights = append(c.weights, safetensors.Tensor{Name: layerName + ".recurrent", Shape: []int{N, N}, Data: v})
		}
	}
	c.m.Layers = append(c.m.Layers, model.NewLayer(layerName, payload))
	return nil
}

// recurrences returns, per neuron node, its recurrent weight node: a
// Linear or Affine node w whose only input is the neuron node n and whose
// only output goes back to n (n -> w -> n), snnTorch's RLeaky and
// RSynaptic.
func recurrences(g *Graph) (map[string]string, error) {
	in, out := map[string][]string{}, map[string][]string{}
	for _, e := range g.Edges {
		out[e.From] = append(out[e.From], e.To)
		in[e.To] = append(in[e.To], e.From)
	}
	rec := map[string]string{}
	for _, w := range g.NodeNames() {
		t := g.Nodes[w].Type
		if t != "Linear" && t != "Affine" || len(in[w]) != 1 || len(out[w]) != 1 || in[w][0] != out[w][0] {
			continue
		}
		n := in[w][0]
		if prev, dup := rec[n]; dup {
			return nil, &Error{Node: n, Field: "edges", Msg: fmt.Sprintf("two recurrences (%s and %s): a spikegrad recurrent layer has one", prev, w)}
		}
		rec[n] = w
	}
	return rec, nil
}

// inline returns g with its nested graphs (NIRGraph nodes, as snnTorch
// writes a recurrent layer) replaced by their nodes, named "outer.inner":
// an edge into the nested graph (to "outer" or to its Input "outer.in")
// goes to the nodes its Input feeds, an edge out of it (from "outer" or
// its Output) comes from the nodes that feed its Output. g itself is not
// changed; a graph without nested graphs is returned as it is.
func inline(g *Graph) (*Graph, error) {
	nested := false
	for _, n := range g.Nodes {
		nested = nested || n.Type == TypeGraph
	}
	if !nested {
		return g, nil
	}
	out := &Graph{Version: g.Version, Nodes: map[string]*Node{}, Metadata: g.Metadata}
	// into[x], from[x]: the nodes an edge to or from x stands for.
	into, from := map[string][]string{}, map[string][]string{}
	var edges []Edge
	for _, name := range g.NodeNames() {
		n := g.Nodes[name]
		if n.Type != TypeGraph {
			out.Nodes[name] = n
			continue
		}
		sub, err := inline(n.Graph)
		if err != nil {
			return nil, err
		}
		var ins, outs []string
		for _, inner := range sub.NodeNames() {
			switch sub.Nodes[inner].Type {
			case "Input":
				ins = append(ins, inner)
			case "Output":
				outs = append(outs, inner)
			default:
				out.Nodes[name+"."+inner] = sub.Nodes[inner]
			}
		}
		if len(ins) != 1 || len(outs) != 1 {
			return nil, &Error{Node: name, Msg: fmt.Sprintf("a nested graph with %d Input and %d Output nodes: one of each can be inlined", len(ins), len(outs))}
		}
		for _, e := range sub.Edges {
			switch {
			case e.From == ins[0]:
				into[name] = append(into[name], name+"."+e.To)
			case e.To == outs[0]:
				from[name] = append(from[name], name+"."+e.From)
			default:
				edges = append(edges, Edge{name + "." + e.From, name + "." + e.To})
			}
		}
		into[name+"."+ins[0]], from[name+"."+outs[0]] = into[name], from[name]
	}
	ends := func(m map[string][]string, x string) []string {
		if v, ok := m[x]; ok {
			return v
		}
		return []string{x}
	}
	for _, e := range g.Edges {
		for _, f := range ends(from, e.From) {
			for _, t := range ends(into, e.To) {
				edges = append(edges, Edge{f, t})
			}
		}
	}
	out.Edges = edges
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}
