// Package infer is the place of the exported model format and the sparse,
// event-driven inference engine, with its SynOp and energy accounting
// (docs/design.md, "Layout").
//
// # What a run measured
//
// Stats holds what an inference run over a dataset measured, per sample:
// per layer the output spikes and firing rate, the synaptic operations
// (SynOps: one spike delivered over one synapse), the multiply-accumulates
// done densely for analog inputs (MACs), the products a dense forward of the
// layer would do (DenseOps) and the neuron state updates. Totals sums them;
// DoneFraction is (SynOps + MACs) / DenseOps, the share of the dense
// network's work the event-driven run actually did.
//
// # Energy
//
// A Profile gives the energy of one synaptic operation, one neuron update,
// one MAC and (optionally) one output spike on a piece of hardware, each a
// Figure in picojoules — a range where its source gives one — with the kind
// of evidence (measured, simulated, datasheet, estimate, derived, overview,
// included) and the source, to the table or page. Stats.Energy charges
//
//	event profiles: SynOps·synop + MACs·mac + NeuronUpdates·neuron + Spikes·spike
//	dense profiles: DenseOps·mac + NeuronUpdates·neuron
//
// per sample, so that an event-driven chip is charged for what the run did
// and a GPU or a dense accelerator for a dense forward of the same network.
// Only operations are counted: leakage, memory traffic and I/O are not,
// unless a figure includes them (the overview ranges are such all-in
// figures, and their neuron update is "included", 0 pJ).
//
// The built-in profiles (profiles.yaml, embedded; BuiltinProfiles) are Intel
// Loihi (Davies et al., IEEE Micro 2018, Table 2), Loihi 2, SpiNNaker 2
// (Yan et al. 2019, prototype chip), SynSense Speck, BrainChip Akida, IBM
// NorthPole, 32-bit float arithmetic at 45 nm (Horowitz, ISSCC 2014),
// event-driven and dense, and an NVIDIA A100 (datasheet peak rates at
// maximum power, dense). Users add their own in a file of the same schema
// (ReadProfiles, LoadProfiles): a profile of a name already known replaces
// it, and LoadProfiles says which. A profile file with a missing,
// negative or non-finite figure, a range with low > high, an unknown or
// repeated key, or an unknown kind is refused with one error naming the
// file, line, profile and field.
//
// # Reports
//
// NewReport puts a run's Stats and its energy on each profile together;
// Report.Markdown writes it as Markdown to paste (accuracy, the per-layer
// table, energy per sample per profile with ranges, and every figure with
// its source), Report.WriteJSON as report.json (versioned, ReportVersion),
// which ReadReport reads back strictly and `spikegrad plot` draws, and
// Report.Save writes both into a directory, each file atomically.
package infer
