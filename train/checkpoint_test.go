package train

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikegrad/spikegrad/autograd"
	"github.com/spikegrad/spikegrad/optim"
	"github.com/spikegrad/spikegrad/safetensors"
)

// stFile assembles a safetensors file from a header (not padded) and a
// buffer: the header's length as 8 little-endian bytes, the header, the data.
func stFile(header string, buf []byte) []byte {
	return slices.Concat(binary.LittleEndian.AppendUint64(nil, uint64(len(header))), []byte(header), buf)
}

// ckptParams returns a small model's Params with values from rng.
func ckptParams(rng *rand.Rand) []*autograd.Param {
	ps := []*autograd.Param{
		autograd.NewParam("fc1.weight", nil, 4, 3),
		autograd.NewParam("fc1.bias", nil, 4),
		autograd.NewParam("lif.beta", nil), // a scalar
	}
	for _, p := range ps {
		for i := range p.Data {
			p.Data[i] = float32(rng.NormFloat64())
		}
	}
	return ps
}

// ckptSteps runs n optimizer steps with gradients drawn from rng (standing
// in for a backward pass whose batches come from the same random source).
func ckptSteps(o optim.Optimizer, rng *rand.Rand, n int) {
	for range n {
		o.ZeroGrad()
		for _, p := range o.Params() {
			for i := range p.Grad {
				p.Grad[i] = float32(rng.NormFloat64()) + 0.1*p.Data[i]
			}
		}
		o.Step()
	}
}

// TestCheckpointResumeBitIdentical trains 5 steps, saves a checkpoint, trains
// 5 more; then loads the checkpoint into a fresh model, optimizer and random
// source and trains the same 5 steps. Both must end bit-identical: that is
// the promise of a checkpoint.
func TestCheckpointResumeBitIdentical(t *testing.T) {
	path := filepath.Join(t.TempDir(), "last.safetensors")
	for _, newOpt := range []func([]*autograd.Param) (optim.Optimizer, error){
		func(ps []*autograd.Param) (optim.Optimizer, error) {
			c := optim.DefaultAdam()
			c.AMSGrad = true
			return optim.NewAdam(ps, c)
		},
		func(ps []*autograd.Param) (optim.Optimizer, error) {
			return optim.NewSGD(ps, optim.SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true})
		},
	} {
		src := rand.NewPCG(3, 4)
		rng := rand.New(src)
		params := ckptParams(rng)
		o, err := newOpt(params)
		if err != nil {
			t.Fatal(err)
		}
		ckptSteps(o, rng, 5)
		o.SetLR(o.LR() / 3) // a learning rate that is not a short decimal
		c := CheckpointFromParams(params)
		if err := c.SetOptimizer(o); err != nil {
			t.Fatal(err)
		}
		if err := c.SetRNG("data", src); err != nil {
			t.Fatal(err)
		}
		c.Meta["step"] = "5" // a loop's own counters
		c.Meta["wall"] = "1.25"
		if err := SaveCheckpoint(path, c); err != nil {
			t.Fatal(err)
		}
		ckptSteps(o, rng, 5)

		src2 := rand.NewPCG(99, 99)
		rng2 := rand.New(src2)
		params2 := ckptParams(rng2)
		o2, err := newOpt(params2)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := LoadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := c2.Restore(params2); err != nil {
			t.Fatal(err)
		}
		if err := c2.RestoreOptimizer(o2); err != nil {
			t.Fatal(err)
		}
		if err := c2.RestoreRNG("data", src2); err != nil {
			t.Fatal(err)
		}
		if step, err := c2.MetaInt("step"); err != nil || step != 5 {
			t.Errorf("MetaInt(step) = %d, %v; want 5", step, err)
		}
		if wall, err := c2.MetaFloat("wall"); err != nil || wall != 1.25 {
			t.Errorf("MetaFloat(wall) = %v, %v; want 1.25", wall, err)
		}
		ckptSteps(o2, rng2, 5)
		if o2.LR() != o.LR() {
			t.Errorf("LR %v after resume, want %v", o2.LR(), o.LR())
		}
		for i, p := range params {
			for j := range p.Data {
				if math.Float32bits(p.Data[j]) != math.Float32bits(params2[i].Data[j]) {
					t.Fatalf("%s[%d]: resumed %v, uninterrupted %v", p.Name, j, params2[i].Data[j], p.Data[j])
				}
			}
		}
	}
}

