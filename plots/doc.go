// Package plots draws learning curves, spike rasters, membrane traces, weight
// maps and sweep comparisons from run directories and plain data (gonum/plot).
//
// Of the rest of spikegrad it imports only rundir (and an internal file
// writer): it reads what a training run leaves on disk, chiefly
// metrics.jsonl, whose format (docs/design.md, "Run directories and the
// metrics contract"; package rundir) is the only contract between the
// training loop and this package, and otherwise takes plain data (slices,
// matrices, trial records) that the caller extracts (spikegrad plot uses
// train.Probe and sweep.ReadReport). The figures are
//
//   - curves of logged metrics over training: loss, accuracy, firing rates
//     per layer, throughput and learning rate (LearningCurves,
//     MetricCurves, SaveRunPlots);
//   - what a network does: a spike raster of a layer for one sample
//     (SpikeRaster), membrane traces of chosen neurons with the threshold
//     (MembraneTraces), per-neuron firing-rate histograms per layer
//     (RateHistograms), weight matrices as images (WeightImage), the
//     confusion matrix (ConfusionMatrix);
//   - sweeps: the metric against each parameter (SweepScatter) and the
//     parallel coordinates of all trials (ParallelCoordinates).
//
// # Curves
//
// A Run is a label and its metrics, the records of a metrics.jsonl file as
// rundir.ReadMetrics returns them (one rundir.Metric per line: step, epoch,
// split, name, value, wall time; a null value reads as NaN). MetricCurves draws one metric of one or
// more runs, every split, as a *Figure; LearningCurves draws loss and
// accuracy. A metric name ending in "/" selects a family: "rate/" draws
// every rate/<layer> metric, one colour per layer.
//
// Units: accuracy and firing rates are stored as fractions and drawn in
// percent ("accuracy (%)", "firing rate (% of neuron-steps)"); samples_per_s
// is drawn as "throughput (samples/s)"; loss and learning rate have no unit.
//
// The horizontal axis (CurveOptions.X) is one of
//
//   - ByEpoch (the default): fractional epochs, step / S, where S is the
//     number of optimizer steps per epoch. A per-step train record at step s
//     sits at s/S, a test record written after epoch e (at step e·S) at e.
//     S comes from CurveOptions.StepsPerEpoch or is inferred from each run's
//     records by StepsPerEpoch: the smallest step with epoch count e is where
//     epoch e completed, and S = Σ step_e / Σ e over the epoch counts seen.
//     A run that has not completed an epoch has no S; ByEpoch then fails with
//     ErrNoEpoch.
//   - ByStep: optimizer steps.
//   - ByWall: wall time in seconds, minutes or hours, the unit that keeps the
//     longest run under 180 units, named in the axis label ("wall time (min)").
//
// # How series are drawn
//
// A train series with more points than distinct epoch counts was logged per
// step (or every few steps) and is noisy: it is drawn as a thin translucent
// line with its exponential moving average (EMA) over it as a thick line.
// The EMA has span n: α = 2/(n+1), m_i = (1−α)·m_{i−1} + α·x_i from m_{−1} = 0,
// divided by 1 − (1−α)^(i+1) so that the first points are not pulled towards
// zero (the bias correction of Adam and of TensorBoard's smoothing). It lags
// the raw values by about (n−1)/2 points. The default span is a hundredth
// of the length of the longest per-step train series of the figure, so that
// the lag stays near half a percent of the axis, but at least 5 points (or a
// tenth of a short series); it is the same for every run of a figure, so
// overlaid runs are smoothed alike. CurveOptions.EMASpan overrides it, and a
// span of 1 draws the values unsmoothed. The learning rate is never
// smoothed.
//
// Series logged once per epoch and test series are drawn as lines with
// markers (markers only up to 60 points): train solid with filled discs,
// test dashed with hollow rings that stay visible on top of a train line of
// the same colour. With one run and one
// metric, colour tells the splits apart. With several runs or layers, colour
// tells them apart and the line style tells the splits; the legend then has
// a second block, the key, drawn in grey, that explains the styles.
//
// Values that are not finite (null in the file, a diverged run) are left out
// of the lines, and a note under the legend says where they start
// ("lr=1e-2 train: values not finite from epoch 1.82 on").
//
// A run resumed from a checkpoint logs the steps after that checkpoint
// again. Within a series, a record whose step is not after the previous one
// discards the earlier points from that step on: the latest attempt is
// drawn.
//
// # Network figures
//
// Sequences are [T][N], time-major as everywhere in spikegrad: spikes[t][n]
// is neuron n at step t. Step t is drawn as the column [t, t+1] of a
// raster and at t + 1/2 on a trace, so both line up; TimeStep gives the
// axis a duration per step and a unit ("time (ms)") instead of "time step".
//
//   - SpikeRaster: neurons from the bottom, a spike a black cell; a note
//     counts spikes, the rate and the silent neurons.
//   - MembraneTraces: with thresholds (a spiking layer), one panel per
//     neuron, stacked over one time axis and a shared range, in threshold
//     units (v/θ) under a dashed line at 1, spikes as dots; without (a
//     non-spiking read-out), the traces overlaid as they are.
//   - RateHistograms: per layer, the share of its neurons in each of 20
//     rate bins, as outlined steps over a light fill; notes give the mean
//     rate and the silent and saturated neurons.
//   - WeightImage: a Linear weight [In, Out] with input i as row i from
//     the top and output j as column j, in the diverging map (blue, white
//     at 0, red) symmetric about 0, with a colour bar.
//   - ConfusionMatrix: true class down, predicted across, counts or
//     percent of the true class, in Blues with a colour bar; up to 20
//     classes every cell carries its number.
//
// Matrices (weights, the confusion matrix, the raster) are drawn as an
// image of cells rasterised at the output's resolution, one colour per
// cell, not as gonum's HeatMap, whose cells leave hairline seams. When the
// matrix has more cells than the image has pixels, a pixel shows the mean
// of its cells (weights) or their maximum (a raster, so no spike vanishes).
//
// # Sweep figures
//
// A SweepTrial is a trial's parameter values as text, its metric value and
// its state; a parameter whose values all parse as numbers is numeric, else
// categorical. SweepParams lists the parameters and puts a numeric one on a
// log axis when its values are positive and span a factor of 20 or more.
// SweepScatter draws one panel per parameter with a shared metric axis:
// finished trials as discs, unfinished ones with a value as grey rings,
// trials without a value as red crosses in a band labelled "no value".
// ParallelCoordinates draws each trial as a line across one axis per
// parameter and the metric, coloured by the metric (Viridis, yellow at the
// better end), the best trial thick and on top; its colour bar is scaled
// like the metric axis. Accuracy is drawn in percent in both.
//
// # Inference figures
//
// An Inference is an inference report (spikegrad plot fills it from an
// infer report.json): the activity of each neuron layer per sample and the
// energy per sample on each hardware profile. InferenceFigures returns
//
//   - ActivityBars ("activity"): two bar charts side by side, the spikes
//     per sample and the firing rate (% of neuron-steps) of each layer,
//     each bar with its value;
//   - EnergyBars ("energy"): one horizontal bar per profile on a
//     logarithmic axis labelled in SI units of joules, blue for
//     event-driven profiles (what the run did), orange for dense ones (a
//     dense forward of the same network). A range has a bar to its
//     geometric mean, its centre on the log axis, and whiskers from its low
//     to its high end; every row carries its value. A profile of zero
//     energy cannot sit on a log axis and is named in a note instead.
//
// # Figures
//
// A Figure is a gonum *plot.Plot plus its legend. The legend is drawn in a
// band below the plot area, centred, in as many columns as fit, so it never
// hides data whatever the curves do; Figure.Legend (what colours mean),
// Figure.Key (what line styles mean) and Figure.Notes are stacked in that
// band. The plot can be changed before saving (its title, axis ranges,
// more plotters). A figure may hold further panels (Figure.Panels), laid
// out in a grid whose data areas are aligned and equal in size, under one
// Figure.Title, and a ColorBar to the right of the plot area.
//
// Text is Liberation Sans, which gonum/plot embeds, so rendering does not
// depend on the fonts of the machine: 13 pt titles, 11 pt axis labels,
// 10 pt tick labels and legend. Ticks are placed at multiples of 1, 2 or 5
// times a power of ten, at most 6 intervals per axis, with labels of equal
// precision ("0.5 1.0 1.5"), exponent form below 10^-3 and from 10^6
// ("2e-4"); the epoch and step axes tick at whole numbers. The default size
// is 6.4 × 4.8 in (DefaultWidth, DefaultHeight), at 150 dpi for PNG
// (960 × 720 pixels).
//
// Figure.Encode writes PNG or SVG to a writer; Figure.Save writes the format
// its extension names through a temporary file in the same directory that is
// synced and renamed over the target, so a crash never leaves a half-written
// plot. SVG output keeps text as text and does not embed fonts (that would
// add about half a megabyte per file); it names the family as
// 'Liberation Sans', Arial, Helvetica, sans-serif, whose first three share
// their advance widths, so labels keep their layout wherever one of them is
// installed. Images (matrices, colour bars) are embedded as PNG at 150 dpi,
// each cell a whole number of pixels; gonum/plot's SVG writer labels them
// image/jpg and leaves SVG's default preserveAspectRatio, so Encode
// rewrites the label, stretches each image to its rectangle and asks for
// unsmoothed pixels (checked with librsvg's rsvg-convert: the images are
// upright and fill their rectangles).
//
// SaveFigures writes figures in the chosen formats into a directory;
// RunCurves returns the curve figures of a run directory without writing
// them.
//
// # Figure sets
//
// The figures spikegrad plot draws are chosen here, so that a notebook
// gets the same set from the same data:
//
//   - a run: RunCurves, then, once it has a final model, ProbeFigures of
//     a Probe (one sample's activity per neuron layer, the weights, the
//     test set's rates and confusion matrix): per neuron layer the raster
//     and the membrane traces, then the rate histograms, the weight images
//     and the confusion matrix. ChooseNeurons picks the traced neurons:
//     the ones asked for, else every read-out neuron (the classes, up to
//     10, the true and the predicted class named in the legend), else the
//     Traces (5) neurons of a hidden layer that fire closest to a third of
//     the steps, where integration and reset both show.
//   - a sweep: SweepFigures of a Sweep (its metric, parameters and trials,
//     best first): the learning curves of the best Overlaid (10) trials
//     that completed an epoch, read from each trial's run directory, then
//     SweepScatter and ParallelCoordinates. The parameters' axes are
//     logarithmic when the sweep samples them log-uniformly or SweepParams
//     finds their values spread over a factor of 20 or more.
//
// # Run directories
//
// SaveRunPlots(runDir) reads runDir/metrics.jsonl and writes, to
// runDir/plots/, as PNG and SVG, the figures of the metrics the run logged:
// loss, accuracy, rates (rate/<layer>), samples_per_s and lr. It labels the
// run with the directory's base name and draws against fractional epochs, or
// against steps while the run is still in its first epoch. It returns the
// paths written. A missing or empty metrics file is an error naming it. It
// is cheap enough to call after every epoch: the whole set takes about
// 0.4 s for the 3-epoch test run and 0.8 s for 30 epochs of 469 steps
// (34,000 records), most of it rasterising the PNGs.
//
// # Examples
//
// ExampleSaveRunPlots draws the figures of a run directory,
// ExampleLearningCurves the curves of several runs overlaid, and
// ExampleSpikeRaster a network figure from plain data.
//
// # Tests
//
// The figures are checked against golden files in testdata/golden, written
// from the hand-made 3-epoch run testdata/run3/metrics.jsonl and, for the
// network and sweep figures, from small hand-built inputs (a raster with a
// silent and a saturated neuron, LIF traces simulated in the test, a
// 12 × 8 weight matrix, a 4-class confusion matrix, a 12-trial sweep, a
// two-layer inference report with five energy profiles); each
// of those is compared as SVG and as PNG. SVGs are
// compared as text, exactly: they are produced by the same code with
// numbers printed to 5 significant digits. loss.png is compared pixel by
// pixel: at most 0.1 % of the pixels may differ by more than 24 of 255
// levels in a channel, which absorbs anti-aliasing differences from
// floating-point rounding on other machines and still catches a 1 pt shift
// of the layout (about 1.3 % of the pixels). After an intended change, run
//
//	go test ./plots/ -update
//
// and look at the new images before committing them.
package plots
