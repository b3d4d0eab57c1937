// Package datasets reads real datasets in their native formats, generates
// synthetic ones from a seed, encodes static inputs as spike trains and serves
// shuffled batches. It imports nothing else from spikegrad.
package datasets