// TestCheckpointLayout checks the names, shapes and metadata that Python
// tools see.
func TestCheckpointLayout(t *testing.T) {
	params := ckptParams(rand.New(rand.NewPCG(1, 1)))
	o, err := optim.NewAdam(params, optim.DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	c := CheckpointFromParams(params)
	if err := c.SetOptimizer(o); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Meta[MetaVersion]; ok {
		t.Error("SaveCheckpoint modified c.Meta")
	}
	f, err := safetensors.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, info := range f.Infos {
		names = append(names, info.Name+fmt.Sprint(info.Shape))
	}
	slices.Sort(names)
	want := []string{
		"model.fc1.bias[4]", "model.fc1.weight[4 3]", "model.lif.beta[]",
		"optim.fc1.bias.exp_avg[4]", "optim.fc1.bias.exp_avg_sq[4]",
		"optim.fc1.weight.exp_avg[4 3]", "optim.fc1.weight.exp_avg_sq[4 3]",
		"optim.lif.beta.exp_avg[]", "optim.lif.beta.exp_avg_sq[]",
	}
	if !slices.Equal(names, want) {
		t.Errorf("tensors %v, want %v", names, want)
	}
	if f.Meta[MetaVersion] != "2" {
		t.Errorf("version %q, want 2", f.Meta[MetaVersion])
	}
	// The JSON of the optimizer state, as documented on SetOptimizer.
	wantOpt := `{"algorithm":"Adam","lr":0.001,"params":[{"name":"fc1.weight","step":0,"buffers":["exp_avg","exp_avg_sq"]},` +
		`{"name":"fc1.bias","step":0,"buffers":["exp_avg","exp_avg_sq"]},{"name":"lif.beta","step":0,"buffers":["exp_avg","exp_avg_sq"]}]}`
	if f.Meta[MetaOptimizer] != wantOpt {
		t.Errorf("optimizer metadata\n%s\nwant\n%s", f.Meta[MetaOptimizer], wantOpt)
	}
}

// TestLoadCheckpointTruncated cuts a checkpoint at many lengths, as a crash
// during a copy would, and expects an error that names the file and says it
// is truncated.
func TestLoadCheckpointTruncated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.safetensors")
	c := CheckpointFromParams(ckptParams(rand.New(rand.NewPCG(1, 1))))
	c.Meta["step"] = "10"
	if err := SaveCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 5, 8, 20, len(full) / 2, len(full) - 4, len(full) - 1} {
		if err := os.WriteFile(path, full[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadCheckpoint(path)
		if !errors.Is(err, safetensors.ErrTruncated) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d of %d bytes: %v; want safetensors.ErrTruncated naming %s", n, len(full), err, path)
		}
		if !strings.Contains(err.Error(), "checkpoint file") {
			t.Errorf("cut at %d: %q does not say it is a checkpoint", n, err)
		}
	}
}

