// Package infer is the place of the exported model format and the sparse,
// event-driven inference engine with SynOp and energy accounting
// (docs/design.md, "Layout"). It has no API yet: today a trained model is
// evaluated with train.EvaluateRun and the `spikegrad eval` command.
package infer
