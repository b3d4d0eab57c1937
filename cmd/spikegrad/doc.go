// Command spikegrad trains spiking neural networks and works with their run
// directories.
//
//	spikegrad train [--config run.yaml] [--<key> value ...]   train a network
//	spikegrad train --resume RUN_DIR                          continue an interrupted run
//	spikegrad eval RUN_DIR                                    evaluate a run's model on its test set
//	spikegrad plot RUN_DIR|SWEEP_DIR                          draw a run's or a sweep's figures
//	spikegrad bench [--config run.yaml] [--threads 1,2]       measure step time and throughput
//	spikegrad sweep SWEEP.yaml [--dir DIR]                    run a hyperparameter sweep
//	spikegrad sweep report DIR                                rank a sweep's trials
//	spikegrad export RUN_DIR [--format infer|nir] [--dt S]    write a run's model for inference or as NIR
//	spikegrad infer MODEL.sgi [--data DATASET]                run an exported model: accuracy, SynOps, energy
//	spikegrad import FILE.nir --dt S --steps T [--encoding E] convert a NIR graph into a model infer runs
//
// With no arguments, train runs the default: a 100-128-10 LIF network on the
// synthetic Randman task, which needs no download. Every config key is also
// a flag; spikegrad train --help lists them with their defaults, and every
// command explains its options with --help.
//
// A network from another framework comes in as a NIR file: spikegrad import
// converts it (with the time step, the steps per sample, the input encoding
// and the read-out, which a NIR graph does not hold) into an inference model
// that spikegrad infer runs; spikegrad train --model.from FILE.nir
// --model.dt S fine-tunes it (package train, "Starting from a saved model").
//
// The command only parses flags and wires the packages together: training
// is package train's Run, sweeps package sweep's, figures package plots'.
package main