func TestLoadCheckpointVersion(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "weights.safetensors")
	if err := safetensors.Save(plain, []safetensors.Tensor{{Name: "model.w", Shape: []int{1}, Data: []float32{1}}}, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCheckpoint(plain)
	if !errors.Is(err, safetensors.ErrVersion) || !strings.Contains(err.Error(), "not a spikegrad checkpoint") || !strings.Contains(err.Error(), plain) {
		t.Errorf("plain safetensors: %v", err)
	}
	future := filepath.Join(dir, "future.safetensors")
	if err := safetensors.Save(future, nil, map[string]string{MetaVersion: "3"}); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCheckpoint(future)
	if !errors.Is(err, safetensors.ErrVersion) || !strings.Contains(err.Error(), `version "3"; this build reads versions 1 to 2`) {
		t.Errorf("version 3: %v", err)
	}
	// Version 1 has the tensors of version 2: it loads and restores.
	old := filepath.Join(dir, "v1.safetensors")
	if err := safetensors.Save(old, []safetensors.Tensor{{Name: "model.w", Shape: []int{1}, Data: []float32{1}}}, map[string]string{MetaVersion: "1"}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCheckpoint(old)
	if err != nil {
		t.Fatalf("version 1: %v", err)
	}
	if w := autograd.NewParam("w", nil, 1); c.Restore([]*autograd.Param{w}) != nil || w.Data[0] != 1 {
		t.Errorf("version 1: restored %v", w.Data)
	}
	if _, err := LoadCheckpoint(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	f16 := filepath.Join(dir, "f16.safetensors")
	data := stFile(`{"__metadata__":{"spikegrad_checkpoint_version":"1"},"model.w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, []byte{0, 0x3c})
	if err := os.WriteFile(f16, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(f16); err == nil || !strings.Contains(err.Error(), `tensor "model.w": dtype F16`) {
		t.Errorf("F16 tensor: %v", err)
	}
}

// TestRestoreAllOrNothing restores checkpoints of other architectures and
// checks that the error lists every difference and that no Param changed.
func TestRestoreAllOrNothing(t *testing.T) {
	src := ckptParams(rand.New(rand.NewPCG(5, 6)))
	c := CheckpointFromParams(src)
	c.Path = "run/checkpoints/last.safetensors"
	c.Tensors = append(c.Tensors, safetensors.Tensor{Name: "optim.fc1.bias.exp_avg", Shape: []int{4}, Data: make([]float32, 4)})

	other := func() []*autograd.Param {
		ps := ckptParams(rand.New(rand.NewPCG(7, 8)))
		ps[0] = autograd.NewParam("fc1.weight", nil, 4, 5) // another input size
		ps = append(ps[:2], autograd.NewParam("fc2.weight", nil, 2, 4), autograd.NewParam("fc1.bias", nil, 4))
		return ps // lif.beta missing, fc2.weight unexpected, fc1.bias twice
	}()
	before := make([][]float32, len(other))
	for i, p := range other {
		before[i] = slices.Clone(p.Data)
	}
	err := c.Restore(other)
	var re *RestoreError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want a *RestoreError", err)
	}
	if !slices.Equal(re.Missing, []string{"fc2.weight"}) || !slices.Equal(re.Unexpected, []string{"lif.beta"}) ||
		!slices.Equal(re.Duplicate, []string{"fc1.bias"}) || len(re.Mismatched) != 1 ||
		re.Mismatched[0].Name != "fc1.weight" || !slices.Equal(re.Mismatched[0].Param, []int{4, 5}) ||
		!slices.Equal(re.Mismatched[0].Checkpoint, []int{4, 3}) {
		t.Errorf("error %+v", re)
	}
	for _, s := range []string{"run/checkpoints/last.safetensors", "another architecture", "nothing restored",
		"params missing from the checkpoint (fc2.weight)", "tensors without a param (lif.beta)",
		"fc1.weight: param [4 5], checkpoint [4 3]", "param names used twice (fc1.bias)"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	for i, p := range other {
		if !slices.Equal(p.Data, before[i]) {
			t.Errorf("%s changed by a failed Restore", p.Name)
		}
	}

	// One mismatch among matching Params: still nothing restored.
	dst := ckptParams(rand.New(rand.NewPCG(9, 9)))
	dst[2] = autograd.NewParam("lif.beta", []float32{7}, 1) // [1] instead of []
	d0 := slices.Clone(dst[0].Data)
	if err := c.Restore(dst); err == nil || !strings.Contains(err.Error(), "lif.beta: param [1], checkpoint []") {
		t.Errorf("scalar vs [1]: %v", err)
	}
	if !slices.Equal(dst[0].Data, d0) {
		t.Error("fc1.weight changed although lif.beta did not match")
	}

	// A full match copies every value.
	dst = ckptParams(rand.New(rand.NewPCG(9, 9)))
	if err := c.Restore(dst); err != nil {
		t.Fatal(err)
	}
	for i, p := range dst {
		if !slices.Equal(p.Data, src[i].Data) {
			t.Errorf("%s not restored", p.Name)
		}
	}
	if err := c.Restore([]*autograd.Param{nil}); err == nil || !strings.Contains(err.Error(), "param 0 is nil") {
		t.Errorf("nil param: %v", err)
	}
	bad := &Checkpoint{Tensors: []safetensors.Tensor{{Name: "model.w", Shape: []int{2}, Data: []float32{1}}}}
	if err := bad.Restore(nil); err == nil || !strings.Contains(err.Error(), `"model.w": shape [2] does not hold its 1 values`) {
		t.Errorf("inconsistent tensor: %v", err)
	}
}

func TestRestoreOptimizerErrors(t *testing.T) {
	params := ckptParams(rand.New(rand.NewPCG(1, 2)))
	adam, err := optim.NewAdam(params, optim.DefaultAdam())
	if err != nil {
		t.Fatal(err)
	}
	ckptSteps(adam, rand.New(rand.NewPCG(3, 3)), 2)
	c := CheckpointFromParams(params)
	if err := c.SetOptimizer(adam); err != nil {
		t.Fatal(err)
	}
	c.Path = "ck.safetensors"

	sgd, err := optim.NewSGD(params, optim.SGDConfig{LR: 0.1, Momentum: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	ckptSteps(sgd, rand.New(rand.NewPCG(4, 4)), 1)
	sgdState := sgd.State()
	if err := c.RestoreOptimizer(sgd); err == nil || !strings.Contains(err.Error(), "ck.safetensors") || !strings.Contains(err.Error(), `"Adam"`) {
		t.Errorf("Adam state into SGD: %v", err)
	}
	if s := sgd.State(); s.LR != sgdState.LR || s.Params[0].Step != sgdState.Params[0].Step {
		t.Error("a failed RestoreOptimizer changed the optimizer")
	}

	fresh := func() *Checkpoint {
		d := &Checkpoint{Path: "ck.safetensors", Tensors: slices.Clone(c.Tensors), Meta: maps.Clone(c.Meta)}
		return d
	}
	d := fresh()
	delete(d.Meta, MetaOptimizer)
	if err := d.RestoreOptimizer(adam); err == nil || !strings.Contains(err.Error(), "no optimizer state") {
		t.Errorf("no state: %v", err)
	}
	d = fresh()
	d.Tensors = slices.DeleteFunc(d.Tensors, func(t safetensors.Tensor) bool { return t.Name == "optim.fc1.bias.exp_avg_sq" })
	if err := d.RestoreOptimizer(adam); err == nil || !strings.Contains(err.Error(), `"optim.fc1.bias.exp_avg_sq" missing`) {
		t.Errorf("missing buffer: %v", err)
	}
	d = fresh()
	d.Tensors = append(d.Tensors, safetensors.Tensor{Name: "optim.fc9.momentum_buffer", Shape: []int{1}, Data: []float32{0}})
	if err := d.RestoreOptimizer(adam); err == nil || !strings.Contains(err.Error(), "optim.fc9.momentum_buffer") {
		t.Errorf("extra buffer: %v", err)
	}
	d = fresh()
	d.Meta[MetaOptimizer] = `{"algorithm":"Adam","lr":0.001,"params":[],"extra":1}`
	if err := d.RestoreOptimizer(adam); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown field: %v", err)
	}
	// Setting the optimizer twice replaces the first state.
	d = fresh()
	if err := d.SetOptimizer(sgd); err != nil {
		t.Fatal(err)
	}
	for _, tn := range d.Tensors {
		if strings.HasSuffix(tn.Name, "exp_avg") {
			t.Errorf("Adam tensor %s left after SetOptimizer(SGD)", tn.Name)
		}
	}
	if err := d.RestoreOptimizer(sgd); err != nil {
		t.Error(err)
	}
}

func TestCheckpointMetaErrors(t *testing.T) {
	c := &Checkpoint{Path: "x.safetensors", Meta: map[string]string{"step": "1.5", "wall": "inf", "rng.a": "zz"}}
	if _, err := c.MetaInt("step"); err == nil || !strings.Contains(err.Error(), `x.safetensors: metadata "step" = "1.5" is not an integer`) {
		t.Errorf("MetaInt: %v", err)
	}
	if _, err := c.MetaInt("epoch"); err == nil || !strings.Contains(err.Error(), `"epoch" missing`) {
		t.Errorf("MetaInt missing: %v", err)
	}
	if _, err := c.MetaFloat("wall"); err == nil || !strings.Contains(err.Error(), "not a finite number") {
		t.Errorf("MetaFloat: %v", err)
	}
	if err := c.RestoreRNG("a", rand.NewPCG(1, 1)); err == nil || !strings.Contains(err.Error(), `random source "a"`) {
		t.Errorf("RestoreRNG: %v", err)
	}
	if err := c.RestoreRNG("b", rand.NewPCG(1, 1)); err == nil || !strings.Contains(err.Error(), `"rng.b" missing`) {
		t.Errorf("RestoreRNG missing: %v", err)
	}
}

// TestSaveCheckpointKeepsOldOnError saves a checkpoint that cannot be written
// (two tensors of one name) over a good one: the good one must stay, and no
// temporary file may be left.
func TestSaveCheckpointKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.safetensors")
	good := CheckpointFromParams(ckptParams(rand.New(rand.NewPCG(1, 1))))
	if err := SaveCheckpoint(path, good); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	bad := CheckpointFromParams(ckptParams(rand.New(rand.NewPCG(2, 2))))
	bad.Tensors = append(bad.Tensors, bad.Tensors[0])
	if err := SaveCheckpoint(path, bad); err == nil || !strings.Contains(err.Error(), "two tensors are named") {
		t.Fatalf("error %v", err)
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(old, now) {
		t.Error("the old checkpoint changed")
	}
	// No temporary file may survive the failed write.
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files, want last.safetensors only", len(entries))
	}
}

// FuzzCheckpoint decodes arbitrary bytes as a checkpoint and, when they are
// accepted, restores them into Params of the shapes they hold and into an
// optimizer: nothing may panic.
func FuzzCheckpoint(f *testing.F) {
	params := ckptParams(rand.New(rand.NewPCG(1, 1)))
	o, _ := optim.NewSGD(params, optim.SGDConfig{LR: 0.1, Momentum: 0.9})
	c := CheckpointFromParams(params)
	c.SetOptimizer(o)
	c.Meta[MetaVersion] = "1"
	var b bytes.Buffer
	safetensors.Write(&b, c.Tensors, c.Meta)
	f.Add(b.Bytes())
	f.Add(stFile(`{"__metadata__":{"spikegrad_checkpoint_version":"1","optim":"{\"algorithm\":\"SGD\",\"lr\":1,\"params\":[{\"name\":\"w\",\"step\":-1,\"buffers\":[\"momentum_buffer\"]}]}"},`+
		`"model.w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"optim.w.momentum_buffer":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, math.Float32bits(1)), math.Float32bits(2))))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := readCheckpoint(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		var ps []*autograd.Param
		for _, tn := range c.Tensors {
			name, ok := strings.CutPrefix(tn.Name, ModelPrefix)
			if !ok || len(tn.Shape) > autograd.MaxDims {
				continue
			}
			ps = append(ps, autograd.NewParam(name, nil, tn.Shape...))
		}
		if err := c.Restore(ps); err != nil {
			var re *RestoreError
			if !errors.As(err, &re) {
				t.Fatalf("Restore: %v", err)
			}
			return
		}
		if len(ps) == 0 {
			return
		}
		if o, err := optim.NewSGD(ps, optim.SGDConfig{LR: 0.1, Momentum: 0.9}); err == nil {
			_ = c.RestoreOptimizer(o)
		}
	})
}
