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
//
// With no arguments, train runs the default: a 100-128-10 LIF network on the
// synthetic Randman task, which needs no download. Every config key is also
// a flag; spikegrad train --help lists them with their defaults, and every
// command explains its options with --help.
//
// The command only parses flags and wires the packages together: training
// is package train's Run, sweeps package sweep's, figures package plots'.
package main
