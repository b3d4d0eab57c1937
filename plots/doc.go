// Package plots draws learning curves, spike rasters, membrane traces, weight
// maps and sweep comparisons from run directories and plain data (gonum/plot).
package plots
