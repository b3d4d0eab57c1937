// Package infer holds the exported model format and the sparse, event-driven
// inference engine with SynOp and energy accounting.
package infer
